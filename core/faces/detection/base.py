"""Detector interface and the face record every stage passes along."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass
class DetectedFace:
    """One face in image pixel coordinates.

    ``box``: (4,) float32 x1, y1, x2, y2. ``landmarks``: (5, 2) float32 (left eye,
    right eye, nose, left mouth, right mouth). ``score``: detector confidence 0..1.
    ``found_box``: where a two-stage detector's first stage found the face (None for one-stage detectors).
    """

    box: np.ndarray
    landmarks: np.ndarray
    score: float
    found_box: np.ndarray | None = None  # the finding stage's box, before a landmark stage refined it


    @property
    def xywh(self) -> list[float]:
        x1, y1, x2, y2 = (float(v) for v in self.box)
        return [round(x1, 1), round(y1, 1), round(x2 - x1, 1), round(y2 - y1, 1)]

    @property
    def size(self) -> float:
        """Shorter side of the box in pixels."""
        return float(min(self.box[2] - self.box[0], self.box[3] - self.box[1]))

    def scaled(self, k: float) -> DetectedFace:
        """The same face in an image ``k`` times as large (box and landmarks multiplied by ``k``)."""
        return DetectedFace(box=(self.box * k).astype(np.float32), landmarks=(self.landmarks * k).astype(np.float32),
                            score=self.score, found_box=None if self.found_box is None else
                            (self.found_box * k).astype(np.float32))


class Detector(ABC):
    """Finds faces in an (H, W, 3) uint8 RGB image. Detectors are cached and shared, and their networks are
    not thread-safe: callers that may share one across threads hold its ``lock``."""

    name: str = "detector"
    gives_landmarks: bool = True

    def __new__(cls, *args, **kwargs):
        self = super().__new__(cls)
        self.lock = threading.Lock()
        return self

    @abstractmethod
    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        """Faces sorted by descending score."""

    def refine(self, image: np.ndarray, faces: list[DetectedFace]) -> list[DetectedFace]:
        """``faces`` found at a lower resolution, placed again on ``image`` (here: unchanged; detectors with a
        landmark stage run it again at this resolution)."""
        return faces

    def warmup(self) -> None:
        self.detect(np.zeros((480, 640, 3), np.uint8))
