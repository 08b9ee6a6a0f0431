"""Who was seen: one :class:`Appearance` per track of the live view or ``facerec watch`` (pure data, Qt-free).

Each entry holds the track's name (None: unknown), first and last time seen (seconds of the source), frames, the
decision's pooled score, the best quality seen and up to ``KEEP_FACES`` of its best faces (RGB crops of the frame
around the face, at most ``FACE_PX`` a side: what the window shows and what enrolling a stranger uses).

Nothing is written anywhere unless asked: :meth:`AppearanceLog.save` writes a plain CSV or JSON export to a file
the user chose (outside the app's folders; faces are left out unless ``faces=True``, JSON only).
"""

from __future__ import annotations

import base64
import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

KEEP_FACES = 3        # best faces kept per track (for the side list and for enrolment)
FACE_PX = 160         # a kept face's longer side at most (pixels)
MAX_WITH_FACES = 200  # entries that keep their faces; older ones keep only their figures (memory stays bounded)
CSV_FIELDS = ("track", "name", "first_s", "last_s", "frames", "score", "quality", "switched_from")


@dataclass
class Appearance:
    """One track: ``faces``: [(quality, (h, w, 3) uint8 RGB crop)], best first."""

    track_id: int
    first_seen: float
    last_seen: float
    frames: int = 0
    name: str | None = None
    score: float = -1.0
    quality: float = 0.0
    switched_from: str | None = None       # the track this one split from was named this (a name change)
    faces: list[tuple[float, np.ndarray]] = field(default_factory=list, repr=False)
    active: bool = True

    @property
    def best_face(self) -> np.ndarray | None:
        return self.faces[0][1] if self.faces else None

    @property
    def label(self) -> str:
        return self.name or "unknown"

    def offer_face(self, quality: float, crop: np.ndarray) -> None:
        """Keep ``crop`` if it is among the ``KEEP_FACES`` best seen (by quality)."""
        if len(self.faces) >= KEEP_FACES and quality <= self.faces[-1][0]:
            return
        self.faces.append((float(quality), _shrink(crop)))
        self.faces.sort(key=lambda f: -f[0])
        del self.faces[KEEP_FACES:]
        self.quality = max(self.quality, float(quality))

    def to_json(self, faces: bool = False) -> dict:
        doc = {"track": self.track_id, "name": self.name, "first_s": round(self.first_seen, 3),
               "last_s": round(self.last_seen, 3), "frames": self.frames, "score": round(self.score, 4),
               "quality": round(self.quality, 3),
               **({"switched_from": self.switched_from} if self.switched_from else {})}
        if faces:
            doc["faces"] = [_jpeg_b64(c) for _q, c in self.faces]
        return doc


def face_region(image: np.ndarray, box, margin: float = 0.4) -> np.ndarray:
    """(h, w, 3) crop of ``image`` around ``box`` (x1, y1, x2, y2) with ``margin`` of its size on each side:
    enough context for a detector to find the face again (enrolment)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    a, b = int(max(0, x1 - mx)), int(max(0, y1 - my))
    c, d = int(min(w, x2 + mx)), int(min(h, y2 + my))
    return np.ascontiguousarray(image[b:max(d, b + 1), a:max(c, a + 1)])


class AppearanceLog:
    """The appearances of one session, in order of first sight; ``update`` per frame, ``end`` when a track ends."""

    def __init__(self) -> None:
        self.entries: list[Appearance] = []
        self._by_id: dict[int, Appearance] = {}

    def seen(self, track_id: int, now: float, name: str | None, score: float,
             switched_from: str | None = None) -> Appearance:
        """Record one frame of a track (created on first sight); the name and score are the track's decision now
        (a name, once given, is kept in the entry when the track later falls back to unknown)."""
        a = self._by_id.get(track_id)
        if a is None:
            a = Appearance(track_id, now, now, switched_from=switched_from)
            self._by_id[track_id] = a
            self.entries.append(a)
            self._trim()
        a.last_seen, a.frames, a.active = now, a.frames + 1, True
        if name is not None or a.name is None:
            a.name, a.score = name, float(score)
        return a

    def end(self, track_ids) -> None:
        for i in track_ids:
            a = self._by_id.get(i)
            if a is not None:
                a.active = False

    def get(self, track_id: int) -> Appearance | None:
        return self._by_id.get(track_id)

    def clear(self) -> None:
        self.entries.clear()
        self._by_id.clear()

    def _trim(self) -> None:
        if len(self.entries) > MAX_WITH_FACES:
            for a in self.entries[:-MAX_WITH_FACES]:
                if not a.active:
                    a.faces = a.faces[:0]

    # ------------------------------------------------------------ summaries and exports

    def summary(self, min_frames: int = 1) -> list[dict]:
        """Per track, in order of first sight (tracks seen in fewer than ``min_frames`` frames left out)."""
        return [a.to_json() for a in self.entries if a.frames >= min_frames]

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        for a in self.entries:
            w.writerow({**{k: "" for k in CSV_FIELDS}, **a.to_json(), "name": a.name or ""})
        return buf.getvalue()

    def to_json(self, faces: bool = False) -> dict:
        return {"appearances": [a.to_json(faces) for a in self.entries],
                "people": sorted({a.name for a in self.entries if a.name}),
                "unknown_tracks": sum(1 for a in self.entries if a.name is None)}

    def save(self, path: str | Path, faces: bool = False) -> Path:
        """A plain export the user asked for: ``.csv`` or ``.json`` (by the suffix), written atomically. Refused
        inside the app's own folders, where everything that holds faces is encrypted (docs/privacy.md)."""
        from core.errors import UsageError
        from core.fileutil import write_bytes_atomic
        from core.paths import cache_dir, config_dir, data_dir

        path = Path(path)
        where = path.expanduser().resolve()
        for home in (data_dir(), cache_dir(), config_dir()):
            if where.is_relative_to(Path(home).expanduser().resolve()):
                raise UsageError(f"{path} is inside the app's folder {home}, where faces are kept encrypted; save the "
                                 "log (a plain file) somewhere else.")
        text = self.to_csv() if path.suffix.lower() == ".csv" else json.dumps(self.to_json(faces), indent=1) + "\n"
        write_bytes_atomic(path, text.encode())
        return path


def _shrink(crop: np.ndarray) -> np.ndarray:
    import cv2

    h, w = crop.shape[:2]
    s = FACE_PX / max(h, w, 1)
    if s >= 1:
        return np.ascontiguousarray(crop)
    return cv2.resize(crop, (max(1, int(w * s)), max(1, int(h * s))), interpolation=cv2.INTER_AREA)


def _jpeg_b64(crop: np.ndarray) -> str:
    import cv2

    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return base64.b64encode(buf.tobytes()).decode() if ok else ""
