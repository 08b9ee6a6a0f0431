"""Detections and embeddings of evaluation images, cached so a re-run of an evaluation takes seconds.

Detections are keyed by (image SHA-256, detector and its settings); embeddings by
(model fingerprint, image SHA-256, detector, alignment template, face choice,
flip). Both live in ``<cache>/eval/faces.sqlite`` (user cache, never committed), encrypted like a gallery: the
embeddings may be of the user's own photos.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from core.errors import BadInput, Cancelled, WrongKey
from core.faces import DetectedFace, align_face, load_image
from core.fileutil import sha256_file
from core.paths import cache_dir
from core.progress import CancelFn, ProgressFn
from core.storage import StoreLayout, connect, declare, keys, open_store

PICKS = ("centre", "largest")


# embeddings of the user's own photos (folders, open-set runs): a folder that holds faces, like a gallery
LAYOUT = declare(StoreLayout("evaluation cache", "faces.sqlite", home=lambda _settings=None: cache_dir() / "eval"))


class FaceCache:
    """The cache in ``root`` (default: the app's cache folder's ``eval``), encrypted like a gallery. A cache
    whose key file or keyring entry is gone (a copied folder) cannot be read by anyone: it is removed and a
    new one started; a wrong passphrase is an error, as for any store."""

    def __init__(self, root: Path | None = None, encrypt: bool = True):
        self.root = Path(root or LAYOUT.home())
        self.path = LAYOUT.database(self.root)

        def open_cache():
            return open_store(self.root, LAYOUT, True, encrypt, lambda p, key: connect(p, key, timeout=60))

        try:
            self._lock, self.vault, self.con = open_cache()
        except WrongKey:
            doc = keys.read_vault(self.root)
            if doc is None or doc["protection"] == "passphrase":
                raise
            for p in LAYOUT.files(self.root):
                p.unlink(missing_ok=True)
            self._lock, self.vault, self.con = open_cache()
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("CREATE TABLE IF NOT EXISTS detections (image TEXT, detector TEXT, faces TEXT, "
                         "PRIMARY KEY (image, detector))")
        self.con.execute("CREATE TABLE IF NOT EXISTS embeddings (key TEXT PRIMARY KEY, vector BLOB)")
        self.lock = threading.Lock()

    def detections(self, image: str, detector: str) -> list[DetectedFace] | None:
        row = self.con.execute("SELECT faces FROM detections WHERE image=? AND detector=?", (image, detector)).fetchone()
        if row is None:
            return None
        return [DetectedFace(np.array(f["box"], np.float32), np.array(f["lm"], np.float32), f["score"])
                for f in json.loads(row[0])]

    def put_detections(self, image: str, detector: str, faces: list[DetectedFace]) -> None:
        doc = json.dumps([{"box": [round(float(v), 3) for v in f.box],
                           "lm": [[round(float(x), 3), round(float(y), 3)] for x, y in f.landmarks],
                           "score": round(float(f.score), 5)} for f in faces])
        with self.lock, self.con:
            self.con.execute("INSERT OR REPLACE INTO detections VALUES (?, ?, ?)", (image, detector, doc))

    def embedding(self, key: str) -> np.ndarray | None:
        row = self.con.execute("SELECT vector FROM embeddings WHERE key=?", (key,)).fetchone()
        return None if row is None else np.frombuffer(row[0], np.float32).copy()

    def put_embeddings(self, items: list[tuple[str, np.ndarray]]) -> None:
        with self.lock, self.con:
            self.con.executemany("INSERT OR REPLACE INTO embeddings VALUES (?, ?)",
                                 [(k, np.asarray(v, "<f4").tobytes()) for k, v in items])

    def forget_images(self, image_hashes: set[str]) -> int:
        """Remove what is cached of these images (their SHA-256): detections and embeddings; returns rows."""
        if not image_hashes:
            return 0
        n = 0
        with self.lock, self.con:
            for h in image_hashes:
                n += self.con.execute("DELETE FROM detections WHERE image = ?", (h,)).rowcount
                n += self.con.execute("DELETE FROM embeddings WHERE key LIKE ?", (f"%{h}%",)).rowcount
        self.con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return n

    def close(self) -> None:
        self.con.close()
        self._lock.close()


def detector_key(analyzer) -> str:
    det = analyzer.detector
    opts = {k: getattr(det, k) for k in ("detect_size", "min_face_size", "thresholds", "input_size") if hasattr(det, k)}
    return f"{det.name}:{json.dumps(opts, sort_keys=True, default=str)}"


def choose(faces: list[DetectedFace], shape: tuple[int, int], pick: str) -> DetectedFace | None:
    """The face an evaluation compares: nearest the image centre (LFW's subject) or the largest."""
    if not faces:
        return None
    if pick == "largest":
        return max(faces, key=lambda f: (round(f.size / 4), f.score))
    cy, cx = shape[0] / 2, shape[1] / 2
    return min(faces, key=lambda f: np.hypot((f.box[0] + f.box[2]) / 2 - cx, (f.box[1] + f.box[3]) / 2 - cy))


class CachedAnalyzer:
    """A :class:`core.faces.analyzer.FaceAnalyzer` whose detections and embeddings come from the cache when
    known: evaluations run through the real gallery code (enrolment policy, decisions) at cache speed."""

    def __init__(self, analyzer, cache: FaceCache | None = None):
        self.inner = analyzer
        self.cache = cache or FaceCache()
        self.embedder, self.detector, self.settings = analyzer.embedder, analyzer.detector, analyzer.settings
        self.dkey = detector_key(analyzer)
        self.prefix = f"{self.embedder.fingerprint[:16]}|{self.dkey}|{self.embedder.spec.template}"
        self._hashes: dict[str, str] = {}

    def image_hash(self, path: str) -> str:
        if path not in self._hashes:
            self._hashes[path] = sha256_file(Path(path))
        return self._hashes[path]

    def detect_cached(self, path: str, image: np.ndarray | None = None) -> list[DetectedFace]:
        h = self.image_hash(path)
        faces = self.cache.detections(h, self.dkey)
        if faces is None:
            faces = self.inner.detector.detect(image if image is not None else load_image(path))
            self.cache.put_detections(h, self.dkey, faces)
        return faces

    def for_role(self, role: str) -> CachedAnalyzer:
        """Itself: an evaluation runs every step (enrolment included) with the one detector it names."""
        return self

    def detect(self, image):
        return self.inner.detect(image)

    def align(self, image, faces):
        return self.inner.align(image, faces)

    def embed_faces(self, path: str, image: np.ndarray, faces: list[DetectedFace], flip: bool = False,
                    indexes: list[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(crops, unit embeddings) of ``faces`` of one image; cached per face index (-1 = fallback)."""
        indexes = list(range(len(faces))) if indexes is None else indexes
        h = self.image_hash(path)
        keys = [f"{self.prefix}|{h}|f{i}|{int(flip)}" for i in indexes]
        crops = self.align(image, faces)
        vecs = [self.cache.embedding(k) for k in keys]
        missing = [j for j, v in enumerate(vecs) if v is None or len(v) != self.embedder.dim]
        if missing:
            c = crops[missing]
            e = self.embedder.embed(c)
            if flip:
                e = e + self.embedder.embed(np.ascontiguousarray(c[:, :, ::-1]))
                e /= np.linalg.norm(e, axis=1, keepdims=True)
            self.cache.put_embeddings([(keys[j], e[m]) for m, j in enumerate(missing)])
            for m, j in enumerate(missing):
                vecs[j] = e[m]
        return crops, np.stack(vecs) if vecs else np.zeros((0, self.embedder.dim), np.float32)

    def analyze_paths(self, paths, progress=None, cancel=None, batch: int = 32, names=None):
        from core.faces import Face, ImageResult

        paths = [str(p) for p in paths]
        for k, p in enumerate(paths):
            if cancel is not None and cancel():
                raise Cancelled("Cancelled; nothing after the last reported image was processed.")
            res = ImageResult(path=names[k] if names else p)
            try:
                img = load_image(p)
                res.image_shape = img.shape[:2]
                faces = self.detect_cached(p, img)
                crops, embs = self.embed_faces(p, img, faces)
                res.faces = [Face(d, c, e) for d, c, e in zip(faces, crops, embs)]
            except BadInput as exc:
                res.error = exc
            if progress is not None:
                progress(k + 1, len(paths), p)
            yield res


@dataclass
class EmbeddedSet:
    """Embeddings (N, D) of N images (unit rows); ``no_face[i]`` when image i had no face and was aligned
    from the average landmark position of the set instead; ``faces[i]`` the chosen detection (or None)."""

    embeddings: np.ndarray
    no_face: np.ndarray
    faces: list


def embed_images(paths: list[str], analyzer, pick: str = "centre", flip: bool = False,
                 progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> EmbeddedSet:
    """One embedding per image: detect (cached), choose the face (``pick``), align, embed (cached)."""
    ca = analyzer if isinstance(analyzer, CachedAnalyzer) else CachedAnalyzer(analyzer)
    n = len(paths)
    chosen, shapes = [], []
    for i, p in enumerate(paths):  # pass 1: detections
        if cancel is not None and cancel():
            raise Cancelled("Evaluation cancelled; the detections so far are cached.")
        try:
            faces = ca.detect_cached(p)
        except BadInput:
            faces = []
        with Image.open(p) as im:
            w, h = im.size
            shapes.append((w, h) if (im.getexif() or {}).get(0x0112, 1) in (5, 6, 7, 8) else (h, w))
        c = choose(faces, shapes[-1], pick)
        chosen.append((next(i for i, f in enumerate(faces) if f is c), c) if c is not None else (-1, None))
        if progress is not None:
            progress(i + 1, 2 * n, p)
    found = [c.landmarks / np.array([s[1], s[0]], np.float32) for (_, c), s in zip(chosen, shapes) if c is not None]
    mean_lm = np.mean(found, axis=0) if found else \
        np.array([[0.35, 0.4], [0.65, 0.4], [0.5, 0.55], [0.38, 0.75], [0.62, 0.75]], np.float32)
    out = np.zeros((n, ca.embedder.dim), np.float32)
    pending: list[tuple[int, int, DetectedFace, str]] = []

    def flush():
        crops = []
        for i, _idx, face, _key in pending:
            crops.append(align_face(load_image(paths[i]), face.landmarks, ca.embedder.spec.alignment()))
        crops = np.stack(crops)
        e = ca.embedder.embed(crops)
        if flip:
            e = e + ca.embedder.embed(np.ascontiguousarray(crops[:, :, ::-1]))
            e /= np.linalg.norm(e, axis=1, keepdims=True)
        ca.cache.put_embeddings([(key, e[j]) for j, (_i, _x, _f, key) in enumerate(pending)])
        for j, (i, _x, _f, _k) in enumerate(pending):
            out[i] = e[j]
        pending.clear()

    for i, p in enumerate(paths):  # pass 2: embeddings, cached per face, computed in batches
        if cancel is not None and cancel():
            raise Cancelled("Evaluation cancelled; the embeddings so far are cached.")
        idx, face = chosen[i]
        if face is None:
            h, w = shapes[i]
            face = DetectedFace(np.array([0, 0, w, h], np.float32), (mean_lm * [w, h]).astype(np.float32), 0.0)
        key = f"{ca.prefix}|{ca.image_hash(p)}|f{idx}|{int(flip)}"
        v = ca.cache.embedding(key)
        if v is not None and len(v) == ca.embedder.dim:
            out[i] = v
        else:
            pending.append((i, idx, face, key))
            if len(pending) >= 32:
                flush()
        if progress is not None:
            progress(n + i + 1, 2 * n, p)
    if pending:
        flush()
    return EmbeddedSet(out, np.array([c is None for _, c in chosen]), [c for _, c in chosen])
