"""Names that are already taken: how alike two groups (or a group and an enrolled person) look, so that
naming a group with someone else's name is a question, never a silent merge of two people."""

from __future__ import annotations

import numpy as np

from core.errors import NameInUse

STRANGER_RATE = 0.01   # "likely the same person" from the score a stranger reaches 1% of the time


def mean_embedding(lib, person_id: int) -> tuple[np.ndarray | None, int]:
    """(normalised mean embedding (D,), number of faces) of a library group; (None, 0) when it has none."""
    ids = [f["id"] for f in lib.store.faces_of(person_id)]
    if not ids:
        return None, 0
    return _unit_mean(lib.store.embeddings_of(ids, lib.spec.embedding_size)), len(ids)


def _unit_mean(vecs: np.ndarray) -> np.ndarray:
    m = np.asarray(vecs, np.float32).sum(axis=0)
    return m / max(float(np.linalg.norm(m)), 1e-12)


def same_person(lib, a: np.ndarray | None, na: int, b: np.ndarray | None, nb: int) -> dict:
    """How alike two sets of faces are: the cosine of their normalised means, against the calibrated score a
    stranger reaches against a person of the larger set's size :data:`STRANGER_RATE` of the time (the
    grouping's own rule, :class:`core.library.cluster.Thresholds`)."""
    from core.library.cluster import Thresholds

    thr = float(Thresholds(lib.calibration, STRANGER_RATE)(max(na, nb, 1))) if lib.calibration else 0.5
    sim = None if a is None or b is None else float(a @ b)
    return {"similarity": sim, "threshold": thr, "likely_same": sim is not None and sim >= thr}


def compare(lib, a: int, b: int) -> dict:
    return same_person(lib, *mean_embedding(lib, a), *mean_embedding(lib, b))


def known_names(lib) -> list[str]:
    names = {p["name"] for p in lib.store.people() if p["name"]}
    g = lib.existing_gallery()
    if g is not None:
        with g:
            names.update(g.names())
    return sorted(names, key=str.casefold)


def name_in_use(lib, person_id: int, name: str) -> NameInUse | None:
    """The error naming group ``person_id`` as ``name`` meets when someone else has that name (in the library,
    or only in the gallery), with how alike the two look; None when the name is free (or already theirs)."""
    other = lib.store.person_by_name(name)
    mine, n = mean_embedding(lib, person_id)
    if other is not None and other.id != person_id:
        theirs, m = mean_embedding(lib, other.id)
        where, existing = f"group {other.id} ({m} face{'' if m == 1 else 's'})", other.id
    else:
        if other is not None or lib.store.person(person_id).gallery_name == name:
            return None
        g = lib.existing_gallery()
        if g is None:
            return None
        with g:
            if name not in g.names():
                return None
            people = g.store.identity_embeddings(g.model_key, g.spec.embedding_size) \
                if g.model_key == lib.model_key else {}
        vecs = people.get(name)
        theirs, m = (None, 0) if vecs is None or not len(vecs) else (_unit_mean(vecs), len(vecs))
        where, existing = "a person enrolled in the gallery", -1
    c = same_person(lib, mine, n, theirs, m)
    look = "cannot be compared" if c["similarity"] is None else (
        f"look like {'the same person' if c['likely_same'] else 'different people'} (similarity "
        f"{c['similarity']:.2f}; the same person from {c['threshold']:.2f})")
    return NameInUse(f"“{name}” is already the name of {where}; the two {look}. Join them explicitly "
                     "(people name --join), or choose another name.", existing, c["similarity"], c["threshold"],
                     c["likely_same"])
