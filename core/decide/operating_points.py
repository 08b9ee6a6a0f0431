"""Which threshold a decision uses, and why: the one place thresholds are resolved.

Two operating points per model:

- **1:1 verify** (``facerec verify``): the cosine threshold at the target false-accept
  rate (``verify_far``, default 1e-3), from the model's calibration.
- **1:N identify** (``identify``, the live view, ``watch``): the threshold at which a
  stranger's face is named as someone at most ``identify_fpir`` of the time (default
  1%) *for this gallery*: a 1:N score is a maximum over every enrolled person, so the
  threshold grows with the gallery.

A 1:1 point must still accept most true matches: when the model's calibration shows a
true-accept rate under ``MIN_VERIFY_TAR`` at the requested rate (OpenFace: 29% at 1e-3),
the strictest calibrated rate that reaches it is used, and the point says so.

A user override (a flag or ``*_threshold`` in the settings) wins; without a
calibration the model's ``fallback_threshold`` is used and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.config import Settings
from core.zoo import ModelSpec, calibration

MIN_VERIFY_TAR = 0.9  # a 1:1 point that rejects more than 1 true match in 10 is not offered


@dataclass
class OperatingPoint:
    """A threshold with where it came from: override | calibration | gallery | fallback."""

    threshold: float
    source: str
    target: dict = field(default_factory=dict)
    provenance: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"threshold": round(self.threshold, 4), "source": self.source, **self.target,
                **({"provenance": self.provenance} if self.provenance else {})}


def usable_far(verify: dict) -> float | None:
    """The strictest calibrated FAR whose true-accept rate is at least MIN_VERIFY_TAR (None: no TARs stored)."""
    rates = [f for f, t in zip(verify.get("far", []), verify.get("tar") or []) if t >= MIN_VERIFY_TAR]
    return min(rates) if rates else None


def verify_point(spec: ModelSpec, settings: Settings, override: float | None = None,
                 fingerprint: str = "") -> OperatingPoint:
    far = settings.verify_far
    if override is not None or settings.verify_threshold is not None:
        return OperatingPoint(float(override if override is not None else settings.verify_threshold), "override")
    cal = calibration(spec, fingerprint)
    if cal and cal.get("verify"):
        from core.decide.metrics import threshold_for_rate

        target = {"far": far}
        usable = usable_far(cal["verify"])
        if usable is not None and far < usable:
            target = {"far": usable, "requested_far": far,
                      "note": f"{spec.name} accepts under {MIN_VERIFY_TAR:.0%} of true matches at FAR {far:g}; "
                              f"using FAR {usable:g}, the strictest rate at which it does"}
        thr = threshold_for_rate(cal["verify"]["far"], cal["verify"]["threshold"], target["far"])
        return OperatingPoint(thr, "calibration", target, cal.get("provenance", {}))
    return OperatingPoint(spec.fallback_threshold, "fallback", {"far": far},
                          {"note": f"{spec.name} is not calibrated; run `facerec eval --lfw DIR --model {spec.name} "
                                   "--calibrate`"})


def identify_point(spec: ModelSpec, settings: Settings, face_counts: list[int], override: float | None = None,
                   fingerprint: str = "") -> OperatingPoint:
    """1:N threshold for a gallery whose people have ``face_counts`` faces each."""
    fpir = settings.identify_fpir
    if override is not None or settings.identify_threshold is not None:
        return OperatingPoint(float(override if override is not None else settings.identify_threshold), "override")
    cal = calibration(spec, fingerprint)
    if cal and cal.get("impostor"):
        from core.decide.open_set import open_set_threshold

        thr = open_set_threshold(cal["impostor"], face_counts, fpir)
        return OperatingPoint(thr, "gallery", {"fpir": fpir, "identities": len(face_counts)},
                              cal.get("provenance", {}))
    base = verify_point(spec, settings, fingerprint=fingerprint)
    return OperatingPoint(base.threshold, "fallback", {"fpir": fpir, "identities": len(face_counts)},
                          {"note": f"no impostor statistics for {spec.name}; using its 1:1 point ({base.source})"})


def stranger_rate(spec: ModelSpec, face_counts: list[int], threshold: float, fingerprint: str = "") -> float | None:
    """About how often a stranger's face would be named as someone at ``threshold`` in a gallery with
    ``face_counts``; None when the model has no impostor statistics."""
    cal = calibration(spec, fingerprint)
    if not cal or not cal.get("impostor"):
        return None
    from core.decide.open_set import tails_stranger_rate as rate

    return rate(cal["impostor"], face_counts, threshold)
