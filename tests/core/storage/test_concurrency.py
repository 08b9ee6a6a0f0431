"""Two programs on one store at once: first enrolments and first scans started together never lose a folder to
a key that is not on disk; two scans of one library take turns."""

from __future__ import annotations

import multiprocessing as mp
import os
from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from tests.fakes import FakeAnalyzer, photo

ROUNDS = 20


def _enrol(root: str, tmp: str, person: int, name: str, first: int, barrier) -> None:
    """Enrol three photos of ``person`` (texture variants ``first`` ..) as ``name``, once ``barrier`` opens."""
    from core.gallery import Gallery

    barrier.wait()
    with Gallery(root, settings=Settings(), analyzer=FakeAnalyzer()) as g:
        g.enroll(name, [photo(Path(tmp) / f"{person}-{v}.png", person, v) for v in range(first, first + 3)])


def _first_scan(root: str, person: int, barrier) -> None:
    from core.library.store import LibraryStore

    barrier.wait()
    store = LibraryStore(Path(root))
    try:
        emb = np.random.default_rng(person).normal(size=128).astype(np.float32)
        store.put_photo(f"/photos/{person}.jpg", 1, 1, f"{person:064d}", (100, 100), None, None,
                        [{"box": [1, 1, 50, 50], "landmarks": [[1, 1]] * 5, "det_score": 1.0, "quality": 1.0,
                          "embedding": emb / np.linalg.norm(emb), "crop": b"crop"}], "m:1")
    finally:
        store.close()


def _together(target, args_of) -> None:
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=target, args=(*args_of(i), barrier)) for i in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]


def test_two_first_enrolments_started_together_keep_both_people(tmp_path):
    from core.gallery import Gallery

    names = ["Elton John", "Madonna"]
    for r in range(ROUNDS):
        root = tmp_path / f"g{r}"
        _together(_enrol, lambda i, root=root: (str(root), str(tmp_path), i, names[i], 0))
        with Gallery(root, settings=Settings(), analyzer=FakeAnalyzer(), create=False) as g:
            assert g.names() == names, f"round {r}"
            assert g.count() == (2, 6)
            assert g.store.key is not None


def test_two_first_scans_started_together_keep_both_photos(tmp_path):
    from core.library.store import LibraryStore

    for r in range(ROUNDS):
        root = tmp_path / f"l{r}"
        _together(_first_scan, lambda i, root=root: (str(root), i))
        store = LibraryStore(root, create=False)
        try:
            assert sorted(store.photo_index()) == ["/photos/0.jpg", "/photos/1.jpg"], f"round {r}"
        finally:
            store.close()


def test_every_store_file_is_readable_by_the_user_only(tmp_path):
    from core.gallery import Gallery

    settings = Settings(encrypt=False)
    with Gallery(tmp_path / "g", settings=settings, analyzer=FakeAnalyzer()) as g:
        g.enroll("Ada", [photo(tmp_path / f"{v}.png", 1, v) for v in range(2)])
        files = [p for p in (tmp_path / "g").iterdir() if p.is_file()]
        assert any(p.name == "gallery.db" for p in files)
        for p in files:
            assert os.stat(p).st_mode & 0o077 == 0, f"{p.name} is {oct(os.stat(p).st_mode)}"
    assert os.stat(tmp_path / "g").st_mode & 0o077 == 0
    os.chmod(tmp_path / "g" / "gallery.db", 0o644)                # a gallery an earlier version made
    with Gallery(tmp_path / "g", settings=settings, analyzer=FakeAnalyzer()):
        assert os.stat(tmp_path / "g" / "gallery.db").st_mode & 0o077 == 0


@pytest.mark.parametrize("what", ["gallery", "library"])
def test_a_store_path_that_is_a_file_is_one_sentence(tmp_path, what):
    from core.errors import StoreMissing
    from core.gallery.store import GalleryStore
    from core.library.store import LibraryStore

    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(StoreMissing, match="is a file"):
        (GalleryStore if what == "gallery" else LibraryStore)(f)


def test_two_programs_enrolling_the_same_new_person_at_once_make_one_person(tmp_path):
    from core.gallery import Gallery

    for r in range(5):
        root = tmp_path / f"s{r}"
        _together(_enrol, lambda i, root=root: (str(root), str(tmp_path), 7, "Ada", 3 * i))
        with Gallery(root, settings=Settings(), analyzer=FakeAnalyzer(), create=False) as g:
            assert g.list()[0]["name"] == "Ada" and g.count() == (1, 6), f"round {r}"
