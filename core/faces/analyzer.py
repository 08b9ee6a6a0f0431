"""Detect -> align -> embed for images and frames: the engine's one pipeline."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.config import ROLE_DETECTORS, Settings, load_settings
from core.errors import BadInput, Cancelled, FaceRecError, UsageError
from core.faces.alignment import align_face, crop_scale
from core.faces.detection import DetectedFace, get_detector
from core.faces.embedding import Embedder, get_embedder, resolve_runtime
from core.faces.imageio import Photo, decode_photo, ensure_rgb8
from core.faces.quality import Quality, assess
from core.progress import CancelFn, ProgressFn


@dataclass
class Face:
    """A detected face with its aligned crop (S, S, 3 uint8) and unit embedding (D,) float32; ``image_size``: the
    (H, W) of the image its detection's pixels refer to (None when not known: framing is then not judged)."""

    detection: DetectedFace
    crop: np.ndarray
    embedding: np.ndarray
    image_size: tuple[int, int] | None = None
    _quality: Quality | None = field(default=None, repr=False, compare=False)

    @property
    def quality(self) -> Quality:
        """Size, sharpness, pose, confidence and framing (see :mod:`core.faces.quality`), computed once."""
        if self._quality is None:
            self._quality = assess(self.detection, self.crop, self.image_size)
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
    image_shape: tuple[int, int] | None = None   # (H, W) of the full-size photo
    taken: str | None = None                     # EXIF capture date (ISO 8601), when the photo has one
    orientation: int = 1                         # EXIF orientation (1..8) of the stored image
    xmp: bytes | str | None = field(default=None, repr=False)   # the XMP packet embedded in the photo, if any


def capture_label(i: int) -> str:
    """How the i-th in-memory frame (a live capture) is named in reports."""
    return f"capture-{i}"


def detector_options(settings: Settings, name: str) -> dict:
    """Settings that apply to a detector (MTCNN's canvas and smallest face; the runtime of yunet-onet's O-Net)."""
    if name == "mtcnn":
        return {"detect_size": settings.detect_size, "min_face_size": settings.min_face_size}
    if name == "yunet-onet":
        return {"runtime": resolve_runtime(settings.runtime)}
    return {}


MAX_CROP_ENLARGEMENT = 1.0  # a face decoded at reduced size may be enlarged this much into its aligned crop


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
        self.embedder: Embedder = get_embedder(self.settings.model, warmup=warmup, runtime=self.settings.runtime)
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
        image = ensure_rgb8(image)
        with self.detector.lock:
            return self.detector.detect(image)

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
        dets = self.detect(image)
        if max_faces is not None:
            dets = dets[:max_faces]
        crops = self.align(image, dets)
        embs = self.embedder.embed(crops)
        return [Face(d, c, e, image.shape[:2]) for d, c, e in zip(dets, crops, embs)]

    def detect_photo(self, photo: Photo) -> tuple[Photo, list[DetectedFace]]:
        """Faces of a decoded photo, in the pixels of the photo returned: a photo decoded at reduced size is
        decoded again, just large enough, when a face's aligned crop would otherwise be enlarged from fewer
        pixels than it has (its landmarks are then placed again at that size). Faces smaller than
        ``min_face_px`` in the full photo do not count (they are refused or unknown anyway)."""
        dets = self.detect(photo.pixels)
        if photo.scale >= 1.0 or not dets:
            return photo, dets
        tmpl = self.embedder.spec.alignment()
        usable = [crop_scale(d.landmarks, tmpl) for d in dets if d.size / photo.scale >= self.settings.min_face_px]
        if not usable or max(usable) <= MAX_CROP_ENLARGEMENT:
            return photo, dets
        bigger = photo.at_scale(photo.scale * max(usable) / MAX_CROP_ENLARGEMENT)  # decoding runs unlocked
        k = bigger.scale / photo.scale
        with self.detector.lock:
            return bigger, self.detector.refine(bigger.pixels, [d.scaled(k) for d in dets])

    def analyze_paths(self, paths: Iterable[str | Path | np.ndarray], progress: ProgressFn | None = None,
                      cancel: CancelFn | None = None, batch: int = 32,
                      names: list[str] | None = None) -> Iterator[ImageResult]:
        """Yield one :class:`ImageResult` per item, in order. Items are paths or in-memory RGB frames
        (named ``names[i]``, default :func:`capture_label`). Photos are decoded at the size needed
        (:func:`core.faces.imageio.decode_photo`); boxes and landmarks are reported in full-size pixels.
        Embeds across images in batches."""
        paths = list(paths)
        labels = names or [capture_label(i) if isinstance(p, np.ndarray) else str(p) for i, p in enumerate(paths)]
        pending: list[tuple[ImageResult, np.ndarray, list[DetectedFace], float]] = []

        def flush():
            crops = [self.align(img, dets) for _, img, dets, _ in pending]
            flat = np.concatenate(crops) if crops else np.zeros((0,))
            embs = self.embedder.embed(flat) if len(flat) else np.zeros((0, self.embedder.dim), np.float32)
            i = 0
            for (res, _img, dets, scale), c in zip(pending, crops):
                res.faces = [Face(d.scaled(1.0 / scale) if scale != 1.0 else d, c[j], embs[i + j], res.image_shape)
                             for j, d in enumerate(dets)]
                i += len(dets)
            out = [r for r, _, _, _ in pending]
            pending.clear()
            return out

        n_faces = 0
        found = decoded(paths, labels, self.settings.decode_size, ahead=4, then=self.detect_photo)
        for k, (item, error) in enumerate(found):
            if cancel is not None and cancel():
                raise Cancelled("Cancelled; nothing after the last reported image was processed.")
            res = ImageResult(path=labels[k])
            try:
                if error is not None:
                    raise error
                assert item is not None
                photo, dets = item
                res.image_shape, res.taken = photo.full_size[::-1], photo.taken
                res.orientation, res.xmp = photo.orientation, photo.xmp
                pending.append((res, photo.pixels, dets, photo.scale))
                n_faces += len(dets)
            except BadInput as exc:
                res.error = exc
                pending.append((res, np.zeros((1, 1, 3), np.uint8), [], 1.0))
            if progress is not None:
                progress(k + 1, len(paths), labels[k])
            if n_faces >= batch:
                yield from flush()
                n_faces = 0
        yield from flush()


def decoded(items: list, labels: list[str], decode_size: int = 0, ahead: int = 4,
            then: Callable[[Photo], Any] | None = None) -> Iterator[tuple[Any, BadInput | None]]:
    """(photo or None, error or None) per item, in order: paths decoded at ``decode_size`` (long side; 0 = full
    size), frames as they are; with ``then``, (then(photo) or None, error or None). Up to ``ahead`` items are
    decoded (and passed to ``then``) in background threads while the caller embeds (Pillow, OpenCV and LiteRT
    release the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    def load(i):
        p = items[i]
        try:
            if isinstance(p, np.ndarray):
                img = ensure_rgb8(p)
                photo = Photo(img, 1.0, (img.shape[1], img.shape[0]), labels[i])
            else:
                photo = decode_photo(p, long_side=decode_size or None)
            return (photo if then is None else then(photo)), None
        except BadInput as exc:
            return None, exc

    if len(items) <= 1:
        yield from (load(i) for i in range(len(items)))
        return
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="facerec-decode") as pool:
        futures = [pool.submit(load, i) for i in range(min(ahead, len(items)))]
        for i in range(len(items)):
            if i + ahead < len(items):
                futures.append(pool.submit(load, i + ahead))
            yield futures[i].result()
            futures[i] = None  # let the decoded image go once it is handed over


def primary_face(faces: list[Face]) -> Face:
    """The face a one-person call means: the largest box, ties broken by score."""
    return max(faces, key=lambda f: (round(f.detection.size / 4), f.detection.score))


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Cosine similarity of two unit vectors, in [-1, 1]."""
    return float(np.clip(np.dot(a, b), -1.0, 1.0))
