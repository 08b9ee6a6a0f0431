"""The photo library on real photos (the 5-celebrity train photos): scan, group, decide, rescan, forget."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from core.library import Face, Library

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def photo_analyzer():
    from core.faces import FaceAnalyzer

    return FaceAnalyzer(Settings(), warmup=False)


@pytest.fixture(scope="session")
def scanned(tmp_path_factory, samples, photo_analyzer):
    """(photos folder, a library scanned from it once)."""
    root = tmp_path_factory.mktemp("library")
    photos = root / "photos"
    shutil.copytree(samples / "train", photos)
    with Library(root / "lib", settings=Settings(gallery=str(root / "gallery")), analyzer=photo_analyzer) as lib:
        lib.scan([photos])
    return photos, root / "lib"


@pytest.fixture
def lib(scanned, tmp_path, photo_analyzer):
    """A fresh copy of the scanned library (decisions in one test never reach another)."""
    shutil.copytree(scanned[1], tmp_path / "lib")
    with Library(tmp_path / "lib", settings=Settings(gallery=str(tmp_path / "gallery")),
                 analyzer=photo_analyzer) as library:
        yield library


def person_of(face: Face) -> str:
    return Path(face.photo).parent.name


def group_of(lib: Library, face_id: int) -> int | None:
    return next((g.id for g in lib.people().groups if face_id in {f.id for f in g.faces}), None)


def test_every_group_is_one_person_and_each_person_has_a_group(lib):
    listing = lib.people()
    assert listing.counts.photos == 93 and listing.counts.faces >= 93
    by_person = {}
    for g in listing.groups:
        counts = {}
        for f in g.faces:
            counts[person_of(f)] = counts.get(person_of(f), 0) + 1
        main = max(counts, key=counts.get)
        assert counts[main] >= 0.9 * len(g.faces), counts  # a bystander at most
        by_person.setdefault(main, 0)
        by_person[main] = max(by_person[main], counts[main])
    assert sorted(by_person) == ["ben_afflek", "elton_john", "jerry_seinfeld", "madonna", "mindy_kaling"]
    assert all(n >= 10 for n in by_person.values()), by_person


def test_a_rescan_analyses_only_new_or_changed_photos_and_forgets_removed_ones(scanned, tmp_path, photo_analyzer):
    import os

    photos = tmp_path / "photos"
    shutil.copytree(scanned[0], photos)
    with Library(tmp_path / "lib", settings=Settings(gallery=str(tmp_path / "g")), analyzer=photo_analyzer) as lib:
        first = lib.scan([photos])
        assert first["analysed"] == 93
        files = sorted(photos.rglob("*.jpg"))
        os.utime(files[0], (1, 1))                                  # same content, new time: only touched
        files[1].write_bytes(files[1].read_bytes() + b"\0")           # new content: analysed again
        files[2].unlink()                                            # gone: its faces go
        shutil.copy(files[3], photos / "new.jpg")                    # new
        again = lib.scan([photos])
        assert (again["analysed"], again["removed_photos"], again["unchanged"]) == (2, 1, 91)
        assert str(files[2]) not in {f.photo for g in lib.people().groups for f in g.faces}
        assert lib.scan([photos])["analysed"] == 0


def test_groups_do_not_depend_on_the_order_photos_are_scanned_in(scanned, tmp_path, photo_analyzer):
    rng = np.random.default_rng(0)
    files = sorted(scanned[0].rglob("*.jpg"))
    batches = np.array_split(rng.permutation(len(files)), 3)
    shuffled = tmp_path / "shuffled"
    with Library(tmp_path / "lib", settings=Settings(gallery=str(tmp_path / "g")), analyzer=photo_analyzer) as lib:
        for i, batch in enumerate(batches):                       # other folders, other names, three scans
            for j in batch:
                dest = shuffled / f"batch{i}" / f"{rng.integers(1e9)}-{files[j].parent.name}-{files[j].name}"
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(files[j], dest)
            lib.scan([shuffled / f"batch{i}"])
        mine = {frozenset((Path(f.photo).name.split("-", 1)[1], tuple(f.box)) for f in g.faces)
                for g in lib.people().groups}
    with Library(scanned[1], settings=Settings(gallery=str(tmp_path / "g"))) as ref:
        theirs = {frozenset((f"{Path(f.photo).parent.name}-{Path(f.photo).name}", tuple(f.box))
                            for f in g.faces) for g in ref.people().groups}
    assert mine == theirs


def test_not_this_person_survives_ten_regroupings_and_a_rescan(lib, scanned):
    group = lib.people().groups[0]
    face = group.faces[0].id
    lib.reject(face, group.id)
    for i in range(10):
        lib.regroup(full=i % 2 == 0)
        assert face not in {f.id for f in lib.show(group.id).faces}
    lib.scan([scanned[0]])
    assert face not in {f.id for f in lib.show(group.id).faces}
    other = next(g for g in lib.people().groups if g.id != group.id)
    lib.merge(other.id, group.id)                         # even merging its new group into the person
    assert face not in {f.id for f in lib.show(group.id).faces}


def test_naming_enrols_in_the_gallery_and_undo_takes_it_back(lib):
    group = max(lib.people().groups, key=lambda g: g.count)
    out = lib.name(group.id, "Ada")
    assert out["gallery"]["enrolled"] > 0
    from core.gallery import Gallery

    with Gallery(lib.settings.gallery_dir(), settings=lib.settings) as g:
        assert g.names() == ["Ada"] and g.count()[1] == out["gallery"]["enrolled"]
    lib.undo()
    assert lib.show(group.id).name is None
    with Gallery(lib.settings.gallery_dir(), settings=lib.settings) as g:
        assert g.count()[1] == 0


def test_merge_split_hide_and_undo(lib):
    groups = lib.people().groups
    a, b = groups[0], groups[1]
    lib.merge(b.id, a.id)
    assert lib.show(a.id).count == a.count + b.count
    parts = lib.propose_split(a.id)
    assert len(parts) >= 2
    split = lib.split(a.id, parts)
    sizes = sorted(lib.show(g).count for g in split["groups"])
    assert sizes == sorted(len(p) for p in parts)
    lib.undo()
    lib.undo()
    assert {(g.id, g.count) for g in lib.people().groups} >= {(a.id, a.count), (b.id, b.count)}
    hidden = lib.ignore(max_faces=None)
    assert hidden["hidden"] == len(lib.people().groups) and all(g.hidden for g in lib.people().groups)


def test_forgetting_a_person_leaves_no_byte_of_them_in_any_file(lib):
    group = max(lib.people().groups, key=lambda g: g.count)
    lib.name(group.id, "Ada")
    ids = [f.id for f in lib.show(group.id).faces]
    vectors = lib.store.embeddings_of(ids, lib.spec.embedding_size)
    crops = [lib.store.crop(i) for i in ids]
    lib.forget(group.id)
    for folder in (lib.root, lib.settings.gallery_dir()):
        for path in folder.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                assert not any(v.tobytes()[:64] in data for v in vectors), f"an embedding is left in {path}"
                assert not any(c[-130:-2] in data for c in crops), f"a face crop is left in {path}"  # its pixels


def test_the_cli_lists_every_group_with_its_faces(scanned, tmp_path):
    import json

    from tests.cli_run import facerec

    lib_dir = tmp_path / "lib"
    shutil.copytree(scanned[1], lib_dir)
    out = facerec("people", "list", "--library", str(lib_dir), "--json")
    assert out.returncode == 0, out.stderr[-500:]
    doc = json.loads(out.stdout)
    assert len(doc["groups"]) >= 5 and all(g["name"] is None for g in doc["groups"])
    face = doc["groups"][0]["faces"][0]
    assert Path(face["photo"]).is_file() and len(face["box"]) == 4
    named = facerec("people", "name", str(doc["groups"][0]["id"]), "Ada", "Lovelace", "--no-gallery",
                    "--library", str(lib_dir), "--json")
    assert named.returncode == 0 and json.loads(named.stdout)["name"] == "Ada Lovelace"
    bad = facerec("people", "show", "99999", "--library", str(lib_dir), "--json")
    assert bad.returncode == 5 and "99999" in json.loads(bad.stdout)["error"]["message"]


def test_undoing_a_naming_spares_another_persons_faces_and_drops_the_person_it_made(lib, train_people):
    """``people name G "Person A"`` -> ``gallery remove "Person A"`` -> enrol Elton John -> ``people undo``: Elton
    keeps every face (gallery face ids are reused after a delete)."""
    from core.gallery import Gallery

    group = max(lib.people().groups, key=lambda g: g.count)
    lib.name(group.id, "Person A")
    assert lib.last_decision().text.startswith(f"naming group {group.id} as “Person A”")
    with Gallery(lib.settings.gallery_dir(), settings=lib.settings, analyzer=lib.analyzer) as g:
        g.remove("Person A")
        elton = g.enroll("Elton John", train_people["elton_john"])
        n_elton = elton.added
    out = lib.undo()
    assert out["text"].startswith(f"Undid naming group {group.id} as “Person A”")
    with Gallery(lib.settings.gallery_dir(), settings=lib.settings, analyzer=lib.analyzer) as g:
        assert g.list() == [{**g.list()[0], "name": "Elton John", "faces": n_elton}]
    # undone with the person still there: their faces go, and so does the person the naming created
    lib.name(group.id, "Person B")
    lib.undo()
    with Gallery(lib.settings.gallery_dir(), settings=lib.settings, analyzer=lib.analyzer) as g:
        assert g.names() == ["Elton John"]
    assert lib.last_decision() is None or "Person" not in lib.last_decision().text


def test_a_name_someone_has_is_asked_about_never_merged_silently(lib):
    from core.errors import NameInUse

    a, b = sorted(lib.people().groups, key=lambda g: -g.count)[:2]   # two different people
    lib.name(a.id, "Ada", enrol=False)
    with pytest.raises(NameInUse) as err:
        lib.name(b.id, "Ada", enrol=False)
    assert err.value.existing_id == a.id and not err.value.likely_same
    assert "different people" in str(err.value)
    assert lib.show(b.id).name is None and lib.show(a.id).count == a.count
    assert lib.compare(a.id, a.id).likely_same
    lib.name(b.id, "Ada", enrol=False, join=True)                      # the user's explicit choice
    assert lib.show(a.id).count == a.count + b.count
    assert "Ada" in lib.known_names()


def test_a_scan_goes_on_past_odd_names_missing_and_empty_folders(lib, scanned, tmp_path):
    src = sorted(scanned[0].rglob("*.jpg"))[:2]
    odd = tmp_path / "odd"
    odd.mkdir()
    for i, p in enumerate(src):
        shutil.copy(p, os.fsdecode(bytes(odd) + f"/caf{i}".encode() + b"\xe9\xff.jpg"))  # Latin-1 names
    (tmp_path / "empty").mkdir()
    with open(odd / "huge.jpg", "wb") as f:                  # 1.5 GB named .jpg (sparse: no disk used)
        f.truncate(1536 << 20)
    os.symlink("/etc/passwd", odd / "passwd.jpg")             # a link out of the scanned folders
    rep = lib.scan([odd, tmp_path / "unplugged", tmp_path / "empty"])
    assert rep["analysed"] == 2 and rep["faces_found"] >= 2
    assert {Path(u["path"]).name: u["reason"] for u in rep["unreadable_photos"]} == {
        "huge.jpg": "too large", "passwd.jpg": "a link to a file outside the scanned folders"}
    assert rep["missing_folders"] == [str(tmp_path / "unplugged")]
    assert rep["empty_folders"] == [str(tmp_path / "empty")]
    folders = {f.path: f for f in lib.folders()}
    assert str(odd) in folders and str(tmp_path / "empty") not in folders and folders[str(odd)].photos == 3
    again = lib.scan([odd])
    assert again["analysed"] == 0 and again["unchanged"] == 3               # the names read back as written
    removed = lib.remove_folder(odd)
    assert removed["photos"] == 3 and str(odd) not in {f.path for f in lib.folders()}
    assert all(not f.photo.startswith(str(odd)) for g in lib.people().groups for f in g.faces)


def test_an_action_on_several_faces_is_one_decision_and_one_undo(lib):
    group = max(lib.people().groups, key=lambda g: g.count)
    faces = [f.id for f in group.faces[:3]]
    before = len(lib.store.decisions())
    out = lib.reject(faces, group.id)
    assert len(lib.store.decisions()) == before + 1 and "3 faces" in lib.last_decision().text
    assert not set(faces) & {f.id for f in lib.show(group.id).faces}
    assert lib.undo()["undone"] == out["decision"]
    assert set(faces) <= {f.id for f in lib.show(group.id).faces}
