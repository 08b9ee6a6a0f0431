"""Detect -> align -> embed for images and frames: the engine's one pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.config import ROLE_DETECTORS, Settings, load_settings
from core.errors import BadInput, Cancelled, FaceRecError, UsageError
from core.faces.alignment import align_face
from core.faces.detection import DetectedFace, get_detector
from core.faces.embedding import Embedder, get_embedder
from core.faces.imageio import ensure_rgb8, load_image
from core.faces.quality import Quality, assess

ProgressFn = Callable[[int, int, str], None]
CancelFn = Callable[[], bool]


@dataclass
class Face:
    """A detected face with its aligned crop (S, S, 3 uint8) and unit embedding (D,) float32."""

    detection: DetectedFace
    crop: np.ndarray
    embedding: np.ndarray
    _quality: Quality | None = field(default=None, repr=False, compare=False)

    @property
    def quality(self) -> Quality:
        """Size, sharpness, pose and confidence (see :mod:`core.faces.quality`), computed once."""
        if self._quality is None:
            self._quality = assess(self.detection, self.crop)
        return self._quality

    @property
    def box(self) -> np.ndarray:
        return self.detection.box

    @property
    def score(self) -> float:
        return self.detection.score

    def to_json(self, with_embedding: bool = True) -> dict:
        d = {
            "box": self.detection.xywh,
            "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in self.detection.landmarks],
            "score": round(float(self.detection.score), 4),
            "quality": round(self.quality.score, 3),
        }
        if with_embedding:
            d["embedding"] = [round(float(v), 6) for v in self.embedding]
        return d


@dataclass
class ImageResult:
    """Outcome for one input: ``faces`` or an ``error`` (a FaceRecError), never both."""

    path: str
    faces: list[Face] = field(default_factory=list)
    error: FaceRecError | None = None
    image_shape: tuple[int, int] | None = None


def capture_label(i: int) -> str:
    """How the i-th in-memory frame (a live capture) is named in reports."""
    return f"capture-{i}"


def detector_options(settings: Settings, name: str) -> dict:
    """Settings that apply to a detector (MTCNN's canvas and smallest face)."""
    if name == "mtcnn":
        return {"detect_size": settings.detect_size, "min_face_size": settings.min_face_size}
    return {}


class FaceAnalyzer:
    """Holds one detector and one embedder; thread-safe for sequential calls.

    ``role`` picks the settings' detector: "photos" (represent, verify, identify), "enrol" or "live"
    (the live view, ``watch``); ``detector`` overrides it.
    """

    def __init__(self, settings: Settings | None = None, model: str | None = None, detector: str | None = None,
                 warmup: bool = True, role: str = "photos"):
        if role not in ROLE_DETECTORS:
            raise UsageError(f"Unknown analyzer role '{role}'; use one of {', '.join(ROLE_DETECTORS)}.")
        base = settings or load_settings()
        self.role = role
        self.settings = base.replace(model=model, **{ROLE_DETECTORS[role]: detector})
        self.embedder: Embedder = get_embedder(self.settings.model, warmup=warmup)
        name = getattr(self.settings, ROLE_DETECTORS[role])
        self.detector = get_detector(name, **detector_options(self.settings, name))
        self._roles: dict[str, FaceAnalyzer] = {}

    def for_role(self, role: str) -> FaceAnalyzer:
        """The same model with the settings' detector for ``role`` (``self`` when that is this detector)."""
        if getattr(self.settings, ROLE_DETECTORS[role]) == self.detector.name:
            return self
        if role not in self._roles:  # built once: the embedder and detector are shared (cached)
            self._roles[role] = FaceAnalyzer(self.settings, warmup=False, role=role)
        return self._roles[role]

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        return self.detector.detect(ensure_rgb8(image))

    def align(self, image: np.ndarray, faces: list[DetectedFace]) -> np.ndarray:
        """(N, S, S, 3) uint8 crops for ``faces`` of ``image``."""
        s = self.embedder.input_size
        if not faces:
            return np.zeros((0, s, s, 3), np.uint8)
        tmpl = self.embedder.spec.alignment()
        return np.stack([align_face(image, f.landmarks, tmpl) for f in faces])

    def analyze(self, image: np.ndarray, max_faces: int | None = None) -> list[Face]:
        """All faces of an in-memory RGB image, best-scoring first."""
        image = ensure_rgb8(image)
        dets = self.detector.detect(image)
        if max_faces is not None:
            dets = dets[:max_faces]
        crops = self.align(image, dets)
        embs = self.embedder.embed(crops)
        return [Face(d, c, e) for d, c, e in zip(dets, crops, embs)]

    def analyze_paths(self, paths: Iterable[str | Path | np.ndarray], progress: ProgressFn | None = None,
                      cancel: CancelFn | None = None, batch: int = 32,
                      names: list[str] | None = None) -> Iterator[ImageResult]:
        """Yield one :class:`ImageResult` per item, in order. Items are paths or in-memory RGB frames
        (named ``names[i]``, default :func:`capture_label`). Embeds across images in batches."""
        paths = list(paths)
        labels = names or [capture_label(i) if isinstance(p, np.ndarray) else str(p) for i, p in enumerate(paths)]
        pending: list[tuple[ImageResult, np.ndarray, list[DetectedFace]]] = []

        def flush():
            crops = [self.align(img, dets) for _, img, dets in pending]
            flat = np.concatenate(crops) if crops else np.zeros((0,))
            embs = self.embedder.embed(flat) if len(flat) else np.zeros((0, self.embedder.dim), np.float32)
            i = 0
            for (res, _img, dets), c in zip(pending, crops):
                res.faces = [Face(d, c[j], embs[i + j]) for j, d in enumerate(dets)]
                i += len(dets)
            out = [r for r, _, _ in pending]
            pending.clear()
            return out

        n_faces = 0
        for k, (_item, img, error) in enumerate(decoded(paths, ahead=4)):
            if cancel is not None and cancel():
                raise Cancelled("Cancelled; nothing after the last reported image was processed.")
            res = ImageResult(path=labels[k])
            try:
                if error is not None:
                    raise error
                res.image_shape = img.shape[:2]
                dets = self.detector.detect(img)
                pending.append((res, img, dets))
                n_faces += len(dets)
            except BadInput as exc:
                res.error = exc
                pending.append((res, np.zeros((1, 1, 3), np.uint8), []))
            if progress is not None:
                progress(k + 1, len(paths), labels[k])
            if n_faces >= batch:
                yield from flush()
                n_faces = 0
        yield from flush()


def decoded(items: list, ahead: int = 4) -> Iterator[tuple[object, np.ndarray | None, BadInput | None]]:
    """(item, RGB image or None, error or None) in order, decoding up to ``ahead`` files in background
    threads while the caller detects and embeds (Pillow and OpenCV release the GIL while decoding)."""
    from concurrent.futures import ThreadPoolExecutor

    def load(p):
        try:
            return p, (ensure_rgb8(p) if isinstance(p, np.ndarray) else load_image(p)), None
        except BadInput as exc:
            return p, None, exc

    if len(items) <= 1:
        yield from (load(p) for p in items)
        return
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="facerec-decode") as pool:
        futures = [pool.submit(load, p) for p in items[:ahead]]
        for i in range(len(items)):
            if i + ahead < len(items):
                futures.append(pool.submit(load, items[i + ahead]))
            yield futures[i].result()
            futures[i] = None  # let the decoded image go once it is handed over


def primary_face(faces: list[Face]) -> Face:
    """The face a one-person call means: the largest box, ties broken by score."""
    return max(faces, key=lambda f: (round(f.detection.size / 4), f.detection.score))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two unit vectors, in [-1, 1]."""
    return float(np.clip(np.dot(a, b), -1.0, 1.0))
