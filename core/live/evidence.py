"""Per-track evidence for live video: pool a track's faces, decide its name with hysteresis, spend the embeddings.

- :class:`Evidence`: a track's unit embeddings (D,) summed with weight = face quality (0 below ``min_quality``);
  the decision is made on the pooled embedding (the normalised weighted mean), chosen on LFW View 1
  (``benchmarks/lfw_tracks.py choose``, docs/live.md).
- :func:`track_point`: the 1:N threshold for a pooled *track*: the gallery's face counts through the model's
  track calibration (the impostor tails of a stranger track's highest pooled score, measured on LFW View 1), so a
  stranger's track is named at most ``identify_fpir`` of the time, as a stranger's single face is.
- :func:`decide_track`: the name with hysteresis: named when the pooled score reaches the threshold, held while it
  stays within ``HOLD`` of it, switched only when someone else reaches the threshold *and* leads by ``SWITCH``
  (the recognizer then starts a new track id: one id never carries two names).
- :func:`plan_embeddings`: which tracks a frame embeds: new and unnamed tracks first, then the least evidenced;
  a track with ``SATURATED`` evidence only once per ``refresh_s``.
- :class:`Budget`: how many embeddings fit in a frame, from the measured cost of detection and of one embedding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

HOLD = 0.05          # a named track keeps its name while its pooled score is at least threshold - HOLD
SWITCH = 0.08        # another person must lead the named one by this much (and reach the threshold) to take over
SATURATED = 6.0      # evidence weight (about 6 good faces) after which more faces add little: embed once a refresh
SAME_PERSON_MIN = 0.15   # a good face whose cosine to the track's pooled embedding is below this is someone else


@dataclass
class Evidence:
    """Quality-weighted sum of one track's unit embeddings. ``total``: (D,) float64; ``weight``: sum of weights;
    ``faces``: faces that added weight; ``seen``: faces embedded (low-quality ones add nothing)."""

    total: np.ndarray | None = None
    weight: float = 0.0
    faces: int = 0
    seen: int = 0

    def add(self, embedding: np.ndarray, quality: float, min_quality: float) -> float:
        """Add one face's (D,) unit embedding; its weight (returned) is its quality, 0 below ``min_quality``."""
        self.seen += 1
        w = float(quality) if quality >= min_quality else 0.0
        if w > 0:
            e = np.asarray(embedding, np.float64)
            self.total = e * w if self.total is None else self.total + e * w
            self.weight += w
            self.faces += 1
        return w

    def pooled(self) -> np.ndarray | None:
        """(D,) float32 unit vector of the weighted mean; None before a usable face."""
        if self.total is None:
            return None
        return (self.total / max(float(np.linalg.norm(self.total)), 1e-12)).astype(np.float32)

    def agrees(self, embedding: np.ndarray, min_cos: float = SAME_PERSON_MIN) -> bool:
        """Whether a face can be the same person as the track's evidence so far (True without evidence)."""
        p = self.pooled()
        return p is None or float(np.asarray(embedding, np.float32) @ p) >= min_cos


def pool(embeddings: np.ndarray, qualities: np.ndarray, min_quality: float) -> np.ndarray | None:
    """(T, D) unit embeddings of one track and their (T,) qualities -> (D,) pooled unit vector (None: no usable
    face). The same rule as :class:`Evidence`, for whole sequences (the LFW protocol)."""
    ev = Evidence()
    for e, q in zip(embeddings, qualities):
        ev.add(e, float(q), min_quality)
    return ev.pooled()


# ---------------------------------------------------------------- the decision


@dataclass
class Decision:
    """A track's name now (None: unknown), its pooled score, and whether the name is a switch from another."""

    name: str | None
    score: float
    switched_from: str | None = None


def decide_track(candidates: list[tuple[str, float]], threshold: float, current: str | None = None,
                 person_thresholds: dict[str, float] | None = None, hold: float = HOLD,
                 switch: float = SWITCH) -> Decision:
    """The name of a track from its pooled embedding's candidates (best first), given its ``current`` name.

    Unnamed: the best candidate when it reaches its bar (the person's own threshold, never below ``threshold``).
    Named X: X while X's score >= bar(X) - ``hold``; another person Y only when Y reaches bar(Y) and leads X by
    ``switch``; otherwise unknown (the evidence no longer supports X)."""
    personal = person_thresholds or {}

    def bar(n: str) -> float:
        return max(threshold, personal.get(n, threshold))

    if not candidates:
        return Decision(None, -1.0)
    best, s_best = candidates[0]
    if current is None:
        return Decision(best if s_best >= bar(best) else None, float(s_best))
    s_cur = next((s for n, s in candidates if n == current), -1.0)
    if best != current and s_best >= bar(best) and s_best >= s_cur + switch:
        return Decision(best, float(s_best), switched_from=current)
    if s_cur >= bar(current) - hold:
        return Decision(current, float(s_cur))
    return Decision(best if s_best >= bar(best) else None, float(s_best),
                    switched_from=current if s_best >= bar(best) else None)


# ---------------------------------------------------------------- the operating point of a pooled track


def track_calibration(spec, fingerprint: str = "") -> dict | None:
    """The model's track calibration (``core/zoo/calibrations/<name>-track.json``, made by
    ``benchmarks/lfw_tracks.py calibrate --save``) when it was made for these weights; None otherwise."""
    from core.zoo.calibration_store import BUNDLED

    if not getattr(spec, "builtin", False):
        return None
    try:
        doc = json.loads((BUNDLED / f"{spec.name}-track.json").read_text())
    except (OSError, ValueError):
        return None
    if doc.get("fingerprint") and fingerprint and doc["fingerprint"][:12] != fingerprint[:12]:
        return None
    return doc


def track_point(spec, settings, face_counts: list[int], fingerprint: str = "", override: float | None = None):
    """The 1:N operating point for a pooled track in a gallery with ``face_counts``: source "track" (from the track
    calibration), "override", or the per-face gallery point when the model has no track calibration."""
    from core.decide import OperatingPoint, identify_point
    from core.decide.open_set import open_set_threshold

    if override is not None or settings.identify_threshold is not None:
        return identify_point(spec, settings, face_counts, override, fingerprint)
    cal = track_calibration(spec, fingerprint)
    if cal is None:
        face = identify_point(spec, settings, face_counts, fingerprint=fingerprint)
        face.provenance = {**face.provenance, "note": f"no track calibration for {spec.name}: the per-face point"}
        return face
    thr = open_set_threshold(cal["impostor"], face_counts, settings.identify_fpir)
    return OperatingPoint(thr, "track", {"fpir": settings.identify_fpir, "identities": len(face_counts),
                                         "per": "track"}, cal.get("provenance", {}))


def track_stranger_rate(spec, face_counts: list[int], threshold: float, fingerprint: str = "") -> float | None:
    """About how often a stranger's track would ever be named at ``threshold`` in a gallery with ``face_counts``
    (None: no track calibration for this model)."""
    from core.decide.open_set import tails_stranger_rate

    cal = track_calibration(spec, fingerprint)
    return None if cal is None else tails_stranger_rate(cal["impostor"], face_counts, threshold)


# ---------------------------------------------------------------- where the embeddings go


@dataclass
class Budget:
    """Embeddings per frame so a frame's work fits ``frame_ms``: (frame_ms - detection) / one embedding, from
    moving averages of their measured costs (ms), at least ``floor``, at most ``cap``."""

    frame_ms: float = 40.0
    floor: int = 1
    cap: int = 4
    detect_ms: float = 10.0
    embed_ms: float = 15.0
    alpha: float = 0.2
    spent: list[int] = field(default_factory=list)

    def per_frame(self) -> int:
        room = (self.frame_ms - self.detect_ms) / max(self.embed_ms, 1e-3)
        return int(np.clip(np.floor(room), self.floor, self.cap))

    def measured(self, detect_ms: float | None = None, embed_ms: float | None = None, faces: int = 0) -> None:
        """Fold one frame's measured detection time and embedding time (for ``faces`` faces) into the averages."""
        if detect_ms is not None:
            self.detect_ms += self.alpha * (detect_ms - self.detect_ms)
        if embed_ms is not None and faces > 0:
            self.embed_ms += self.alpha * (embed_ms / faces - self.embed_ms)


def plan_embeddings(tracks: list, states: dict, now: float, budget: int, refresh_s: float = 1.0) -> list:
    """The tracks to embed this frame (at most ``budget``), most useful first.

    ``tracks``: objects with ``id`` and ``embedded_at`` (None: never); ``states``: {id: object with ``evidence``
    (:class:`Evidence`) and ``name``}. Order: never embedded; unnamed; least evidence weight; longest since
    embedded. A track whose evidence is ``SATURATED`` waits ``refresh_s`` between embeddings."""
    def key(t):
        st = states.get(t.id)
        w = st.evidence.weight if st is not None else 0.0
        named = st is not None and st.name is not None
        return (t.embedded_at is not None, named, w, t.embedded_at if t.embedded_at is not None else -1e18)

    todo = []
    for t in tracks:
        st = states.get(t.id)
        if (t.embedded_at is not None and st is not None and st.evidence.weight >= SATURATED
                and now - t.embedded_at < refresh_s):
            continue
        todo.append(t)
    return sorted(todo, key=key)[:max(0, budget)]
