"""A fake analyzer for testing gallery logic without TensorFlow (beside the real-face tests).

Synthetic "photos" encode a person: a flat image of the person's colour with a
random texture. The fake detector finds one face covering the image (none in a
black image, two in an image whose left and right halves differ); the fake
embedder maps a crop to its person's fixed direction plus a small deterministic
offset from the crop's bytes, so photos of one person score ~0.9 against each
other and ~0 against others.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from PIL import Image

from core.errors import BadInput
from core.faces import DetectedFace, Face, ImageResult, capture_label, load_image
from core.zoo import ModelSpec

DIM = 32
SIZE = 112


def photo(path: Path, person: int, variant: int, two_faces: bool = False) -> Path:
    """Write a synthetic photo of ``person`` (a distinct colour), ``variant`` its texture seed."""
    rng = np.random.default_rng(1000 * person + variant)
    colour = np.array([(37 * person) % 200 + 40, (91 * person) % 200 + 40, (53 * person) % 200 + 40], np.uint8)
    img = np.clip(colour[None, None] + rng.integers(-12, 13, (120, 120, 3)), 0, 255).astype(np.uint8)
    if two_faces:
        img[:, 60:] = 255 - img[:, 60:]
    Image.fromarray(img).save(path)
    return path


class FakeEmbedder:
    def __init__(self, name: str = "fake", version: str = "v1"):
        self.spec = ModelSpec(name=name, family="fake", input_size=SIZE, embedding_size=DIM, template="arcface112",
                              preprocess="arcface", licence="test", commercial_use=True, kind="keras", path="",
                              fallback_threshold=0.5)
        self.fingerprint = hashlib.sha256(f"{name}{version}".encode()).hexdigest()
        self.version = version
        self.calls = 0

    name = property(lambda self: self.spec.name)
    dim = property(lambda self: DIM)
    input_size = property(lambda self: SIZE)
    model_key = property(lambda self: f"{self.spec.name}:{self.fingerprint[:12]}")

    def embed(self, crops: np.ndarray) -> np.ndarray:
        self.calls += 1
        out = []
        for c in np.asarray(crops):
            colour = tuple(int(v) // 8 for v in np.median(c.reshape(-1, 3), axis=0))
            base = np.random.default_rng(abs(hash((colour, self.version))) % (2**32)).standard_normal(DIM)
            noise = np.random.default_rng(int(hashlib.sha256(c.tobytes()).hexdigest()[:8], 16)).standard_normal(DIM)
            v = base / np.linalg.norm(base) + 0.35 * noise / np.linalg.norm(noise)
            out.append(v / np.linalg.norm(v))
        return np.asarray(out, np.float32).reshape(-1, DIM)


class FakeDetector:
    name = "fake"

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        h, w = image.shape[:2]
        if image.max() < 10:
            return []
        lm = np.array([[0.35, 0.4], [0.65, 0.4], [0.5, 0.55], [0.38, 0.75], [0.62, 0.75]], np.float32)
        left, right = image[:, : w // 2].mean(), image[:, w // 2:].mean()
        if abs(left - right) > 40:  # two faces side by side
            return [DetectedFace(np.array([x, 0, x + w / 2, h], np.float32), lm * [w / 2, h] + [x, 0], 0.99)
                    for x in (0, w / 2)]
        return [DetectedFace(np.array([0, 0, w, h], np.float32), lm * [w, h], 0.99)]


class FakeAnalyzer:
    """The interface the gallery uses: ``embedder``, ``detector``, ``analyze_paths``, ``align``."""

    def __init__(self, embedder: FakeEmbedder | None = None):
        self.embedder = embedder or FakeEmbedder()
        self.detector = FakeDetector()

    def for_role(self, role):
        return self

    def align(self, image, faces):
        import cv2

        return np.stack([cv2.resize(image, (SIZE, SIZE)) for _ in faces]) if faces else \
            np.zeros((0, SIZE, SIZE, 3), np.uint8)

    def analyze(self, image):
        dets = self.detector.detect(image)
        crops = self.align(image, dets)
        return [Face(d, c, e) for d, c, e in zip(dets, crops, self.embedder.embed(crops))]

    def analyze_paths(self, paths, progress=None, cancel=None, batch=32, names=None):
        paths = list(paths)
        labels = names or [capture_label(i) if isinstance(p, np.ndarray) else str(p) for i, p in enumerate(paths)]
        for k, p in enumerate(paths):
            res = ImageResult(path=labels[k])
            try:
                img = p if isinstance(p, np.ndarray) else load_image(p)
                res.faces = self.analyze(img)
            except BadInput as exc:
                res.error = exc
            yield res
