"""Threshold calibration on a folder of identity folders (``root/<person>/<photos>``).

All same-person and different-person pairs of primary faces are scored; the
threshold maximising balanced accuracy ((TAR + TRR) / 2) is reported, with the
score distributions, so a user can pick a stricter one knowingly.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np

from core.decide.metrics import best_balanced_threshold, roc_curve
from core.errors import UsageError
from core.faces import FaceAnalyzer, image_files, primary_face


def identity_folders(root: Path) -> dict[str, list[Path]]:
    root = Path(root)
    if not root.is_dir():
        raise UsageError(f"{root} is not a folder of identity folders.")
    out = {}
    for d in sorted(p for p in root.iterdir() if p.is_dir()):
        imgs = image_files(d)
        if imgs:
            out[d.name] = imgs
    if len(out) < 2:
        raise UsageError(f"{root} needs at least two identity folders with photos.")
    return out


def calibrate(analyzer: FaceAnalyzer, root: Path, progress=None) -> dict:
    people = identity_folders(root)
    paths = [p for ps in people.values() for p in ps]
    owner = {str(p): name for name, ps in people.items() for p in ps}
    embs, names = [], []
    for res in analyzer.analyze_paths(paths, progress=progress):
        if res.faces:
            embs.append(primary_face(res.faces).embedding)
            names.append(owner[res.path])
    if len(embs) < 4:
        raise UsageError(f"Too few faces found under {root} to calibrate.")
    e = np.stack(embs)
    sims = e @ e.T
    scores, labels = [], []
    for i, j in itertools.combinations(range(len(e)), 2):
        scores.append(sims[i, j])
        labels.append(names[i] == names[j])
    s, lab = np.array(scores), np.array(labels)
    if lab.all() or not lab.any():
        raise UsageError("Calibration needs both same-person and different-person pairs.")
    t, bal = best_balanced_threshold(s, lab)
    far, tar, thr = roc_curve(s, lab)
    strict = float(thr[np.flatnonzero(far <= 0.001)[-1]]) if (far <= 0.001).any() else None
    return {
        "model": analyzer.embedder.name,
        "images": len(paths), "faces": len(e), "identities": len(people),
        "same_pairs": int(lab.sum()), "different_pairs": int((~lab).sum()),
        "threshold": round(t, 4), "balanced_accuracy": round(bal, 4),
        "same_mean": round(float(s[lab].mean()), 4), "different_mean": round(float(s[~lab].mean()), 4),
        "different_max": round(float(s[~lab].max()), 4),
        "threshold_far_1e-3": None if strict is None or not np.isfinite(strict) else round(strict, 4),
    }
