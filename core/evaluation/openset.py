"""The open-set protocol (``facerec eval --enroll DIR --probes DIR --strangers DIR``).

Folder-per-person trees: the people under ``--enroll`` are enrolled into a fresh
gallery through the real enrolment policy; every photo under ``--probes`` (other
photos of enrolled people, in folders named like theirs) and under ``--strangers``
(people who are not enrolled) is identified through the real decision rule.
Reported: rank-1 (the best candidate is right, whatever the threshold), the
detection-and-identification rate (named right and accepted), the false-positive
identification rate (strangers named as anyone), at the gallery's operating point
and as a curve over thresholds, with the FPIR the calibration predicted.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.config import Settings
from core.errors import UsageError
from core.faces import image_files
from core.zoo import key_fingerprint


def _tree(root: Path, what: str) -> dict[str, list[str]]:
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"--{what} {root}: not a folder.")
    out = {d.name: [str(p) for p in image_files(d)] for d in sorted(root.iterdir()) if d.is_dir()}
    out = {k: v for k, v in out.items() if v}
    if not out:
        raise UsageError(f"--{what} {root} holds no person folders with photos.")
    return out


def _top(result: dict) -> tuple[str | None, float, str | None, str | None]:
    """(named, best score, best candidate, reason) of the face a photo is about: its largest."""
    if not result.get("faces"):
        return None, -1.0, None, result.get("error") and "unreadable" or "no_face"
    f = max(result["faces"], key=lambda face: face["box"][2] * face["box"][3])
    cand = f["candidates"][0]["name"] if f["candidates"] else None
    return f["name"], f["score"], cand, f.get("reason")


def evaluate_openset(enroll: Path, probes: Path, strangers: Path, settings: Settings,
                     progress: Callable | None = None, gallery_dir: Path | None = None) -> dict:
    from core.decide import stranger_rate
    from core.evaluation.face_cache import CachedAnalyzer
    from core.faces import FaceAnalyzer
    from core.gallery import Gallery

    people, probe_tree, stranger_tree = _tree(enroll, "enroll"), _tree(probes, "probes"), _tree(strangers, "strangers")
    unknown_probes = sorted(set(probe_tree) - set(people))
    if unknown_probes:
        raise UsageError(f"--probes has people who are not under --enroll: {', '.join(unknown_probes[:5])}.")
    analyzer = CachedAnalyzer(FaceAnalyzer(settings, warmup=False))
    with tempfile.TemporaryDirectory() as tmp, \
            Gallery(gallery_dir or Path(tmp) / "g", settings=settings, analyzer=analyzer) as g:
        rejected = 0
        for k, (name, paths) in enumerate(people.items()):
            rejected += len(g.enroll(name, paths).rejected)
            if progress is not None:
                progress(k + 1, len(people), name)
        point = g.operating_point()
        probe_paths = [(n, p) for n, ps in probe_tree.items() for p in ps]
        stranger_paths = [p for ps in stranger_tree.values() for p in ps]
        pres = g.identify_paths([p for _, p in probe_paths], progress=progress)
        sres = g.identify_paths(stranger_paths, progress=progress)
        counts = g.face_counts()
        fp = key_fingerprint(g.model_key)
        spec = g.spec
    p_top = [_top(r) for r in pres]
    s_top = [_top(r) for r in sres]
    truth = [n for n, _ in probe_paths]
    rank1 = np.array([c == t for (_, _, c, _), t in zip(p_top, truth)])
    named_right = np.array([nm == t for (nm, _, _, _), t in zip(p_top, truth)])
    s_named = np.array([nm is not None for nm, _, _, _ in s_top])
    low_q = sum(r == "low_quality" for *_, r in p_top + s_top)
    # the curve: each threshold's DIR (right and accepted) against its FPIR (strangers accepted)
    p_scores = np.array([s if c == t else -np.inf for (_, s, c, _), t in zip(p_top, truth)])
    s_scores = np.array([s for _, s, _, _ in s_top])
    curve = []
    for fpir in (0.1, 0.03, 0.01, 0.003, 0.001):
        thr = float(np.quantile(s_scores, 1 - fpir)) if len(s_scores) else 1.0
        curve.append({"fpir": fpir, "threshold": round(thr, 4), "dir": round(float(np.mean(p_scores > thr)), 4)})
    predicted = stranger_rate(spec, counts, point.threshold, fp)
    return {"model": spec.name, "identities": len(people), "enrolled_faces": int(sum(counts)),
            "rejected_at_enrolment": rejected, "probes": len(probe_paths), "strangers": len(stranger_paths),
            "operating_point": point.to_json(), "rank1": round(float(rank1.mean()), 4),
            "dir": round(float(named_right.mean()), 4), "fpir": round(float(s_named.mean()), 4),
            "strangers_named": int(s_named.sum()), "probes_named_wrong": int(sum(nm is not None and nm != t for
                                                                                (nm, _, _, _), t in zip(p_top, truth))),
            "low_quality": int(low_q), "fpir_predicted": None if predicted is None else round(predicted, 4),
            "curve": curve}
