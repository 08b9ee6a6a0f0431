"""Names that are already taken: how alike two groups (or a group and an enrolled person) look, so that
naming a group with someone else's name is a question, never a silent merge of two people (the grouping's own
same-person test, :mod:`core.library.likeness`)."""

from __future__ import annotations

from core.errors import NameInUse
from core.library.likeness import PAIR_RATE, Likeness, faces_likeness, likeness


def face_ids(lib, person_id: int) -> list[int]:
    return [f["id"] for f in lib.store.faces_of(person_id)]


def compare(lib, a: int, b: int) -> Likeness:
    return faces_likeness(lib, face_ids(lib, a), face_ids(lib, b))


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
    mine = face_ids(lib, person_id)
    dim = lib.spec.embedding_size
    mine_x = lib.store.embeddings_of(mine, dim) if mine else None
    if other is not None and other.id != person_id:
        theirs = face_ids(lib, other.id)
        m = len(theirs)
        c = likeness(lib, mine_x, lib.store.embeddings_of(theirs, dim) if theirs else None, PAIR_RATE)
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
        c = likeness(lib, mine_x, None if vecs is None or not len(vecs) else vecs, PAIR_RATE)
        where, existing = "a person enrolled in the gallery", -1
    return NameInUse(f"“{name}” is already the name of {where}; the two {c.in_words()}. Join them explicitly "
                     "(people name --join), or choose another name.", existing, c.score, c.threshold, c.likely_same)
