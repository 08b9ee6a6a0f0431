"""Choose the identity score rule by measurement, on LFW View 1 only (View 2 stays for reporting).

    python benchmarks/score_rule.py LFW_DIR [--model NAME] [--enrol 5]

People of ``peopleDevTrain`` with at least ``enrol + 2`` photos are enrolled (``enrol`` random photos each) and
their other photos are probes; every ``peopleDevTest`` photo is a stranger. For each rule the threshold that
names 1% of strangers is found, and the share of probes named right at that threshold (DIR) is reported.
Embeddings come from the evaluation cache (``facerec eval --lfw DIR --view 1 --calibrate`` fills it).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

RULES = {
    "max": lambda s: s.max(axis=-1),
    "mean of best 2": lambda s: np.sort(s, axis=-1)[..., -2:].mean(axis=-1),
    "mean of best 3": lambda s: np.sort(s, axis=-1)[..., -3:].mean(axis=-1),
    "mean of all": lambda s: s.mean(axis=-1),
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("lfw", type=Path)
    ap.add_argument("--model", default="facenet")
    ap.add_argument("--enrol", type=int, default=5)
    ap.add_argument("--fpir", type=float, default=0.01)
    a = ap.parse_args()
    from core.config import load_settings
    from core.evaluation.calibrate import _people_images
    from core.evaluation.face_cache import embed_images
    from core.faces import FaceAnalyzer

    an = FaceAnalyzer(load_settings(model=a.model), warmup=False)
    tp, towner = _people_images(a.lfw, "peopleDevTrain.txt")
    sp, _ = _people_images(a.lfw, "peopleDevTest.txt")
    et = embed_images(tp, an, pick="centre").embeddings
    es = embed_images(sp, an, pick="centre").embeddings
    rng = np.random.default_rng(0)
    gallery, probes, truth = [], [], []
    for pid in np.unique(towner):
        ix = np.flatnonzero(towner == pid)
        if len(ix) < a.enrol + 2:
            continue
        ix = rng.permutation(ix)
        gallery.append(et[ix[:a.enrol]])
        probes.append(et[ix[a.enrol:]])
        truth += [len(gallery) - 1] * (len(ix) - a.enrol)
    g = np.stack(gallery)                    # (P, enrol, D)
    p = np.concatenate(probes)
    truth = np.asarray(truth)
    print(f"{a.model}: {len(g)} enrolled people x {a.enrol} photos, {len(p)} probes, {len(es)} strangers")
    centroid = g.mean(axis=1)
    centroid /= np.linalg.norm(centroid, axis=1, keepdims=True)
    rows = []
    for name, rule in [*RULES.items(), ("centroid", None)]:
        def score(q, rule=rule):
            if rule is None:
                return q @ centroid.T
            return rule(np.einsum("qd,pkd->qpk", q, g))
        sp_ = np.concatenate([score(es[i:i + 512]) for i in range(0, len(es), 512)]).max(axis=1)
        pp = np.concatenate([score(p[i:i + 512]) for i in range(0, len(p), 512)])
        thr = float(np.quantile(sp_, 1 - a.fpir))
        best = pp.argmax(axis=1)
        dir_ = float(np.mean((best == truth) & (pp.max(axis=1) > thr)))
        rows.append((name, thr, dir_, float(np.mean(best == truth))))
        print(f"  {name:15s} threshold {thr:.3f}  DIR at FPIR {a.fpir:g}: {dir_:.4f}  rank-1 {rows[-1][3]:.4f}")


if __name__ == "__main__":
    main()
