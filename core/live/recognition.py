"""Live recognition per track (Qt-free): every usable face a track shows adds evidence; the track is named.

Per frame: detect; match faces to tracks (:class:`IoUTracker`: IoU, then a lost track found again nearby); end a
track whose appearance changed at once (a scene cut or another face in its place: a NEW track id starts, no name
carried); embed the faces the budget allows (:func:`core.live.evidence.plan_embeddings`), skipping faces below
``min_quality``; a face whose embedding disagrees with its track's evidence also starts a new track; the pooled
evidence of every changed track is searched once, and each track's name follows :func:`decide_track` at the
track operating point (:func:`track_point`), so a name appears when the evidence reaches it, holds through
low-quality frames and changes only on clear evidence (as a new track). Every track is logged in
:class:`AppearanceLog`. docs/live.md has the rules and their figures.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

import numpy as np

from core.faces import assess
from core.faces.quality import framing
from core.gallery import Match
from core.gallery.identity import decide_name
from core.live.appearances import AppearanceLog, face_region
from core.live.capture import Frame
from core.live.evidence import Budget, Evidence, decide_track, plan_embeddings, track_point
from core.live.tracking import IoUTracker, Track, appearance_signature

# the appearance check between consecutive frames (:func:`appearance_signature`): on the sample photos, the same face
# blurred (5 px) or darkened scores at least 0.68, a cut to another sample person at most 0.49
SAME_FACE_MIN = 0.6
SAME_FACE_SURE = 0.8     # between the two: in doubt; the face is embedded now, whatever its quality, and compared


@dataclass
class FaceView(Match):
    """What the GUI draws and the CLI prints for one face in one frame: the one decision type (a
    :class:`core.gallery.Match`, its box in frame pixels) with the track it belongs to and the detector's score."""

    track_id: int = 0
    det_score: float = 0.0

    def at_threshold(self, threshold: float) -> FaceView:
        """The same face decided again at another threshold (the GUI's slider)."""
        if self.reason == "low_quality":
            return self
        name, _ = decide_name(self.candidates, threshold)
        return replace(self, name=name)

    def to_json(self) -> dict:
        return {"track": self.track_id, **super().to_json(), "det_score": round(self.det_score, 4)}


@dataclass
class TrackState:
    """What a track has shown so far: its pooled evidence, its candidates (searched with the pooled embedding),
    its name now and the name of the track it split from (a name change)."""

    evidence: Evidence = field(default_factory=Evidence)
    candidates: list[tuple[str, float]] = field(default_factory=list)
    name: str | None = None
    score: float = -1.0
    switched_from: str | None = None
    dirty: bool = False          # evidence changed since the last search


class LiveRecognizer:
    """Names faces per track (see the module's docstring); ``log`` holds every track seen (:class:`AppearanceLog`),
    ``embeds_done`` counts embeddings."""

    def __init__(self, analyzer, gallery=None, threshold: float | None = None, refresh_s: float = 1.0,
                 max_embeds_per_frame: int = 4, same_face_min: float = SAME_FACE_MIN, frame_ms: float = 40.0):
        self.analyzer, self.gallery = analyzer, gallery
        self._threshold = None if threshold is None else float(threshold)
        self.refresh_s, self.same_face_min = refresh_s, same_face_min
        self.tracker = IoUTracker()
        self.embeds_done = 0
        self._point = None
        self.states: dict[int, TrackState] = {}
        self.budget = Budget(frame_ms=frame_ms, cap=max_embeds_per_frame)
        self.log = AppearanceLog()

    @property
    def threshold(self) -> float:
        """The track threshold: the override (the GUI's slider) or the gallery's operating point for a track."""
        return self.operating_point().threshold

    @threshold.setter
    def threshold(self, value: float | None) -> None:
        self._threshold = None if value is None else float(value)

    @property
    def threshold_is_calibrated(self) -> bool:
        return self._threshold is None

    def operating_point(self):
        """The track operating point (:func:`track_point`) for the gallery now, cached until it changes."""
        g = self.gallery
        spec = self.analyzer.embedder.spec
        counts = g.face_counts() if g is not None else []
        fp = self.analyzer.embedder.fingerprint
        key = (tuple(counts), self._threshold)
        if self._point is None or self._point[0] != key:
            self._point = (key, track_point(spec, self.analyzer.settings, counts, fp, self._threshold))
        return self._point[1]

    def process(self, frame: Frame) -> list[FaceView]:
        img, now = frame.image, frame.timestamp
        t0 = time.perf_counter()
        dets = self.analyzer.detect(img)
        self.budget.measured(detect_ms=(time.perf_counter() - t0) * 1000)
        tracks = self.tracker.update(dets, now)
        doubt = set()
        for k, t in enumerate(tracks):  # the appearance check, frame to frame: a cut or another face ends it at once
            sig = appearance_signature(img, t.box)
            same = 1.0 if t.signature is None or t.embedded_at is None else float(sig @ t.signature)
            if same < self.same_face_min:
                tracks[k] = t = self.tracker.split(t)
            elif same < SAME_FACE_SURE and t.id in self.states:
                doubt.add(t.id)
                t.embedded_at = None     # first in the plan
            t.signature = sig
        offers = self._embed(img, now, tracks, doubt)
        self._search()
        views = self._decide(img, now, tracks, offers)
        self._forget()
        return views

    def _embed(self, img: np.ndarray, now: float, tracks: list[Track], doubt: set[int]
               ) -> dict[int, tuple[float, np.ndarray]]:
        """Embed the planned tracks' faces into their evidence (a face in ``doubt`` whatever its quality, to compare
        it with the evidence); {track id: (quality, face region)} of the faces that added evidence (for the log)."""
        min_q = self.analyzer.settings.min_quality
        plan = plan_embeddings(tracks, self.states, now, self.budget.per_frame(), self.refresh_s)
        offers: dict[int, tuple[float, np.ndarray]] = {}
        if not plan:
            return offers
        crops = self.analyzer.align(img, [t.detection for t in plan])
        quals = [assess(t.detection, c, img.shape[:2]).score for t, c in zip(plan, crops)]
        good = [i for i, q in enumerate(quals) if q >= min_q or plan[i].id in doubt]
        embs = None
        if good:
            t0 = time.perf_counter()
            embs = self.analyzer.embedder.embed(crops[good])
            self.budget.measured(embed_ms=(time.perf_counter() - t0) * 1000, faces=len(good))
            self.embeds_done += len(good)
        for i, t in enumerate(plan):
            t.embedded_at, t.quality = now, quals[i]
            if i not in good:
                continue
            e = embs[good.index(i)]
            st = self.states.setdefault(t.id, TrackState())
            if not st.evidence.agrees(e):  # someone else in this track's place: a new track
                nt = self.tracker.split(t)
                nt.embedded_at, nt.quality, nt.signature = now, t.quality, t.signature
                tracks[tracks.index(t)] = t = nt
                st = self.states.setdefault(t.id, TrackState())
            if st.evidence.add(e, quals[i], min_q) > 0:
                st.dirty = True
                offers[t.id] = (quals[i], face_region(img, t.box))
        return offers

    def _search(self) -> None:
        dirty = [(i, st) for i, st in self.states.items() if st.dirty and st.evidence.pooled() is not None]
        if not dirty:
            return
        pooled = np.stack([st.evidence.pooled() for _, st in dirty])
        cands = self.gallery.search(pooled) if self.gallery is not None else [[] for _ in dirty]
        for (_i, st), c in zip(dirty, cands):
            st.candidates, st.dirty = c, False

    def _decide(self, img: np.ndarray, now: float, tracks: list[Track], offers: dict) -> list[FaceView]:
        thr = self.threshold
        personal = {}
        if self.gallery is not None and self._threshold is None:  # a person's own raise, on top of the track point
            face_thr = self.gallery.operating_point().threshold
            personal = {n: thr + (v - face_thr) for n, v in self.gallery.adaptation()[0].items()}
        min_q = self.analyzer.settings.min_quality
        out = []
        for k, t in enumerate(tracks):
            st = self.states.get(t.id) or TrackState()
            if st.candidates:
                d = decide_track(st.candidates, thr, st.name, personal)
                if d.switched_from is not None and d.name is not None:  # a name change is a new track
                    nt = self.tracker.split(t)
                    nt.embedded_at, nt.quality, nt.signature = t.embedded_at, t.quality, t.signature
                    tracks[k] = t = nt
                    st = self.states[t.id] = TrackState(st.evidence, st.candidates, switched_from=d.switched_from)
                st.name, st.score = d.name, d.score
            quality = None if t.quality is None else min(t.quality, framing(t.detection.landmarks, img.shape[:2]))
            low = st.name is None and quality is not None and quality < min_q and st.evidence.weight == 0
            score = st.score if st.candidates else -1.0
            out.append(FaceView(t.detection.xywh, st.name, score, list(st.candidates), "low_quality" if low else None,
                                quality, track_id=t.id, det_score=t.detection.score))
            entry = self.log.seen(t.id, now, st.name, score, st.switched_from)
            if t.id in offers:
                entry.offer_face(*offers[t.id])
        return out

    def _forget(self) -> None:
        ended, self.tracker.ended = self.tracker.ended, []
        self.log.end(ended)
        for i in ended:
            self.states.pop(i, None)

    def summary(self) -> list[dict]:
        """The appearances so far, one per track (see :class:`AppearanceLog`)."""
        return self.log.summary()

    def reset(self) -> None:
        """A new source: every track ends (the log keeps them)."""
        self.tracker.reset()
        self._forget()
        self.states.clear()
