"""Live recognition: detect every frame, track faces, embed each track only now and then (Qt-free).

A track is (re-)embedded when it is new or its last embedding is older than
``refresh_s``; in between, it keeps its identity. Names are derived from the stored
candidates at the current threshold, so moving the threshold takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.capture import Frame
from core.gallery.service import decide_name
from core.tracking import IoUTracker, appearance_signature


@dataclass
class FaceView:
    """What the GUI draws and the CLI prints for one face in one frame."""

    track_id: int
    box: list[float]            # x, y, w, h in frame pixels
    name: str | None
    score: float
    candidates: list[tuple[str, float]]
    det_score: float

    def at_threshold(self, threshold: float) -> FaceView:
        """The same face decided again at another threshold (the GUI's slider)."""
        name, _ = decide_name(self.candidates, threshold)
        return replace(self, name=name)

    def to_json(self) -> dict:
        return {"track": self.track_id, "box": self.box, "name": self.name, "score": round(self.score, 4),
                "candidates": [{"name": n, "score": round(s, 4)} for n, s in self.candidates],
                "det_score": round(self.det_score, 4)}


class LiveRecognizer:
    def __init__(self, analyzer, gallery=None, threshold: float | None = None, refresh_s: float = 1.0,
                 max_embeds_per_frame: int = 4, same_face_min: float = 0.7):
        self.analyzer = analyzer
        self.gallery = gallery
        self.threshold = float(threshold if threshold is not None else
                               (gallery.threshold if gallery is not None else analyzer.threshold))
        self.refresh_s = refresh_s
        self.max_embeds = max_embeds_per_frame
        self.same_face_min = same_face_min
        self.tracker = IoUTracker()
        self.embeds_done = 0

    def process(self, frame: Frame) -> list[FaceView]:
        img = frame.image
        dets = self.analyzer.detect(img)
        tracks = self.tracker.update(dets, frame.timestamp)
        sigs = {t.id: appearance_signature(img, t.box) for t in tracks}
        changed = set()
        for t in tracks:
            if t.signature is not None and float(sigs[t.id] @ t.signature) < self.same_face_min:
                changed.add(t.id)  # a different face where this track was: forget its name now
                t.candidates = []
        stale = [t for t in tracks if t.embedded_at is None or t.id in changed
                 or frame.timestamp - t.embedded_at >= self.refresh_s]
        stale.sort(key=lambda t: t.embedded_at if t.embedded_at is not None else -1e18)
        stale = stale[: self.max_embeds]
        if stale:
            crops = self.analyzer.align(img, [t.detection for t in stale])
            embs = self.analyzer.embedder.embed(crops)
            self.embeds_done += len(stale)
            cands = self.gallery.search(embs) if self.gallery is not None else [[] for _ in stale]
            for t, e, c in zip(stale, embs, cands):
                t.embedding, t.embedded_at, t.candidates, t.signature = e, frame.timestamp, c, sigs[t.id]
        out = []
        for t in tracks:
            name, score = decide_name(t.candidates, self.threshold)
            out.append(FaceView(t.id, t.detection.xywh, name, score, list(t.candidates), t.detection.score))
        return out

    def reset(self) -> None:
        self.tracker.reset()
