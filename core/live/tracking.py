"""Face tracks across frames (Qt-free): IoU matching, a track lost for a moment found again nearby, and a track
ended on demand (a cut, another face) so the face after it starts a new id."""

from __future__ import annotations

from dataclasses import dataclass

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
    embedded_at: float | None = None      # when a face of it was last embedded (None: never, or to be checked)
    signature: np.ndarray | None = None   # appearance in the last frame (see appearance_signature)
    quality: float | None = None          # of the face when last embedded (see core.faces.quality)
    missed: int = 0

    @property
    def box(self) -> np.ndarray:
        return self.detection.box


REFIND_DISTANCE = 1.5    # a lost track is found again by a face whose centre is within this many box sizes


class IoUTracker:
    """Greedy IoU matching of detections to tracks; a track missed for up to ``max_missed`` frames is found again
    by a face near where it was (:data:`REFIND_DISTANCE`, a similar size), and dropped after that. :meth:`split`
    ends a track and starts a new id in its place; ``ended`` collects the ids that ended since it was emptied."""

    def __init__(self, min_iou: float = 0.3, max_missed: int = 25):
        self.min_iou, self.max_missed = min_iou, max_missed
        self.tracks: list[Track] = []
        self.ended: list[int] = []
        self._next = 1

    def update(self, dets: list[DetectedFace], now: float) -> list[Track]:
        lost = {t.id: t for t in self.tracks if t.missed > 0}
        before = {t.id for t in self.tracks}
        live = self._match(dets, now)
        lost = {i: t for i, t in lost.items() if t.missed > 0 and t in self.tracks}   # still lost, still kept
        for t in [t for t in live if t.id not in before]:  # a "new" track near a lost one is the lost one, found again
            c, size = _centre(t.box), _size(t.box)
            near = [(float(np.hypot(*(_centre(o.box) - c))) / max(size, 1.0), o) for o in lost.values()
                    if 0.6 < _size(o.box) / max(size, 1.0) < 1.6]
            near = [(d, o) for d, o in near if d <= REFIND_DISTANCE]
            if not near:
                continue
            old = min(near, key=lambda x: x[0])[1]
            del lost[old.id]
            old.detection, old.last_seen, old.missed = t.detection, now, 0
            old.embedded_at = None       # embed it first: its embedding must agree with the track's evidence
            self.tracks.remove(t)
        self.ended += sorted(before - {t.id for t in self.tracks})
        return [t for t in self.tracks if t.missed == 0]

    def split(self, track: Track) -> Track:
        """End ``track`` and start a new track (a new id, nothing carried) on its current face."""
        new = Track(self._next, track.detection, track.last_seen, track.last_seen)
        self._next += 1
        self.tracks[self.tracks.index(track)] = new
        self.ended.append(track.id)
        return new

    def _match(self, dets: list[DetectedFace], now: float) -> list[Track]:
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
        self.ended += [t.id for t in self.tracks]
        self.tracks.clear()


def _centre(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2], np.float64)


def _size(box: np.ndarray) -> float:
    return float(max(box[2] - box[0], box[3] - box[1]))


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
