"""Gallery service: enroll, identify, remove, rename, merge, list (the GUI and CLI both use this).

Identity score: each query face is compared with every enrolled face of the active
model (FAISS inner product of unit vectors = cosine similarity). An identity's
score is the mean of its ``AGG_TOP`` best face similarities (its single best face
when it has fewer). A face is named when the best identity's score reaches the
open-set threshold, otherwise it is "unknown" (name ``None``); the top-k
candidates are always reported.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from core.config import Settings, default_gallery_dir, load_settings
from core.errors import Cancelled, GalleryError, IdentityNotFound, UsageError
from core.fileutil import sha256_file
from core.gallery.acceptance import Rejection, choose_face
from core.gallery.db import checkpoint, open_engine
from core.gallery.index import VectorIndex, ids_fingerprint
from core.gallery.schema import AuditEvent, EmbeddingRow, FaceRow, Identity, ModelRow
from models.registry import ModelSpec, get_spec

log = logging.getLogger(__name__)

DB_NAME = "gallery.db"
AGG_TOP = 3
SEARCH_FACES = 64           # faces fetched per query before grouping by identity

ProgressFn = Callable[[int, int, str], None]


@dataclass
class EnrollReport:
    identity: str
    added: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    face_ids: list[int] = field(default_factory=list)
    seconds: dict = field(default_factory=dict)  # total and storage (SQLite + FAISS) wall time

    def to_json(self) -> dict:
        return {"identity": self.identity, "added": self.added, "rejected": [r.to_json() for r in self.rejected],
                "seconds": self.seconds}


@dataclass
class Match:
    """Decision for one face: ``name`` is None when unknown."""

    box: list[float]
    name: str | None
    score: float
    candidates: list[tuple[str, float]]

    def to_json(self) -> dict:
        return {"box": self.box, "name": self.name, "score": round(self.score, 4),
                "candidates": [{"name": n, "score": round(s, 4)} for n, s in self.candidates]}


def decide_name(candidates: list[tuple[str, float]], threshold: float) -> tuple[str | None, float]:
    """The open-set rule: (best candidate's name, its score) when the score reaches ``threshold``,
    else (None, score); (None, -1.0) without candidates."""
    if not candidates:
        return None, -1.0
    name, score = candidates[0]
    return (name if score >= threshold else None), float(score)


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200 or any(c in name for c in "\n\r\t\0"):
        raise UsageError("A name must be 1 to 200 characters on one line.")
    return name


class Gallery:
    """One gallery folder: ``gallery.db`` plus one derived ``index-<model>.faiss`` per model."""

    def __init__(self, root: str | Path | None = None, model: str | None = None, settings: Settings | None = None,
                 create: bool = True, warn: Callable[[str], None] | None = None):
        self.root = Path(root) if root else default_gallery_dir()
        self.settings = (settings or load_settings()).replace(model=model)
        self.spec: ModelSpec = get_spec(self.settings.model)
        self.engine, self.Session = open_engine(self.root / DB_NAME, create=create)
        self._warn = warn or (lambda m: log.warning(m))
        self._analyzer = None
        self._index: VectorIndex | None = None
        self._lock = threading.RLock()
        self._version_conn = sqlite3.connect(self.root / DB_NAME, check_same_thread=False)
        self._data_version: int | None = None

    # ------------------------------------------------------------ model and index

    @cached_property
    def model_key(self) -> str:
        """``name:weights-hash-prefix`` of the active model (fixed for this Gallery object)."""
        return f"{self.spec.name}:{(self.spec.weights_hash() or 'unversioned')[:12]}"

    @property
    def threshold(self) -> float:
        t = self.settings.threshold
        return float(t) if t is not None else self.spec.threshold

    @property
    def index_path(self) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.model_key)
        return self.root / f"index-{safe}.faiss"

    @property
    def analyzer(self):
        if self._analyzer is None:
            from core.analyzer import FaceAnalyzer

            self._analyzer = FaceAnalyzer(self.settings, warmup=False)
        return self._analyzer

    def use_analyzer(self, analyzer) -> None:
        """Share an already-loaded analyzer (the GUI loads one for the live view)."""
        if analyzer.embedder.name != self.spec.name:
            raise UsageError(f"The analyzer uses {analyzer.embedder.name}, the gallery {self.spec.name}.")
        self._analyzer = analyzer

    def _ids_and_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        with self.Session() as s:
            rows = s.execute(select(EmbeddingRow.id, EmbeddingRow.vector)
                             .where(EmbeddingRow.model_key == self.model_key).order_by(EmbeddingRow.id)).all()
        dim = self.spec.embedding_size
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, dim) if rows else \
            np.zeros((0, dim), np.float32)
        return ids, vecs

    def _all_ids(self) -> np.ndarray:
        with self.Session() as s:
            ids = s.scalars(select(EmbeddingRow.id).where(EmbeddingRow.model_key == self.model_key)).all()
        return np.asarray(ids, np.int64)

    def _db_changed(self) -> bool:
        """True when another connection committed since we last looked (PRAGMA data_version)."""
        v = self._version_conn.execute("PRAGMA data_version").fetchone()[0]
        changed = v != self._data_version
        self._data_version = v
        return changed

    def index(self) -> VectorIndex:
        """The index for the active model, loaded, checked against the database and rebuilt if needed."""
        with self._lock:
            if self._index is not None and not self._db_changed():
                return self._index
            ids = self._all_ids()
            fp = ids_fingerprint(ids)
            idx = VectorIndex.load(self.index_path)
            if idx is None or not idx.header.matches(self.model_key, len(ids), fp):
                if idx is not None or self.index_path.exists():
                    self._warn(f"The search index {self.index_path.name} disagrees with the database; rebuilding it.")
                idx = self.rebuild_index()
            self._index = idx
            self._db_changed()
            return idx

    def rebuild_index(self) -> VectorIndex:
        with self._lock:
            ids, vecs = self._ids_and_vectors()
            idx = VectorIndex.build(self.model_key, self.spec.embedding_size, ids, vecs,
                                    exact_limit=self.settings.exact_index_limit, large=self.settings.large_index)
            idx.save(self.index_path)
            self._index = idx
            return idx

    def _after_add(self, new_ids: list[int], new_vecs: list[np.ndarray]) -> None:
        """Bring the index up to date after our own commits (rows another process added meanwhile
        make the fingerprint disagree, and the next :meth:`index` call rebuilds)."""
        with self._lock:
            if self._index is None:
                self.index()  # loads or rebuilds from the database, new rows included
                return
            idx = self._index
            if idx.kind == "exact" and len(idx) + len(new_ids) > self.settings.exact_index_limit:
                self.rebuild_index()
            elif new_ids:
                idx.add(np.asarray(new_ids, np.int64), np.stack(new_vecs))
                idx.save(self.index_path)
            self._db_changed()

    def _after_remove(self, removed: list[int]) -> None:
        with self._lock:
            idx = self._index or VectorIndex.load(self.index_path)
            if idx is not None and idx.header.model_key == self.model_key and idx.remove(np.asarray(removed, np.int64)):
                idx.save(self.index_path)
                self._index = idx
            else:
                self.rebuild_index()
            # other models' indexes hold these faces too: drop them so they are rebuilt without the faces
            for other in self.root.glob("index-*.faiss"):
                if other != self.index_path:
                    other.unlink(missing_ok=True)
            self._db_changed()

    # ------------------------------------------------------------ enroll

    def _ensure_model_row(self, s) -> None:
        if s.get(ModelRow, self.model_key) is None:
            s.add(ModelRow(key=self.model_key, name=self.spec.name, dim=self.spec.embedding_size,
                           weights_hash=self.spec.weights_hash() or ""))

    def enroll(self, name: str, paths: Iterable[str | Path | np.ndarray], progress: ProgressFn | None = None,
               cancel: Callable[[], bool] | None = None, create: bool = True) -> EnrollReport:
        """Add photos (paths, or RGB frames captured live) to ``name``; each accepted image is committed
        before it is reported."""
        name = _clean_name(name)
        items = list(paths)
        arrays = {f"capture-{i}": a for i, a in enumerate(items) if isinstance(a, np.ndarray)}
        paths = [f"capture-{i}" if isinstance(p, np.ndarray) else str(p) for i, p in enumerate(items)]
        report = EnrollReport(identity=name)
        t_start = time.perf_counter()
        storage = 0.0
        self.index()  # load (or repair) the index before adding, so new rows are appended, not rebuilt
        with self.Session.begin() as s:
            ident = s.scalar(select(Identity).where(Identity.name == name))
            if ident is None:
                if not create:
                    raise IdentityNotFound(f"No person named '{name}' in the gallery.")
                ident = Identity(name=name)
                s.add(ident)
                s.flush()
            ident_id = ident.id
            self._ensure_model_row(s)
        # duplicates first: cheap, and no model time is spent on them
        todo, hashes, seen = [], {}, {}
        with self.Session() as s:
            for p in paths:
                try:
                    h = hashlib.sha256(arrays[p].tobytes()).hexdigest() if p in arrays else sha256_file(Path(p))
                except OSError as exc:
                    report.rejected.append(Rejection(p, "unreadable", f"{p}: cannot be read ({exc.strerror or exc})."))
                    continue
                owner = s.scalar(select(Identity.name).join(FaceRow).where(FaceRow.image_hash == h).limit(1))
                if owner is not None or h in seen:
                    who = owner or name
                    report.rejected.append(Rejection(p, "duplicate", f"{p}: this image is already enrolled (as {who})."))
                    continue
                seen[h] = p
                hashes[p] = h
                todo.append(p)
        total = len(paths)
        done = total - len(todo)
        new_ids: list[int] = []
        new_vecs: list[np.ndarray] = []
        try:
            for res in self.analyzer.analyze_paths([arrays.get(p, p) for p in todo], cancel=cancel, names=todo):
                done += 1
                rej, face, sharp = choose_face(res, self.settings.min_face_px)
                if rej is not None:
                    report.rejected.append(rej)
                else:
                    thumb = cv2.imencode(".jpg", cv2.cvtColor(face.crop, cv2.COLOR_RGB2BGR),
                                         [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
                    t_db = time.perf_counter()
                    with self.Session.begin() as s:
                        src = res.path if res.path in arrays else str(Path(res.path).resolve())
                        row = FaceRow(identity_id=ident_id, source_path=src,
                                      image_hash=hashes[res.path], box=face.detection.xywh, thumbnail=thumb,
                                      det_score=float(face.score), quality=sharp)
                        s.add(row)
                        s.flush()
                        emb = EmbeddingRow(face_id=row.id, model_key=self.model_key, dim=len(face.embedding),
                                           vector=np.asarray(face.embedding, "<f4").tobytes())
                        s.add(emb)
                        s.flush()
                        new_ids.append(emb.id)
                        new_vecs.append(face.embedding)
                        report.face_ids.append(row.id)
                    storage += time.perf_counter() - t_db
                    report.added += 1
                if progress is not None:
                    progress(done, total, res.path)
        except Cancelled:
            raise
        finally:
            t_db = time.perf_counter()
            with self.Session.begin() as s:
                if report.added:
                    s.add(AuditEvent(action="enroll", subject=name,
                                     details={"added": report.added, "rejected": len(report.rejected)}))
                elif not s.scalar(select(func.count()).select_from(FaceRow).where(FaceRow.identity_id == ident_id)):
                    s.execute(delete(Identity).where(Identity.id == ident_id))  # nothing enrolled: no empty person
            self._after_add(new_ids, new_vecs)
            storage += time.perf_counter() - t_db
            report.seconds = {"total": round(time.perf_counter() - t_start, 3), "storage": round(storage, 3)}
        return report

    def missing_embeddings(self) -> int:
        """Faces without an embedding for the active model (e.g. enrolled under another model)."""
        with self.Session() as s:
            have = select(EmbeddingRow.face_id).where(EmbeddingRow.model_key == self.model_key)
            return s.scalar(select(func.count()).select_from(FaceRow).where(FaceRow.id.not_in(have)))

    def reembed(self, progress: ProgressFn | None = None, cancel: Callable[[], bool] | None = None,
                batch: int = 64) -> dict:
        """Embed stored face crops for the active model, so switching models keeps everyone enrolled.

        Each thumbnail is the aligned crop of the model it was enrolled with; it is warped from that
        model's template to the active model's template (no original photo needed). Committed per batch.
        """
        from core.alignment import estimate_similarity

        with self.Session() as s:
            have = select(EmbeddingRow.face_id).where(EmbeddingRow.model_key == self.model_key)
            todo = s.execute(select(FaceRow.id, FaceRow.thumbnail).where(FaceRow.id.not_in(have))).all()
            source_model = dict(s.execute(select(EmbeddingRow.face_id, ModelRow.name)
                                          .join(ModelRow, EmbeddingRow.model_key == ModelRow.key)).all())
        with self.Session.begin() as s:
            self._ensure_model_row(s)
        dst = self.spec.template
        done = 0
        for start in range(0, len(todo), batch):
            if cancel is not None and cancel():
                raise Cancelled(f"Re-embedding cancelled after {done} of {len(todo)} faces; run it again to finish.")
            crops, ids = [], []
            for fid, thumb in todo[start:start + batch]:
                img = cv2.imdecode(np.frombuffer(thumb, np.uint8), cv2.IMREAD_COLOR)
                if img is None:
                    continue
                img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
                try:
                    src = get_spec(source_model.get(fid, "facenet")).template
                except UsageError:
                    src = get_spec("facenet").template
                scale = img.shape[0] / src.size
                m = estimate_similarity(src.points * scale, dst.points)
                crops.append(cv2.warpAffine(img, m, (dst.size, dst.size), borderMode=cv2.BORDER_REPLICATE))
                ids.append(fid)
            if crops:
                embs = self.analyzer.embedder.embed(np.stack(crops))
                with self.Session.begin() as s:
                    for fid, e in zip(ids, embs):
                        s.add(EmbeddingRow(face_id=fid, model_key=self.model_key, dim=len(e),
                                           vector=np.asarray(e, "<f4").tobytes()))
            done += len(ids)
            if progress is not None:
                progress(done, len(todo), "")
        self.rebuild_index()
        return {"model": self.spec.name, "faces": len(todo), "embedded": done}

    # ------------------------------------------------------------ identify

    def search(self, embeddings: np.ndarray, k: int | None = None) -> list[list[tuple[str, float]]]:
        """For each (D,) query: up to k (identity, score) pairs, best first (score as in the module doc)."""
        k = k or self.settings.top_k
        idx = self.index()
        if len(idx) == 0 or len(embeddings) == 0:
            return [[] for _ in range(len(embeddings))]
        scores, ids = idx.search(np.asarray(embeddings, np.float32), min(SEARCH_FACES, len(idx)))
        wanted = {int(i) for i in ids.ravel() if i >= 0}
        with self.Session() as s:
            owner = dict(s.execute(select(EmbeddingRow.id, Identity.name)
                                   .join(FaceRow, EmbeddingRow.face_id == FaceRow.id)
                                   .join(Identity, FaceRow.identity_id == Identity.id)
                                   .where(EmbeddingRow.id.in_(wanted))).all())
        out = []
        for srow, irow in zip(scores, ids):
            per: dict[str, list[float]] = defaultdict(list)
            for sc, i in zip(srow, irow):
                if i >= 0 and int(i) in owner:
                    per[owner[int(i)]].append(float(sc))
            ranked = sorted(((n, float(np.mean(sorted(v, reverse=True)[:AGG_TOP]))) for n, v in per.items()),
                            key=lambda t: -t[1])
            out.append(ranked[:k])
        return out

    def decide(self, faces, k: int | None = None) -> list[Match]:
        """Open-set decisions for analysed faces."""
        if not faces:
            return []
        cands = self.search(np.stack([f.embedding for f in faces]), k)
        out = []
        for f, c in zip(faces, cands):
            name, score = decide_name(c, self.threshold)
            out.append(Match(box=f.detection.xywh, name=name, score=score, candidates=c))
        return out

    def identify_image(self, image: np.ndarray) -> list[Match]:
        return self.decide(self.analyzer.analyze(image))

    def identify_paths(self, paths: Iterable[str | Path], progress: ProgressFn | None = None) -> list[dict]:
        results = []
        for res in self.analyzer.analyze_paths([str(p) for p in paths], progress=progress):
            if res.error is not None:
                results.append({"path": res.path, "faces": [], "error": str(res.error)})
                continue
            results.append({"path": res.path, "faces": [m.to_json() for m in self.decide(res.faces)]})
        return results

    # ------------------------------------------------------------ manage

    def list(self) -> list[dict]:
        with self.Session() as s:
            rows = s.execute(select(Identity.name, Identity.created, func.count(FaceRow.id))
                             .outerjoin(FaceRow).group_by(Identity.id).order_by(Identity.name)).all()
        return [{"name": n, "faces": c, "created": created.isoformat() if created else None} for n, created, c in rows]

    def faces(self, name: str) -> list[dict]:
        with self.Session() as s:
            ident = self._get(s, name)
            return [{"id": f.id, "source_path": f.source_path, "box": f.box, "det_score": f.det_score,
                     "quality": round(f.quality, 1), "thumbnail": f.thumbnail} for f in ident.faces]

    def thumbnail(self, name: str) -> bytes | None:
        """JPEG of the person's sharpest enrolled face crop (for the gallery browser)."""
        with self.Session() as s:
            return s.scalar(select(FaceRow.thumbnail).join(Identity).where(Identity.name == name)
                            .order_by(FaceRow.quality.desc()).limit(1))

    def names(self) -> list[str]:
        with self.Session() as s:
            return list(s.scalars(select(Identity.name).order_by(Identity.name)))

    def count(self) -> tuple[int, int]:
        """(identities, faces)."""
        with self.Session() as s:
            return (s.scalar(select(func.count()).select_from(Identity)),
                    s.scalar(select(func.count()).select_from(FaceRow)))

    @staticmethod
    def _get(s, name: str) -> Identity:
        ident = s.scalar(select(Identity).where(Identity.name == name))
        if ident is None:
            raise IdentityNotFound(f"No person named '{name}' in the gallery.")
        return ident

    def _embedding_ids(self, s, face_filter) -> list[int]:
        return list(s.scalars(select(EmbeddingRow.id).join(FaceRow).where(face_filter)))

    def remove(self, name: str) -> dict:
        """Delete a person: rows, thumbnails (secure delete + WAL checkpoint) and index entries."""
        with self._lock:
            with self.Session.begin() as s:
                ident = self._get(s, name)
                emb_ids = self._embedding_ids(s, FaceRow.identity_id == ident.id)
                n_faces = s.scalar(select(func.count()).select_from(FaceRow).where(FaceRow.identity_id == ident.id))
                s.execute(delete(Identity).where(Identity.id == ident.id))
                s.add(AuditEvent(action="remove", subject=name, details={"faces": n_faces}))
            checkpoint(self.engine)
            self._after_remove(emb_ids)
        return {"removed": name, "faces": n_faces}

    def remove_face(self, face_id: int) -> dict:
        with self._lock:
            with self.Session.begin() as s:
                face = s.get(FaceRow, face_id)
                if face is None:
                    raise GalleryError(f"No face with id {face_id}.")
                who = face.identity.name
                emb_ids = self._embedding_ids(s, FaceRow.id == face_id)
                s.execute(delete(FaceRow).where(FaceRow.id == face_id))
                s.add(AuditEvent(action="remove_face", subject=who, details={"face_id": face_id}))
            checkpoint(self.engine)
            self._after_remove(emb_ids)
        return {"removed_face": face_id, "identity": who}

    def rename(self, old: str, new: str) -> dict:
        new = _clean_name(new)
        try:
            with self.Session.begin() as s:
                ident = self._get(s, old)
                ident.name = new
                s.add(AuditEvent(action="rename", subject=new, details={"from": old}))
        except IntegrityError as exc:
            raise GalleryError(f"There is already a person named '{new}'; use merge to combine them.") from exc
        return {"renamed": old, "to": new}

    def merge(self, source: str, target: str) -> dict:
        """Move all faces of ``source`` to ``target`` and delete ``source`` (no index change needed)."""
        if source == target:
            raise UsageError("Cannot merge a person into themselves.")
        with self.Session.begin() as s:
            src, dst = self._get(s, source), self._get(s, target)
            moved = s.execute(update(FaceRow).where(FaceRow.identity_id == src.id).values(identity_id=dst.id)).rowcount
            s.execute(delete(Identity).where(Identity.id == src.id))
            s.add(AuditEvent(action="merge", subject=target, details={"from": source, "faces": moved}))
        return {"merged": source, "into": target, "faces": moved}

    def audit(self, limit: int = 100) -> list[dict]:
        with self.Session() as s:
            rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)).all()
            return [{"at": r.at.isoformat(), "action": r.action, "subject": r.subject, "details": r.details}
                    for r in rows]

    def close(self) -> None:
        self._version_conn.close()
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
