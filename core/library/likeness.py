"""Whether two sets of faces look like one person: the grouping's own merge test, the one rule behind "these
look like the same person" when a name is taken, the split proposal, and :meth:`Library.compare`.

The smaller set's mean identity score against the larger set's normalised centroid (``score``) is compared with
the score a stranger reaches against that many faces with chance ``rate`` (``threshold``, from the model's
calibration: :class:`core.decide.open_set.Thresholds`). The rate is the question's: the grouping's (``merge_fpir``
spread over every face of the library: it asks about every pair at once) for a split and ``compare``;
:data:`PAIR_RATE` for one pair a person asks about (a name already taken), which must not grow stricter with the
size of the library.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from core.decide.open_set import Thresholds
from core.library.cluster import Params, _margins

UNCALIBRATED = 0.5   # the threshold shown when the model has no calibration (nothing is grouped then anyway)
PAIR_RATE = 0.01     # "the same person" for one pair: the score a stranger reaches 1% of the time


@dataclass(frozen=True)
class Likeness:
    """``score``: None when either set has no faces with the library's model."""

    score: float | None
    threshold: float
    likely_same: bool

    def in_words(self) -> str:
        if self.score is None:
            return "cannot be compared"
        return (f"look like {'the same person' if self.likely_same else 'different people'} (similarity "
                f"{self.score:.2f}; the same person from {self.threshold:.2f})")

    def to_json(self) -> dict:
        return asdict(self)


def stranger_tau(lib, rate: float | None = None) -> Thresholds:
    """tau(k) at ``rate``; None: the library's stranger rate (the grouping's ``merge_fpir`` spread over its faces)."""
    prm = Params()
    p = rate if rate is not None else prm.merge_fpir / max(lib.store.counts()["faces"], 1)
    return Thresholds(lib.calibration, p, prm.tail_min_count)


def likeness(lib, xa: np.ndarray | None, xb: np.ndarray | None, rate: float | None = None) -> Likeness:
    """The merge test between embeddings ``xa`` (Na, D) and ``xb`` (Nb, D), unit rows, at ``rate`` (None: the
    library's stranger rate, as the grouping decides); without a calibration, against :data:`UNCALIBRATED`."""
    na, nb = (0 if x is None else len(x) for x in (xa, xb))
    thr = UNCALIBRATED if lib.calibration is None else float(stranger_tau(lib, rate)(max(na, nb, 1)))
    if not na or not nb:
        return Likeness(None, round(thr, 4), False)
    sa = np.asarray(xa).sum(0, dtype=np.float64)[None]
    sb = np.asarray(xb).sum(0, dtype=np.float64)[None]
    score = float(_margins(sa, np.array([na]), sb, np.array([nb]), lambda k: np.zeros(np.shape(k)))[0])
    return Likeness(round(score, 4), round(thr, 4), score >= thr)


def faces_likeness(lib, a: list[int], b: list[int]) -> Likeness:
    """The merge test between two sets of the library's faces (ids)."""
    dim = lib.spec.embedding_size
    return likeness(lib, lib.store.embeddings_of(list(a), dim) if a else None,
                    lib.store.embeddings_of(list(b), dim) if b else None)
