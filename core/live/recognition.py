"""Live recognition: detect every frame, track faces, embed each track only now and then (Qt-free).

A track is (re-)embedded when it is new or its last embedding is older than
``refresh_s``; in between, it keeps its identity. Names are derived from the stored
candidates at the current threshold, so moving the threshold takes effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from core.faces import assess
from core.faces.quality import framing
from core.gallery.identity import decide_name
from core.live.capture import Frame
from core.live.tracking import IoUTracker, appearance_signature


@dataclass
class FaceView:
    """What the GUI draws and the CLI prints for one face in one frame."""

    track_id: int
    box: list[float]            # x, y, w, h in frame pixels
    name: str | None
    score: float
    candidates: list[tuple[str, float]]
    det_score: float
    reason: str | None = None       # "low_quality" when the face is unknown because it is unusable
    quality: float | None = None

    def label(self) -> str:
        """What the overlay and the faces line say: "name 0.71", "unknown 0.32", "unknown (low quality)"."""
        if self.name:
            return f"{self.name} {self.score:.2f}"
        if self.reason == "low_quality":
            return "unknown (low quality)"
        return f"unknown {self.score:.2f}" if self.candidates else "unknown"

    def at_threshold(self, threshold: float) -> FaceView:
        """The same face decided again at another threshold (the GUI's slider)."""
        if self.reason == "low_quality":
            return self
        name, _ = decide_name(self.candidates, threshold)
        return replace(self, name=name)

    def to_json(self) -> dict:
        return {"track": self.track_id, "box": self.box, "name": self.name, "score": round(self.score, 4),
                "candidates": [{"name": n, "score": round(s, 4)} for n, s in self.candidates],
                "det_score": round(self.det_score, 4), **({"reason": self.reason} if self.reason else {}),
                **({"quality": round(self.quality, 3)} if self.quality is not None else {})}


class LiveRecognizer:
    def __init__(self, analyzer, gallery=None, threshold: float | None = None, refresh_s: float = 1.0,
                 max_embeds_per_frame: int = 4, same_face_min: float = 0.7):
        self.analyzer = analyzer
        self.gallery = gallery
        self._threshold = None if threshold is None else float(threshold)
        self.refresh_s = refresh_s
        self.max_embeds = max_embeds_per_frame
        self.same_face_min = same_face_min
        self.tracker = IoUTracker()
        self.embeds_done = 0

    @property
    def threshold(self) -> float:
        """The 1:N threshold in use: the override (the GUI's slider) or the gallery's operating point."""
        if self._threshold is not None:
            return self._threshold
        if self.gallery is not None:
            return self.gallery.operating_point().threshold
        from core.decide import verify_point

        return verify_point(self.analyzer.embedder.spec, self.analyzer.settings).threshold

    @property
    def threshold_is_calibrated(self) -> bool:
        return self._threshold is None

    @threshold.setter
    def threshold(self, value: float | None) -> None:
        self._threshold = None if value is None else float(value)

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
            for t, e, c, crop in zip(stale, embs, cands, crops):
                t.embedding, t.embedded_at, t.candidates, t.signature = e, frame.timestamp, c, sigs[t.id]
                t.quality = assess(t.detection, crop, img.shape[:2]).score
        out = []
        thr = self.threshold
        personal = self.gallery.adaptation()[0] if self.gallery is not None and self.threshold_is_calibrated else {}
        min_q = self.analyzer.settings.min_quality
        for t in tracks:
            # a face moving out of the frame is judged in every frame, not only when it is embedded again
            quality = None if t.quality is None else min(t.quality, framing(t.detection.landmarks, img.shape[:2]))
            if quality is not None and quality < min_q:
                score = t.candidates[0][1] if t.candidates else -1.0
                out.append(FaceView(t.id, t.detection.xywh, None, score, list(t.candidates), t.detection.score,
                                    "low_quality", quality))
                continue
            name, score = decide_name(t.candidates, thr, personal)
            out.append(FaceView(t.id, t.detection.xywh, name, score, list(t.candidates), t.detection.score,
                                None, quality))
        return out

    def reset(self) -> None:
        self.tracker.reset()
