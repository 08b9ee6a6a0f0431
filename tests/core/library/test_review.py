"""The review queue and split proposals on real photos (the 5-celebrity train photos) with the model's real
calibration: what is asked (faces down to a floor from the calibration, groups only when likely), in which
order (the person just named first, then nearest the threshold), "likely" only at or above the threshold, a
wrong face answered yes never becomes the cover, and a split is proposed only for two people."""

from __future__ import annotations

import shutil

import pytest

from core.config import Settings
from core.library import Library

pytestmark = pytest.mark.slow
NAMES = ("Ada", "Bob", "Cy", "Di", "Ed")


@pytest.fixture(scope="module")
def scanned_train(tmp_path_factory, samples):
    from tests.conftest import scanned_library

    return scanned_library(tmp_path_factory.mktemp("review"), samples / "train")


@pytest.fixture
def lib(scanned_train, tmp_path):
    shutil.copytree(scanned_train, tmp_path / "lib")
    with Library(tmp_path / "lib", settings=Settings(gallery=str(tmp_path / "gallery"))) as library:
        yield library


def groups(lib) -> list[int]:
    return [g["id"] for g in lib.store.people() if g["faces"]]


def test_the_floor_comes_from_the_calibration_and_the_number_of_candidates(lib):
    from core.decide.open_set import open_set_threshold
    from core.library.review import ASK_RATE_MAX, ask_floor

    imp, counts = lib.calibration["impostor"], [20, 15]
    thr = open_set_threshold(imp, counts, 0.01)
    assert ask_floor(imp, counts, 100_000, 0.01, thr) == thr            # many strangers: only likely ones
    few = ask_floor(imp, counts, 5, 0.01, thr)                          # a small library: just under it too
    assert few == pytest.approx(open_set_threshold(imp, counts, ASK_RATE_MAX)) and few < thr - 0.03


def test_groups_only_when_likely_faces_above_the_floor_and_the_person_just_named_first(lib):
    gids = groups(lib)
    for gid, name in zip(gids, NAMES):
        lib.name(gid, name, enrol=False)
    items = lib.review()
    assert items, "some unsorted faces of the train photos are near a named person"
    for s in items:
        assert s.likely == (s.score >= s.threshold) and s.floor <= s.threshold
        assert s.score >= (s.threshold if s.kind == "group" else s.floor)
    newest = next(n for n in reversed(NAMES) if n in {s.person for s in items})
    assert items[0].person == newest
    same = [abs(s.score - s.threshold) for s in items if s.person == newest]
    assert same == sorted(same)                                          # nearest the threshold first

    # named in another order, the other person's questions come first
    other = next((s.person for s in items if s.person != newest), None)
    assert other is not None, "the train photos give questions about two people"
    gid_of = dict(zip(NAMES, gids))
    for _ in NAMES:
        lib.undo()
    for name in [n for n in NAMES if n != other] + [other]:
        lib.name(gid_of[name], name, enrol=False)
    assert lib.review()[0].person == other


def test_a_wrong_face_answered_yes_never_becomes_the_cover(lib):
    gids = groups(lib)
    for gid, name in zip(gids, NAMES):
        lib.name(gid, name, enrol=False)
    from sqlalchemy import update

    from core.library.schema import LibFaceRow

    a, b = gids[:2]
    # the sharpest face of another person, sharper than any of A's, answered "yes, this is A" by mistake
    wrong = lib.store.faces_of(b, limit=1)[0]
    with lib.store.Session.begin() as s:   # qualities saturate at 1.0 on these photos: make it the sharpest
        s.execute(update(LibFaceRow).where(LibFaceRow.person_id == a).values(quality=0.9))
        s.execute(update(LibFaceRow).where(LibFaceRow.id == wrong["id"]).values(quality=1.0))
    lib.confirm_face(wrong["id"], lib.show(a).name)
    assert wrong["id"] in {f["id"] for f in lib.store.faces_of(a)}
    cover = lib.store.thumbnail(a)
    assert cover is not None and cover != lib.store.crop(wrong["id"])
    assert cover in {lib.store.crop(f["id"]) for f in lib.store.faces_of(a, limit=lib.store.COVER_CANDIDATES)}


def test_a_split_is_proposed_only_for_two_people(lib):

    a, b = groups(lib)[:2]
    fa, fb = [{f["id"] for f in lib.store.faces_of(g)} for g in (a, b)]
    assert [len(p) for p in lib.propose_split(a)] == [len(fa)]          # one person: one part
    assert lib.compare_faces(sorted(fa), sorted(fb)).likely_same is False
    lib.merge(b, a)
    parts = lib.propose_split(a)
    assert len(parts) == 2 and {frozenset(p) for p in parts} == {frozenset(fa), frozenset(fb)}
