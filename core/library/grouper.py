"""The grouping's state: faces in key order, the candidate graph, each face's group; faces and user decisions
are added later with a warm start (only the groups near a change are reconsidered), and the state is saved
beside the library so a new process continues where the last one stopped.

Keys are unique, stable ids of faces that depend only on their photo's content (so grouping does not depend on
the order photos were scanned); must-link and cannot-link decisions are pairs of keys.
"""

from __future__ import annotations

import hashlib
import io

import numpy as np

from core.decide.open_set import Thresholds
from core.library.cluster import (
    Conflict,
    Params,
    agglomerate,
    finish,
    graph_edges,
    knn,
    same_photo_pairs,
    verify_threshold,
)

STATE_VERSION = 2  # 2: the embeddings are not saved (the database holds them)


def _pairs(p) -> np.ndarray:
    p = np.asarray(p, np.int64)
    return p.reshape(-1, 2) if p.size else np.zeros((0, 2), np.int64)


def _minus(p: np.ndarray, q: np.ndarray) -> list[list[int]]:
    """Pairs of ``p`` not in ``q`` (either orientation)."""
    have = {tuple(sorted(r)) for r in q.tolist()}
    return [r for r in p.tolist() if tuple(sorted(r)) not in have]


class Grouper:
    def __init__(self, calibration: dict, params: Params = Params()):
        self.cal, self.prm = calibration, params
        self.t_edge = verify_threshold(calibration, params.edge_far)
        self.keys = np.zeros(0, np.int64)
        self.x = np.zeros((0, 0), np.float32)
        self.photo = np.zeros(0, np.int64)
        self.root = np.zeros(0, np.int64)
        self.eu = self.ev = np.zeros(0, np.int64)
        self.must, self.cannot = _pairs([]), _pairs([])
        self.stats: dict = {}

    def __len__(self) -> int:
        return len(self.keys)

    def fit(self, emb, photo_ids, keys, must_link=(), cannot_link=()) -> np.ndarray:
        """Group from scratch: ``emb`` (N, D) unit rows, ``photo_ids`` (N,), ``keys`` (N,) unique int64. Returns
        the labels in the order of ``keys``."""
        keys = np.asarray(keys, np.int64)
        if len(np.unique(keys)) != len(keys):
            raise ValueError("face keys must be unique")
        o = np.argsort(keys, kind="stable")
        self.keys, self.photo = keys[o], np.asarray(photo_ids, np.int64)[o]
        self.x = np.ascontiguousarray(np.asarray(emb, np.float32)[o])
        self.must, self.cannot = _pairs(must_link), _pairs(cannot_link)
        if len(keys) == 0:
            self.root, self.eu, self.ev = np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
            return self.labels(keys)
        sims, ids = knn(self.x, self.prm.k, self.prm)
        self.eu, self.ev = graph_edges(sims, ids, np.arange(len(o)), self.photo, self.t_edge)
        self.root = self._must_roots(np.arange(len(o)))
        self._run(np.ones(len(self.eu), bool))
        return self.labels(keys)

    def labels(self, keys=None) -> np.ndarray:
        """Group labels in the order of ``keys`` (default: the sorted keys); -1 = unsorted."""
        lab = finish(self.root, self.prm.min_size)
        return lab if keys is None else lab[self._idx(np.asarray(keys, np.int64))]

    def add(self, emb, photo_ids, keys) -> None:
        """Add faces: exact kNN of the new faces against all, then regroup around them (existing groups are only
        ever joined, never split: a periodic :meth:`fit` tidies up)."""
        keys = np.asarray(keys, np.int64)
        if len(keys) == 0:
            return
        allk = np.concatenate([self.keys, keys])
        if len(np.unique(allk)) != len(allk):
            raise ValueError("face keys must be unique")
        o = np.argsort(allk, kind="stable")
        pos = np.empty(len(o), np.int64)
        pos[o] = np.arange(len(o))
        n_old = len(self.keys)
        self.keys = allk[o]
        self.photo = np.concatenate([self.photo, np.asarray(photo_ids, np.int64)])[o]
        x_new = np.asarray(emb, np.float32).reshape(len(keys), -1)
        self.x = np.ascontiguousarray(np.concatenate([self.x.reshape(n_old, x_new.shape[1]), x_new])[o])
        self.root = np.concatenate([pos[self.root], pos[n_old:]])[o]
        self.eu, self.ev = pos[self.eu], pos[self.ev]
        new = pos[n_old:]
        sims = self.x[new] @ self.x.T
        k = min(self.prm.k + 1, len(o))
        ids = np.argpartition(-sims, k - 1, axis=1)[:, :k]
        eu, ev = graph_edges(np.take_along_axis(sims, ids, 1), ids, new, self.photo, self.t_edge)
        dirty = np.r_[np.zeros(len(self.eu), bool), np.ones(len(eu), bool)]
        self.eu, self.ev = np.concatenate([self.eu, eu]), np.concatenate([self.ev, ev])
        self._run(dirty)

    def set_constraints(self, must_link=(), cannot_link=()) -> None:
        """Replace the user decisions (pairs of keys; an undo drops a pair). Groups holding a barred pair, a
        linked pair apart, or a face of a dropped pair are dissolved and regrouped from the must-link groups.
        A contradiction raises :class:`Conflict` and leaves the grouping as it was."""
        ml, cl = _pairs(must_link), _pairs(cannot_link)
        known = set(self.keys.tolist())
        ml = ml[[a in known and b in known for a, b in ml.tolist()]] if len(ml) else ml
        cl = cl[[a in known and b in known for a, b in cl.tolist()]] if len(cl) else cl
        gone = [p for old, new in ((self.must, ml), (self.cannot, cl)) for p in _minus(old, new)]
        saved = self.root.copy(), self.must, self.cannot
        try:
            self.must, self.cannot = ml, cl
            ci = self._idx(np.concatenate([cl, ml]).ravel()).reshape(-1, 2)
            same = self.root[ci[:, 0]] == self.root[ci[:, 1]]
            bad = ci[np.r_[same[:len(cl)], ~same[len(cl):]]].ravel()   # barred together, linked apart
            gone_known = [k for p in gone for k in p if k in known]
            if gone_known:
                bad = np.r_[bad, self._idx(np.asarray(gone_known, np.int64))]
            touched = np.isin(self.root, self.root[bad])
            self.root[touched] = np.flatnonzero(touched)          # dissolve; must-links rejoin below
            self.root = self._must_roots(self.root)
            touched |= np.isin(self.root, self.root[touched])
            self._run(touched[self.eu] | touched[self.ev])
        except Exception:
            self.root, self.must, self.cannot = saved
            raise

    # ------------------------------------------------------------ persistence

    def fingerprint(self) -> str:
        """What the state was computed from: the calibration and the parameters (a saved state with another
        fingerprint is not reused)."""
        cal = repr((self.cal.get("fingerprint"), self.cal.get("model"), self.cal.get("provenance", {}).get("date")))
        return hashlib.sha256(f"{STATE_VERSION}|{cal}|{self.prm}".encode()).hexdigest()[:16]

    def to_bytes(self) -> bytes:
        """The state without the embeddings (the database holds them; :meth:`load` takes them back)."""
        buf = io.BytesIO()
        np.savez(buf, fingerprint=np.array(self.fingerprint()), keys=self.keys, photo=self.photo,
                 root=self.root, eu=self.eu, ev=self.ev, must=self.must, cannot=self.cannot)
        return buf.getvalue()

    def load(self, data: bytes, keys: np.ndarray, emb: np.ndarray) -> bool:
        """Restore a saved state, its faces' embeddings taken from ``emb`` (N, D) rows of ``keys`` (N,) in
        ascending order. False, and nothing changed, when the state is damaged, from other settings, or holds a
        face ``keys`` lacks."""
        try:
            z = np.load(io.BytesIO(data), allow_pickle=False)
            if str(z["fingerprint"]) != self.fingerprint():
                return False
            state = {k: z[k] for k in ("keys", "photo", "root", "eu", "ev", "must", "cannot")}
        except (OSError, ValueError, KeyError, EOFError):
            return False
        have = np.isin(keys, state["keys"])
        if have.sum() != len(state["keys"]):
            return False
        self.x = np.ascontiguousarray(np.asarray(emb, np.float32)[have])
        self.keys, self.photo, self.root = state["keys"], state["photo"], state["root"]
        self.eu, self.ev, self.must, self.cannot = state["eu"], state["ev"], state["must"], state["cannot"]
        return True

    # ------------------------------------------------------------ internals

    def _idx(self, keys: np.ndarray) -> np.ndarray:
        """Positions of ``keys`` in the sorted key order (KeyError for an unknown key)."""
        i = np.searchsorted(self.keys, keys)
        if (i >= len(self.keys)).any() or (self.keys[np.minimum(i, len(self.keys) - 1)] != keys).any():
            raise KeyError("unknown face key")
        return i

    def _must_roots(self, root: np.ndarray) -> np.ndarray:
        """Join the groups of must-linked faces (components by label propagation; the smallest group id wins)."""
        if not len(self.must):
            return root
        mi = self._idx(self.must.ravel()).reshape(-1, 2)
        ga, gb = root[mi[:, 0]], root[mi[:, 1]]
        lab = np.arange(len(root))
        while True:
            lo = np.minimum(lab[ga], lab[gb])
            new = lab.copy()
            np.minimum.at(new, ga, lo)
            np.minimum.at(new, gb, lo)
            new = new[new]
            if (new == lab).all():
                return lab[root]
            lab = new

    def _run(self, dirty: np.ndarray) -> None:
        cl = same_photo_pairs(self.photo)
        if len(self.cannot):
            cl = np.concatenate([cl, self._idx(self.cannot.ravel()).reshape(-1, 2)])
        tau = Thresholds(self.cal, self.prm.merge_fpir / len(self.keys), self.prm.tail_min_count)
        self.stats = {"p": tau.p, "tau1": round(float(tau(1)), 4), "edges": len(self.eu)}
        self.root = agglomerate(self.x, self.root, self.eu, self.ev, dirty, cl.astype(np.int64), tau, self.stats)


__all__ = ["Conflict", "Grouper", "Params"]
