"""A small IoU tracker so live video re-embeds each face only now and then (Qt-free)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.faces import DetectedFace


def iou(a: np.ndarray, b: np.ndarray) -> float:
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


@dataclass
class Track:
    id: int
    detection: DetectedFace
    first_seen: float
    last_seen: float
    embedded_at: float | None = None
    embedding: np.ndarray | None = None
    candidates: list[tuple[str, float]] = field(default_factory=list)
    signature: np.ndarray | None = None   # appearance when last embedded (see appearance_signature)
    quality: float | None = None          # of the face when last embedded (see core.faces.quality)
    missed: int = 0

    @property
    def box(self) -> np.ndarray:
        return self.detection.box


class IoUTracker:
    """Greedy IoU matching of detections to tracks; a track is dropped after ``max_missed`` misses."""

    def __init__(self, min_iou: float = 0.3, max_missed: int = 8):
        self.min_iou, self.max_missed = min_iou, max_missed
        self.tracks: list[Track] = []
        self._next = 1

    def update(self, dets: list[DetectedFace], now: float) -> list[Track]:
        pairs = sorted(((iou(t.box, d.box), ti, di) for ti, t in enumerate(self.tracks) for di, d in enumerate(dets)),
                       reverse=True)
        used_t, used_d = set(), set()
        for score, ti, di in pairs:
            if score < self.min_iou or ti in used_t or di in used_d:
                continue
            t = self.tracks[ti]
            t.detection, t.last_seen, t.missed = dets[di], now, 0
            used_t.add(ti)
            used_d.add(di)
        for ti, t in enumerate(self.tracks):
            if ti not in used_t:
                t.missed += 1
        self.tracks = [t for t in self.tracks if t.missed <= self.max_missed]
        for di, d in enumerate(dets):
            if di not in used_d:
                self.tracks.append(Track(self._next, d, now, now))
                self._next += 1
        return [t for t in self.tracks if t.missed == 0]

    def reset(self) -> None:
        self.tracks.clear()


def appearance_signature(image: np.ndarray, box: np.ndarray, size: int = 16) -> np.ndarray:
    """Zero-mean, unit-norm (size*size,) grey patch of the box: a microsecond check that a track
    still shows the same face (a scene cut at the same place changes it even when the box does not)."""
    import cv2

    h, w = image.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x1, y1, x2, y2 = max(0, x1), max(0, y1), min(w, max(x1 + 1, x2)), min(h, max(y1 + 1, y2))
    patch = cv2.resize(cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_RGB2GRAY), (size, size),
                       interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
    patch -= patch.mean()
    return patch / max(float(np.linalg.norm(patch)), 1e-6)
