"""The 1:N operating point from a model's impostor statistics (pure numpy).

A stranger's face is named when its best identity score reaches the threshold. The calibration
stores, for an identity with k enrolled faces (k = 1, 2, 3, 5, 10, 20), the tail of a stranger's
identity score (:func:`core.decide.metrics.tail_table`). From it: the chance a stranger is named
in a gallery with given face counts (the stranger rate, FPIR), and the lowest threshold that keeps
that chance at a target; and for the photo library's grouping, far deeper in the tail, :class:`Thresholds`.
Both turn a rate into a threshold through :func:`core.decide.metrics.exceedance`'s one tail model (the grouping
by its exact inverse, :func:`core.decide.metrics.score_at_rate`; the gallery by bisection, since its rate is a
product over identities of several sizes).
"""

from __future__ import annotations

import numpy as np

from core.decide.metrics import exceedance, score_at_rate, trusted


def _bucket_exceedance(impostor: dict, k: int, t: float) -> float:
    """P(identity score >= t) for a stranger against one identity with ``k`` faces (log-interpolated in k)."""
    ks = np.asarray(impostor["k"], np.float64)
    tables = impostor["tables"]
    if k <= ks[0]:
        return float(exceedance(tables[0], t))
    if k >= ks[-1]:
        return float(exceedance(tables[-1], t))
    j = int(np.searchsorted(ks, k))
    lo, hi = np.log(float(exceedance(tables[j - 1], t))), np.log(float(exceedance(tables[j], t)))
    w = (np.log(k) - np.log(ks[j - 1])) / (np.log(ks[j]) - np.log(ks[j - 1]))
    return float(np.exp(lo + w * (hi - lo)))


def tails_stranger_rate(impostor: dict, face_counts: list[int], threshold: float) -> float:
    """FPIR: the chance a stranger's face is named as someone, for identities with ``face_counts`` faces."""
    if not face_counts:
        return 0.0
    counts: dict[int, int] = {}
    for k in face_counts:
        counts[int(k)] = counts.get(int(k), 0) + 1
    log_none = sum(n * np.log1p(-min(_bucket_exceedance(impostor, k, threshold), 1 - 1e-12))
                   for k, n in counts.items())
    return float(-np.expm1(log_none))


def open_set_threshold(impostor: dict, face_counts: list[int], fpir: float) -> float:
    """The lowest threshold whose stranger rate is at most ``fpir`` for this gallery (bisection)."""
    if not face_counts:
        face_counts = [3]
    lo, hi = -1.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if tails_stranger_rate(impostor, face_counts, mid) > fpir:
            lo = mid
        else:
            hi = mid
    return float(hi)


class Thresholds:
    """tau(k): the score a stranger's identity score against a k-face identity reaches with chance ``p``, for
    the photo library's grouping (``p`` far into the tail: the grouping's stranger rate over every face).

    The 1-face table's levels backed by at least ``min_count`` scores, inverted by
    :func:`core.decide.metrics.score_at_rate`; a k-face identity shifts it by (mean_k - mean_1): the calibrated
    k-tables share one spread and differ in location, and only the 1-face table (the most scores) is trusted
    that deep. The gallery's :func:`open_set_threshold` interpolates the k-tables instead, at rates they
    measure.
    """

    def __init__(self, cal: dict, p: float, min_count: int = 50):
        imp = cal["impostor"]
        self.s1 = score_at_rate(trusted(imp["tables"][0], min_count), p)
        self.logk = np.log(np.asarray(imp["k"], float))
        self.shift = np.array([t["mean"] for t in imp["tables"]]) - imp["tables"][0]["mean"]
        self.p = p

    def __call__(self, k):
        return self.s1 + np.interp(np.log(np.maximum(np.asarray(k, float), 1.0)), self.logk, self.shift)


def population_mean(impostor: dict, k: int) -> float:
    """Mean identity score of a stranger against an identity with ``k`` faces (the model's cohort statistics)."""
    ks = list(impostor["k"])
    j = min(range(len(ks)), key=lambda i: abs(np.log(ks[i]) - np.log(max(k, 1))))
    return float(impostor["tables"][j]["mean"])
