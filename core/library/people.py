"""Regrouping the library: the store's faces and user decisions in, groups of people out.

User decisions become constraints every regrouping keeps: the faces a decision placed in a group (``pinned``)
must stay together; a face rejected from a person ("not this person") can never join them; two groups said to
be different people, and any two groups a user acted on, are never merged automatically. After grouping, each
group that holds a person's pinned faces is that person; other groups keep the id of the unnamed group most of
their faces were in (so ids stay stable for the CLI and the window) or get a new one.

The grouping's state is saved beside the library (``grouping.npz``, sealed under an encrypted library's key;
derived: rebuilt when it disagrees with the database), so adding photos regroups only around them.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from core.errors import LibraryError
from core.library.cluster import Params
from core.library.grouper import Grouper
from core.library.store import STATE_NAME, FaceArrays, LibraryStore
from core.storage import SealBroken, read_maybe_sealed, write_maybe_sealed

INCREMENTAL_SHARE = 0.1   # more new faces than this share of the grouped ones: group everything again


def constraints(arr: FaceArrays, store: LibraryStore) -> tuple[np.ndarray, np.ndarray]:
    """(must-link, cannot-link) pairs of face keys from the store's decisions."""
    by_person: dict[int, list[int]] = {}
    for key, person, pinned in zip(arr.keys.tolist(), arr.person.tolist(), arr.pinned.tolist()):
        if pinned and person >= 0:
            by_person.setdefault(person, []).append(key)
    must = [(ks[i], ks[i + 1]) for ks in by_person.values() for i in range(len(ks) - 1)]
    rep = {p: ks[0] for p, ks in by_person.items()}
    key_of = dict(zip(arr.ids.tolist(), arr.keys.tolist()))
    rejections, apart = store.constraints()
    cannot = [(key_of[f], rep[p]) for f, p in rejections if f in key_of and p in rep]
    cannot += [(rep[a], rep[b]) for a, b in apart if a in rep and b in rep]
    people = sorted(rep)
    cannot += [(rep[a], rep[b]) for i, a in enumerate(people) for b in people[i + 1:]]  # acted-on groups stay apart
    return np.asarray(must, np.int64).reshape(-1, 2), np.asarray(cannot, np.int64).reshape(-1, 2)


def assign(arr: FaceArrays, labels: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The group of each face from the labels (in key order): (person (N,), new groups). A label holding pinned
    faces is their person; else the unnamed group most of its faces were in, unless a larger label took it
    first; else a new group (-2 - j). Unsorted faces (-1) keep a pinned person."""
    person = np.where(arr.pinned, arr.person, -1)
    new_groups: list[np.ndarray] = []
    top = int(arr.person.max(initial=-1)) + 1
    closed = np.zeros(top + 1, bool)           # person ids no longer free to take: decided people, taken ones
    closed[arr.person[arr.pinned & (arr.person >= 0)]] = True
    order = np.argsort(labels, kind="stable")  # rows of each label together, ascending within it
    cuts = np.flatnonzero(np.diff(labels[order])) + 1
    for rows in np.split(order, cuts):
        if not len(rows) or labels[rows[0]] < 0:
            continue
        owners = np.unique(arr.person[rows][arr.pinned[rows]])
        if len(owners) > 1:
            raise LibraryError("Two decided people ended up in one group; this is a bug, please report it.")
        if len(owners) == 1:
            person[rows] = owners[0]
            closed[owners[0]] = True
            continue
        prev = arr.person[rows]
        prev = prev[prev >= 0]
        prev = prev[~closed[prev]]
        if len(prev):
            ids, counts = np.unique(prev, return_counts=True)
            best = int(ids[np.lexsort((ids, -counts))[0]])
            person[rows] = best
            closed[best] = True
        else:
            person[rows] = -2 - len(new_groups)
            new_groups.append(rows)
    return person, new_groups


class Regrouper:
    """Groups one library's faces of one model (``calibration``: the model's, see :mod:`core.zoo`)."""

    def __init__(self, store: LibraryStore, model_key: str, dim: int, calibration: dict, params: Params = Params()):
        self.store, self.model_key, self.dim, self.cal, self.params = store, model_key, dim, calibration, params

    @property
    def state_path(self) -> Path:
        return self.store.root / STATE_NAME

    def _grouper(self, arr: FaceArrays, must: np.ndarray, cannot: np.ndarray, full: bool) -> tuple[Grouper, str]:
        """A grouper holding ``arr``'s faces: the saved state warmed up with the new faces and decisions, or a
        fresh fit (first time, ``full``, faces removed, many new faces, or a state from other settings). A fresh
        fit depends only on the faces and decisions, never on the order photos came in."""
        g = Grouper(self.cal, self.params)
        if not full and self.state_path.is_file():
            try:
                loaded = g.load(read_maybe_sealed(self.state_path, self.store.key, "grouping state"), arr.keys,
                                arr.embeddings)
            except (OSError, SealBroken):
                loaded = False
            if loaded and len(g) and len(arr.keys):
                new = ~np.isin(arr.keys, g.keys)
                if new.sum() <= INCREMENTAL_SHARE * len(g):
                    g.add(arr.embeddings[new], arr.photos[new], arr.keys[new])
                    g.set_constraints(must, cannot)
                    return g, "incremental"
        g.fit(arr.embeddings, arr.photos, arr.keys, must, cannot)
        return g, "full"

    def regroup(self, full: bool = False) -> dict:
        """Group every face again under the decisions; writes the groups and saves the state."""
        t0 = time.perf_counter()
        arr = self.store.face_arrays(self.model_key, self.dim)
        must, cannot = constraints(arr, self.store)
        g, how = self._grouper(arr, must, cannot, full)
        labels = g.labels(arr.keys) if len(arr.keys) else np.zeros(0, np.int64)
        person, new_groups = assign(arr, labels)
        report = self.store.apply_grouping(arr.ids, person, new_groups, arr.person)
        write_maybe_sealed(self.state_path, g.to_bytes(), self.store.key)
        return {"regrouped": how, "faces": int(len(arr.keys)), "groups": int(len(np.unique(labels[labels >= 0]))),
                "unsorted": int((labels < 0).sum()), **report, **{k: g.stats[k] for k in ("tau1",) if k in g.stats},
                "seconds": round(time.perf_counter() - t0, 2)}
