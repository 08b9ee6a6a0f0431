"""Whether two sets of faces look like one person: the grouping's own merge test, the one rule behind "these
look like the same person" when a name is taken, the split proposal, and :meth:`Library.compare`.

The smaller set's mean identity score against the larger set's normalised centroid (``score``) is compared with
the score a stranger reaches against that many faces at the library's stranger rate (``threshold``, from the
model's calibration: :class:`core.decide.open_set.Thresholds` at ``merge_fpir`` / faces in the library).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from core.decide.open_set import Thresholds
from core.library.cluster import Params, _margins

UNCALIBRATED = 0.5   # the threshold shown when the model has no calibration (nothing is grouped then anyway)


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


def stranger_tau(lib) -> Thresholds:
    """tau(k) at the library's stranger rate: the grouping's ``merge_fpir`` spread over its faces."""
    prm = Params()
    return Thresholds(lib.calibration, prm.merge_fpir / max(lib.store.counts()["faces"], 1), prm.tail_min_count)


def likeness(lib, xa: np.ndarray | None, xb: np.ndarray | None) -> Likeness:
    """The merge test between embeddings ``xa`` (Na, D) and ``xb`` (Nb, D), unit rows."""
    na, nb = (0 if x is None else len(x) for x in (xa, xb))
    if lib.calibration is None:
        return Likeness(None, UNCALIBRATED, False)
    tau = stranger_tau(lib)
    thr = float(tau(max(na, nb, 1)))
    if not na or not nb:
        return Likeness(None, round(thr, 4), False)
    sa = np.asarray(xa).sum(0, dtype=np.float64)[None]
    sb = np.asarray(xb).sum(0, dtype=np.float64)[None]
    margin = float(_margins(sa, np.array([na]), sb, np.array([nb]), tau)[0])
    return Likeness(round(margin + thr, 4), round(thr, 4), margin >= 0)


def faces_likeness(lib, a: list[int], b: list[int]) -> Likeness:
    """The merge test between two sets of the library's faces (ids)."""
    dim = lib.spec.embedding_size
    return likeness(lib, lib.store.embeddings_of(list(a), dim) if a else None,
                    lib.store.embeddings_of(list(b), dim) if b else None)
