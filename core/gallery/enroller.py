"""Enrolment and re-embedding: photos (or live captures) -> accepted faces -> rows and index entries.

The enroller is *given* an analyzer (detect + align + embed), so its policy can be
tested with a fake embedder. Each accepted face is committed before it is
reported; a cancelled or crashed enrolment keeps everything reported so far.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from core.errors import Cancelled, UsageError
from core.faces import capture_label, estimate_similarity
from core.faces.quality import sharpness
from core.fileutil import sha256_file
from core.gallery.acceptance import Rejection, choose_face
from core.gallery.index_manager import IndexManager
from core.gallery.store import GalleryStore, NewFace, clean_name
from core.progress import CancelFn, ProgressFn
from core.zoo import Template


@dataclass
class EnrollReport:
    identity: str
    added: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    face_ids: list[int] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)  # total and storage (SQLite + FAISS) wall time
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"identity": self.identity, "added": self.added, "rejected": [r.to_json() for r in self.rejected],
                "seconds": self.seconds, "warnings": self.warnings}


def encode_crop(crop: np.ndarray) -> bytes:
    """JPEG (quality 90) of an RGB crop: how face crops are stored."""
    return cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()


def decode_crop(data: bytes) -> np.ndarray | None:
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return None if img is None else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


class Enroller:
    def __init__(self, store: GalleryStore, index: IndexManager, analyzer, model_key: str, min_face_px: int,
                 template_of: Callable[[str], Template], min_quality: float = 0.0):
        self.store, self.index, self.analyzer = store, index, analyzer
        self.model_key, self.min_face_px, self.template_of = model_key, min_face_px, template_of
        self.min_quality = min_quality

    def _hashes(self, labels: list[str], arrays: dict, report: EnrollReport, name: str) -> tuple[list[str], dict]:
        """Reject unreadable files and duplicates (cheap, before any model time); returns (todo, hashes)."""
        todo, hashes, seen = [], {}, set()
        for p in labels:
            try:
                h = hashlib.sha256(arrays[p].tobytes()).hexdigest() if p in arrays else sha256_file(Path(p))
            except OSError as exc:
                report.rejected.append(Rejection(p, "unreadable", f"{p}: cannot be read ({exc.strerror or exc})."))
                continue
            owner = self.store.owner_of_image(h)
            if owner is not None or h in seen:
                report.rejected.append(Rejection(p, "duplicate", f"{p}: this image is already enrolled "
                                                                 f"(as {owner or name})."))
                continue
            seen.add(h)
            hashes[p] = h
            todo.append(p)
        return todo, hashes

    def enroll(self, name: str, items: Iterable[str | Path | np.ndarray], progress: ProgressFn | None = None,
               cancel: CancelFn | None = None, create: bool = True, choose: dict[str, int] | None = None) -> EnrollReport:
        """Add photos (paths, or RGB frames captured live) to ``name``. ``choose`` maps a label to the
        index of the face to enrol in a photo with several (as the enrol dialog's click picks it)."""
        name = clean_name(name)
        items = list(items)
        arrays = {capture_label(i): a for i, a in enumerate(items) if isinstance(a, np.ndarray)}
        labels = [capture_label(i) if isinstance(p, np.ndarray) else str(p) for i, p in enumerate(items)]
        report = EnrollReport(identity=name)
        t_start, storage = time.perf_counter(), 0.0
        self.index.index()  # load (or repair) the index first, so new rows are appended, not rebuilt
        ident_id = self.store.identity_id(name, create)
        todo, hashes = self._hashes(labels, arrays, report, name)
        done, total = len(labels) - len(todo), len(labels)
        new_ids: list[int] = []
        new_vecs: list[np.ndarray] = []
        try:
            for res in self.analyzer.analyze_paths([arrays.get(p, p) for p in todo], cancel=cancel, names=todo):
                done += 1
                rej, face, sharp = choose_face(res, self.min_face_px, (choose or {}).get(res.path), self.min_quality)
                if rej is not None:
                    report.rejected.append(rej)
                else:
                    t_db = time.perf_counter()
                    src = res.path if res.path in arrays else str(Path(res.path).resolve())
                    fid, eid = self.store.add_face(ident_id, NewFace(src, hashes[res.path], face.detection.xywh,
                                                                     encode_crop(face.crop), float(face.score), sharp),
                                                   self.model_key, face.embedding)
                    new_ids.append(eid)
                    new_vecs.append(face.embedding)
                    report.face_ids.append(fid)
                    storage += time.perf_counter() - t_db
                    report.added += 1
                if progress is not None:
                    progress(done, total, res.path)
        finally:
            t_db = time.perf_counter()
            self.store.finish_enrolment(ident_id, name, report.added, len(report.rejected))
            self.index.added(new_ids, new_vecs)
            storage += time.perf_counter() - t_db
            report.seconds = {"total": round(time.perf_counter() - t_start, 3), "storage": round(storage, 3)}
        return report

    def enroll_faces(self, name: str, faces: list[dict], create: bool = True) -> EnrollReport:
        """Add faces analysed elsewhere (the photo library) to ``name``: dicts with ``crop`` (JPEG bytes aligned
        to this model's template), ``embedding`` (of this model), ``box``, ``det_score``, ``quality``,
        ``source_path`` and ``image_hash``. The same policy as photos: too small or low quality is refused, and a
        face already enrolled (its photo's hash and box) is skipped."""
        name = clean_name(name)
        report = EnrollReport(identity=name)
        t_start = time.perf_counter()
        self.index.index()
        ident_id = self.store.identity_id(name, create)
        new_ids, new_vecs = [], []
        try:
            for f in faces:
                label = f"{f['source_path']} {f['box']}"
                key = f"{f['image_hash']}#" + ",".join(f"{float(v):.0f}" for v in f["box"])
                if min(f["box"][2], f["box"][3]) < self.min_face_px:
                    report.rejected.append(Rejection(label, "too_small", f"{label}: the face is too small."))
                elif f["quality"] < self.min_quality:
                    report.rejected.append(Rejection(label, "low_quality", f"{label}: the face is of low quality."))
                elif self.store.owner_of_image(key) is not None:
                    report.rejected.append(Rejection(label, "duplicate", f"{label}: this face is already enrolled."))
                else:
                    crop = decode_crop(f["crop"])
                    sharp = sharpness(crop) if crop is not None else 0.0  # what the gallery keeps as a face's quality
                    fid, eid = self.store.add_face(ident_id, NewFace(f["source_path"], key, f["box"], f["crop"],
                                                                     float(f["det_score"]), sharp),
                                                   self.model_key, f["embedding"])
                    new_ids.append(eid)
                    new_vecs.append(np.asarray(f["embedding"], np.float32))
                    report.face_ids.append(fid)
                    report.added += 1
        finally:
            self.store.finish_enrolment(ident_id, name, report.added, len(report.rejected))
            self.index.added(new_ids, new_vecs)
            report.seconds = {"total": round(time.perf_counter() - t_start, 3)}
        return report

    def reembed(self, progress: ProgressFn | None = None, cancel: CancelFn | None = None, batch: int = 64) -> dict:
        """Embed stored face crops for the active model, so switching models keeps everyone enrolled.

        Each stored crop is aligned to the template of the model it was enrolled with; it is warped to the
        active model's template (no original photo needed). Committed per batch.
        """
        todo = self.store.faces_missing(self.model_key)
        embedder = self.analyzer.embedder
        dst = embedder.spec.alignment()
        done = 0
        for start in range(0, len(todo), batch):
            if cancel is not None and cancel():
                raise Cancelled(f"Re-embedding cancelled after {done} of {len(todo)} faces; run it again to finish.")
            crops, ids = [], []
            for fid, thumb, source_model in todo[start:start + batch]:
                img = decode_crop(thumb)
                if img is None:
                    continue
                try:
                    src = self.template_of(source_model) if source_model else dst
                except UsageError:  # the model it was enrolled with is gone: assume the crop's own size
                    src = Template.from_arcface(img.shape[0])
                m = estimate_similarity(src.points * (img.shape[0] / src.size), dst.points)
                crops.append(cv2.warpAffine(img, m, (dst.size, dst.size), borderMode=cv2.BORDER_REPLICATE))
                ids.append(fid)
            if crops:
                self.store.add_embeddings(self.model_key, list(zip(ids, embedder.embed(np.stack(crops)))))
            done += len(ids)
            if progress is not None:
                progress(done, len(todo), "")
        self.index.rebuild()
        return {"model": embedder.name, "faces": len(todo), "embedded": done}
