"""The undo journal, the decisions and the review queue on synthetic embeddings (no model, about a second): every
decision is undone exactly, in any order of kinds; a name someone has is refused until joined; the queue asks about
faces like a named person, the person named last first, and an answer sticks."""

from __future__ import annotations

import numpy as np
import pytest

from core.config import Settings
from core.errors import NameInUse
from core.library import Library


@pytest.fixture
def lib(tmp_path):
    """A library of three people, eight photos each (128-d unit embeddings around each person's centre)."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(3, 128))
    with Library(tmp_path / "lib", settings=Settings(gallery=str(tmp_path / "gallery"), encrypt=False)) as library:
        for person in range(3):
            for i in range(8):
                v = centres[person] / np.linalg.norm(centres[person]) + 0.3 * rng.normal(size=128) / np.sqrt(128)
                library.store.put_photo(f"/p/{person}-{i}.jpg", 1, 1, f"{person}{i}".ljust(64, "0"), (100, 100),
                                        None, None, [{"box": [1, 1, 50, 50], "landmarks": [[1, 1]] * 5,
                                                      "det_score": 1.0, "quality": 1.0,
                                                      "embedding": (v / np.linalg.norm(v)).astype(np.float32),
                                                      "crop": b"jpeg"}], library.model_key)
        library.regroup(full=True)
        yield library


def state(lib) -> set:
    return {(g.id, g.name, g.hidden, tuple(sorted(f.id for f in g.faces))) for g in lib.people().groups}


def test_each_decision_is_undone_exactly_newest_first(lib):
    groups = [g.id for g in lib.people().groups]
    assert len(groups) == 3 and all(g.count == 8 for g in lib.people().groups)
    states = [state(lib)]
    a, b, c = groups
    faces_c = [f.id for f in lib.show(c).faces]
    for act in (lambda: lib.name(a, "Ada", enrol=False), lambda: lib.merge(b, a),
                lambda: lib.reject(faces_c[:2], c), lambda: lib.not_a_face(faces_c[2]), lambda: lib.ignore([c]),
                lambda: lib.split(a, [[f.id for f in lib.show(a).faces[:8]],
                                      [f.id for f in lib.show(a).faces[8:]]])):
        act()
        states.append(state(lib))
    assert len(lib.store.decisions()) == 6
    for expected in reversed(states[:-1]):
        assert lib.last_decision() is not None
        lib.undo()
        assert state(lib) == expected
    assert lib.last_decision() is None


def test_a_name_someone_has_is_refused_until_joined(lib):
    a, b, _c = (g.id for g in lib.people().groups)
    lib.name(a, "Ada", enrol=False)
    with pytest.raises(NameInUse) as err:
        lib.name(b, "Ada", enrol=False)
    assert err.value.existing_id == a and not err.value.likely_same and err.value.similarity < err.value.threshold
    # one pair's question, at 1% whatever the library's size (the grouping's own rate shrinks with every face)
    from core.decide.open_set import Thresholds

    assert err.value.threshold == round(float(Thresholds(lib.calibration, 0.01)(8)), 4) < 0.5
    lib.name(b, "Ada", enrol=False, join=True)
    assert lib.show(a).count == 16



def add_face_like(lib, group: int, cos: float, seed: int) -> int:
    """A new one-face photo whose embedding has cosine ``cos`` with ``group``'s centroid; its face id."""
    from core.gallery.identity import centroid

    c = centroid(lib.store.embeddings_of([f.id for f in lib.show(group).faces], 128))
    r = np.random.default_rng(seed).normal(size=128)
    u = r - (r @ c) * c
    v = (cos * c + np.sqrt(1 - cos ** 2) * u / np.linalg.norm(u)).astype(np.float32)
    lib.store.put_photo(f"/p/new-{seed}.jpg", 1, 1, f"new{seed}".ljust(64, "0"), (100, 100), None, None,
                        [{"box": [1, 1, 50, 50], "landmarks": [[1, 1]] * 5, "det_score": 1.0, "quality": 1.0,
                          "embedding": v, "crop": b"jpeg"}], lib.model_key)
    lib.regroup()
    return max(f.id for f in lib.faces_of(None))


def test_the_review_queue_asks_about_faces_like_a_named_person_until_answered(lib):
    """A face too far from Ada to be grouped with her, but above the floor the calibration sets, is asked about
    ("Is this Ada?"), the person named last first; "no" is never asked again, even after a full regrouping;
    "yes" puts the face with her."""
    a, b, _c = (g.id for g in lib.people().groups)
    lib.name(a, "Ada", enrol=False)
    lib.name(b, "Bob", enrol=False)
    ada_face, bob_face = add_face_like(lib, a, 0.36, 1), add_face_like(lib, b, 0.36, 2)
    assert {f.id for f in lib.faces_of(None)} == {ada_face, bob_face}      # neither grouped: too unlike
    asked = lib.review()
    assert [(s.kind, s.id, s.person) for s in asked] == [("face", bob_face, "Bob"), ("face", ada_face, "Ada")]
    assert all(s.floor <= s.score < 0.37 for s in asked)
    lib.reject_suggestion(asked[0])                                       # "no": it is not Bob
    assert [s.id for s in lib.review()] == [ada_face]
    lib.regroup(full=True)
    assert [s.id for s in lib.review()] == [ada_face]                     # the answer stays
    lib.confirm_face(ada_face, "Ada")                                     # "yes"
    assert lib.review() == [] and ada_face in {f.id for f in lib.show(a).faces}
