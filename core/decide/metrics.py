"""Verification metrics as pure numpy functions.

``scores``: (N,) similarities, higher = more alike. ``labels``: (N,) bool, True =
same person. A pair is predicted "same" when ``score >= threshold``.
"""

from __future__ import annotations

import numpy as np


def accuracy_at(scores: np.ndarray, labels: np.ndarray, threshold: float) -> float:
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    if scores.size == 0:
        return 0.0
    return float(np.mean((scores >= threshold) == labels))


def candidate_thresholds(scores: np.ndarray) -> np.ndarray:
    """Midpoints between sorted distinct scores, plus both ends: every distinct decision."""
    s = np.unique(np.asarray(scores, float))
    if s.size == 0:
        return np.array([0.0])
    mids = (s[:-1] + s[1:]) / 2
    return np.concatenate([[s[0] - 1e-6], mids, [s[-1] + 1e-6]])


def best_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy; ties -> the middle of the best plateau."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    cand = candidate_thresholds(scores)
    order = np.argsort(scores)
    s_sorted, l_sorted = scores[order], labels[order]
    # predictions >= t: count correct = positives above + negatives below, vectorised via searchsorted
    idx = np.searchsorted(s_sorted, cand, side="left")
    pos_cum = np.concatenate([[0], np.cumsum(l_sorted)])
    neg_cum = np.concatenate([[0], np.cumsum(~l_sorted)])
    tp = pos_cum[-1] - pos_cum[idx]
    tn = neg_cum[idx]
    acc = (tp + tn) / max(1, len(scores))
    best = np.flatnonzero(acc == acc.max())
    pick = best[len(best) // 2]
    return float(cand[pick]), float(acc[pick])


def kfold_accuracy(scores: np.ndarray, labels: np.ndarray, folds: int = 10) -> dict:
    """LFW protocol: pairs split into ``folds`` contiguous folds; the threshold is chosen on the
    other folds and applied to the held-out one. Returns mean, std, per-fold accuracies and the
    mean threshold."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    n = len(scores)
    if n < folds:
        raise ValueError(f"need at least {folds} pairs for {folds}-fold accuracy, got {n}")
    parts = np.array_split(np.arange(n), folds)
    accs, thrs = [], []
    for k in range(folds):
        test = parts[k]
        train = np.concatenate([parts[j] for j in range(folds) if j != k])
        t, _ = best_threshold(scores[train], labels[train])
        accs.append(accuracy_at(scores[test], labels[test], t))
        thrs.append(t)
    return {"accuracy": float(np.mean(accs)), "std": float(np.std(accs)), "folds": accs,
            "threshold": float(np.mean(thrs))}


def roc_curve(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(far, tar, thresholds), thresholds descending; far/tar from 0 to 1."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    order = np.argsort(-scores, kind="mergesort")
    s, lab = scores[order], labels[order]
    distinct = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]
    tp = np.cumsum(lab)[distinct]
    fp = np.cumsum(~lab)[distinct]
    p, n = max(1, lab.sum()), max(1, (~lab).sum())
    tar = np.r_[0.0, tp / p]
    far = np.r_[0.0, fp / n]
    thr = np.r_[np.inf, s[distinct]]
    return far, tar, thr


def tar_at_far(scores: np.ndarray, labels: np.ndarray, far_target: float) -> float | None:
    """Highest TAR whose FAR <= ``far_target``; None when there are too few negatives to measure it."""
    labels = np.asarray(labels, bool)
    negatives = int((~labels).sum())
    if negatives * far_target < 1:
        return None
    far, tar, _ = roc_curve(scores, labels)
    ok = far <= far_target + 1e-12
    return float(tar[ok].max()) if ok.any() else 0.0


def auc(far: np.ndarray, tar: np.ndarray) -> float:
    return float(np.trapezoid(tar, far)) if hasattr(np, "trapezoid") else float(np.trapz(tar, far))


def best_balanced_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(threshold, balanced accuracy) maximising (TAR + TRR) / 2: robust when negatives dominate."""
    scores, labels = np.asarray(scores, float), np.asarray(labels, bool)
    far, tar, thr = roc_curve(scores, labels)
    bal = 0.5 * (tar + (1.0 - far))
    best = np.flatnonzero(bal == bal.max())
    i = best[len(best) // 2]
    t = thr[i] if np.isfinite(thr[i]) else scores.max() + 1e-6
    # place the threshold midway to the next lower score, so it does not sit on a sample
    lower = scores[scores < t]
    if lower.size:
        t = (t + lower.max()) / 2
    return float(t), float(bal[i])


# ---------------------------------------------------------------- operating points and score tails

TAIL_LEVELS = (0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 5e-3, 2e-3, 1e-3, 5e-4, 2e-4, 1e-4, 5e-5, 2e-5, 1e-5, 5e-6, 2e-6, 1e-6)


def tail_table(scores: np.ndarray, min_count: int = 10) -> dict:
    """Exceedance table of a score sample: ``p`` levels and the score ``s`` with P(score >= s) = p.

    Only levels with at least ``min_count`` samples above them are kept (the rest is extrapolated
    by :func:`exceedance`). ``n`` is the sample size, ``mean``/``std`` its moments.
    """
    x = np.sort(np.asarray(scores, np.float64))
    n = len(x)
    if n < 100:
        raise ValueError(f"need at least 100 scores for a tail table, got {n}")
    ps, ss = [], []
    for p in TAIL_LEVELS:
        if p * n < min_count:
            break
        ps.append(p)
        ss.append(float(x[int(np.floor((1 - p) * n))]))
    return {"p": ps, "s": [round(v, 6) for v in ss], "n": int(n), "max": round(float(x[-1]), 6),
            "mean": round(float(x.mean()), 6), "std": round(float(x.std()), 6)}


def exceedance(table: dict, t: float | np.ndarray) -> np.ndarray:
    """P(score >= t) from a :func:`tail_table`: log-linear between levels, an exponential tail beyond
    the last measured level (the slope of the last 4 levels), rising linearly to 1 below the first."""
    ps = np.asarray(table["p"], np.float64)
    ss = np.asarray(table["s"], np.float64)
    t = np.asarray(t, np.float64)
    logp = np.log(ps)
    k = min(4, len(ss))
    slope = (logp[-1] - logp[-k]) / max(ss[-1] - ss[-k], 1e-6) if k >= 2 else -30.0  # d log p / d s
    slope = min(slope, -1.0)
    inside = np.exp(np.interp(t, ss, logp))  # ss ascends as p descends
    above = np.exp(logp[-1] + slope * (t - ss[-1]))
    below = ps[0] + (1.0 - ps[0]) * np.clip((ss[0] - t) / (ss[0] + 1.0), 0.0, 1.0)
    return np.where(t > ss[-1], above, np.where(t < ss[0], below, inside))


def score_at_rate(table: dict, p: float) -> float:
    """The score ``s`` with P(score >= s) = ``p`` under :func:`exceedance`'s model of ``table`` (its exact inverse
    between and beyond the levels; clamped at the first level above it): the one place a tail becomes a threshold."""
    ps = np.asarray(table["p"], np.float64)
    ss = np.asarray(table["s"], np.float64)
    logp, q = np.log(ps), np.log(p)
    if q >= logp[-1]:
        return float(np.interp(-q, -logp, ss))
    k = min(4, len(ss))
    slope = (logp[-1] - logp[-k]) / max(ss[-1] - ss[-k], 1e-6) if k >= 2 else -30.0
    return float(ss[-1] + (q - logp[-1]) / min(slope, -1.0))


def trusted(table: dict, min_count: int) -> dict:
    """``table`` without the levels backed by fewer than ``min_count`` scores (p n < min_count)."""
    keep = [i for i, p in enumerate(table["p"]) if p * table["n"] >= min_count]
    return {**table, "p": [table["p"][i] for i in keep], "s": [table["s"][i] for i in keep]}


def threshold_for_rate(rates: list[float], thresholds: list[float], target: float) -> float:
    """Threshold at which a decreasing rate curve (FAR) equals ``target``: log-linear interpolation
    in the measured table ``rates`` (descending) -> ``thresholds`` (ascending), clamped at its ends."""
    r = np.log(np.asarray(rates, np.float64))
    t = np.asarray(thresholds, np.float64)
    return float(np.interp(np.log(target), r[::-1], t[::-1]))


def far_table(impostor: np.ndarray, levels=(1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5)) -> dict:
    """Thresholds for false-accept rates, measured on impostor scores (only levels with >= 10 samples)."""
    x = np.sort(np.asarray(impostor, np.float64))
    n = len(x)
    rates, thr = [], []
    for f in levels:
        if f * n < 10:
            break
        rates.append(f)
        thr.append(round(float(x[int(np.ceil((1 - f) * n))] if int(np.ceil((1 - f) * n)) < n else x[-1]), 6))
    return {"far": rates, "threshold": thr, "impostor_pairs": int(n)}


def bcubed(labels: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """BCubed (precision, recall, F) of a grouping ``labels`` (N,) against true identities ``truth`` (N,);
    a label of -1 (unsorted) is a group of its own. Precision: for each item, the share of its group that is
    its identity; recall: the share of its identity that is in its group; both averaged over items."""
    labels, truth = np.asarray(labels).copy(), np.asarray(truth)
    if labels.shape != truth.shape or labels.ndim != 1:
        raise ValueError(f"labels {labels.shape} and truth {truth.shape} must be equal 1-d shapes")
    if len(labels) == 0:
        return 1.0, 1.0, 1.0
    alone = labels < 0
    labels[alone] = labels.max(initial=-1) + 1 + np.arange(alone.sum())
    _, g = np.unique(labels, return_inverse=True)
    _, t = np.unique(truth, return_inverse=True)
    _, cell, both = np.unique(g.astype(np.int64) * (t.max() + 1) + t, return_inverse=True, return_counts=True)
    both = both[cell]
    p = float(np.mean(both / np.bincount(g)[g]))
    r = float(np.mean(both / np.bincount(t)[t]))
    return p, r, 2 * p * r / (p + r)
