"""Stores tried as a careless or hostile user would: undo never touches another person's faces, forget leaves
no name in any table, a newer schema is refused before a byte changes, leftovers of a killed migration are
cleaned, odd paths and settings are one sentence, and two scans of one library take turns."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import StoreBusy, StoreTooNew
from core.gallery import Gallery
from tests.cli_run import facerec, one_json
from tests.fakes import FakeAnalyzer, photo


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "FACEREC_DATA_DIR": str(tmp_path / "data"), "FACEREC_CONFIG_DIR": str(tmp_path / "cfg")}


def test_taking_back_an_enrolment_spares_a_face_that_reused_its_id(tmp_path):
    """The lower half of ``people undo``: ids are reused after a delete, so an id alone may be another's face."""
    with Gallery(tmp_path / "g", settings=Settings(encrypt=False), analyzer=FakeAnalyzer()) as g:
        rep = g.enroll("Person A", [photo(tmp_path / f"a{v}.png", 1, v) for v in range(3)])
        recorded = [(fid, key) for fid, (_n, key) in g.store.face_keys(rep.face_ids).items()]
        g.remove("Person A")
        elton = g.enroll("Elton John", [photo(tmp_path / f"e{v}.png", 2, v) for v in range(5)])
        assert set(rep.face_ids) & set(elton.face_ids), "SQLite reuses the ids (the defect's premise)"
        out = g.take_back("Person A", recorded, drop_person=True)
        assert out == {"removed_faces": 0, "already_gone": 3, "removed_person": False}
        assert g.list()[0]["name"] == "Elton John" and g.list()[0]["faces"] == 5


def test_a_newer_schema_is_refused_before_anything_changes(tmp_path):
    with Gallery(tmp_path / "g", settings=Settings(encrypt=False), analyzer=FakeAnalyzer()) as g:
        g.enroll("Ada", [photo(tmp_path / "a.png", 1, 0)])
    db = tmp_path / "g" / "gallery.db"
    con = sqlite3.connect(db)
    con.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    con.execute("DROP TABLE audit")              # a table this version would re-create
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(StoreTooNew, match="newer facerec"):
        Gallery(tmp_path / "g", settings=Settings(encrypt=False), analyzer=FakeAnalyzer())
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    con = sqlite3.connect(db)
    assert "audit" not in {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    con.close()


def test_a_killed_migration_leaves_nothing_behind_once_reopened(tmp_path):
    with Gallery(tmp_path / "g", settings=Settings(), analyzer=FakeAnalyzer()) as g:
        g.enroll("Ada", [photo(tmp_path / "a.png", 1, 0)])
    root = tmp_path / "g"
    leftovers = ["gallery.db.partial", "gallery.db.partial-journal", "gallery.db.partial-wal",
                 "gallery.db.partial-shm", "gallery.db.new", "gallery.db.new-wal", ".migration.json.x1y2.tmp",
                 ".vault.json.new.a1b2.tmp"]
    for name in leftovers:
        (root / name).write_bytes(b"half written")
    with Gallery(root, settings=Settings(), analyzer=FakeAnalyzer()) as g:
        assert g.names() == ["Ada"]
    assert [n for n in leftovers if (root / n).exists()] == []


def test_a_second_scan_of_a_library_waits_for_the_first(tmp_path):
    from core.storage.locks import WORK_LOCK, waiting_lock

    root = tmp_path / "lib"
    said, done = [], threading.Event()

    def second():
        with waiting_lock(root, WORK_LOCK, "photo library", on_wait=said.append, doing="being scanned"):
            done.set()

    with waiting_lock(root, WORK_LOCK, "photo library"):       # the first scan
        t = threading.Thread(target=second)
        t.start()
        time.sleep(0.5)
        assert not done.is_set() and said == ["Waiting: the photo library is being scanned by another program."]
    t.join(5)
    assert done.is_set()
    with waiting_lock(root, WORK_LOCK, "photo library"):
        with pytest.raises(StoreBusy, match="waited"):
            with waiting_lock(root, WORK_LOCK, "photo library", timeout=0.3):
                pass


def test_odd_paths_and_settings_are_one_sentence_and_create_nothing(tmp_path):
    env = _env(tmp_path)
    (tmp_path / "afile").write_text("x")
    out = facerec("gallery", "list", "--gallery", str(tmp_path / "afile"), "--json", env=env)
    assert out.returncode == 5 and "is a file" in one_json(out)["error"]["message"]
    out = facerec("people", "list", "--library", str(tmp_path / "newlib"), "--json", env=env)
    assert out.returncode == 2 and "scan a folder first" in one_json(out)["error"]["message"]
    assert not (tmp_path / "newlib").exists()
    (tmp_path / "cfg" / "config.toml").mkdir(parents=True)
    out = facerec("gallery", "list", "--json", env=env)
    assert out.returncode == 2 and "not a file" in one_json(out)["error"]["message"]


def test_forget_leaves_no_name_in_any_table_and_lists_the_exports(tmp_path):
    from core.gallery.archive import export_gallery
    from core.library import Library
    from core.privacy import forget

    settings = Settings(gallery=str(tmp_path / "gallery"), encrypt=False)
    with Gallery(settings.gallery_dir(), settings=settings, analyzer=FakeAnalyzer()) as g:
        g.enroll("José Ada", [photo(tmp_path / f"a{v}.png", 1, v) for v in range(2)])
        g.enroll("Grace", [photo(tmp_path / f"g{v}.png", 2, v) for v in range(2)])
        export_gallery(g, tmp_path / "backup.facerec", passphrase="pass phrase")
    lib = Library(tmp_path / "lib", settings=settings)
    lib.close()
    # the name in the library's decision records (as a naming leaves it), and nowhere else of the library
    from core.library.schema import DecisionRow

    with Library(tmp_path / "lib", settings=settings) as lib:
        with lib.store.Session.begin() as s:
            s.add(DecisionRow(kind="name", summary={"group": 1, "name": "José Ada"},
                              undo={"people_updated": {"1": {"name": "José Ada"}}}))
    out = forget(settings, "José Ada", library_dir=tmp_path / "lib")
    assert [e["file"] for e in out["exports"]] == [str((tmp_path / "backup.facerec").resolve())]
    for db in (tmp_path / "gallery" / "gallery.db", tmp_path / "lib" / "library.db"):
        con = sqlite3.connect(db)
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for t in tables:
            rows = json.dumps(con.execute(f'SELECT * FROM "{t}"').fetchall(), default=str, ensure_ascii=False)
            assert "José Ada" not in rows, f"{db.name}:{t}"
        con.close()
    with Gallery(settings.gallery_dir(), settings=settings, analyzer=FakeAnalyzer()) as g:
        assert g.names() == ["Grace"]


def test_forget_across_two_passphrases_erases_nothing_when_one_is_wrong(tmp_path, monkeypatch):
    from core.library import Library
    from core.privacy import forget
    from core.storage import keys

    settings = Settings(gallery=str(tmp_path / "gallery"))
    monkeypatch.setenv("FACEREC_PASSPHRASE", "gallery one")
    with Gallery(settings.gallery_dir(), settings=settings, analyzer=FakeAnalyzer()) as g:
        g.enroll("Ada", [photo(tmp_path / f"a{v}.png", 1, v) for v in range(2)])
    keys._PASSPHRASES.clear()
    monkeypatch.setenv("FACEREC_PASSPHRASE", "library one")
    Library(tmp_path / "lib", settings=settings).close()
    keys._PASSPHRASES.clear()
    before = {p: p.read_bytes() for p in (tmp_path / "gallery").iterdir() if p.is_file()}
    monkeypatch.setenv("FACEREC_PASSPHRASE", "gallery one")      # right for the gallery, wrong for the library
    with pytest.raises(keys.WrongKey):
        forget(settings, "Ada", library_dir=tmp_path / "lib")
    assert {p: p.read_bytes() for p in (tmp_path / "gallery").iterdir() if p.is_file()} == before


def test_an_enrolment_where_no_photo_is_usable_is_not_a_success(tmp_path):
    (tmp_path / "a.jpg").write_bytes(b"not an image at all")
    out = facerec("enroll", "--name", "Nobody", str(tmp_path / "a.jpg"), "--json", env=_env(tmp_path))
    assert out.returncode == 3, out.stdout + out.stderr
    assert one_json(out)["added"] == 0


def test_an_enrolment_goes_on_past_a_file_name_that_is_not_utf8(tmp_path):
    odd = os.fsdecode(bytes(tmp_path) + b"/caf\xe9.png")                   # a Latin-1 name from an old disk
    with Gallery(tmp_path / "g", settings=Settings(), analyzer=FakeAnalyzer()) as g:
        rep = g.enroll("Ada", [photo(Path(odd), 1, 0), photo(tmp_path / "b.png", 1, 1)])
        assert rep.added == 2
        assert sorted(f["source_path"] for f in g.faces("Ada")) == [str(tmp_path / "b.png"), f"{tmp_path}/caf\\xe9.png"]


def test_an_evaluation_cache_whose_key_is_gone_is_started_again_in_place(tmp_path):
    import numpy as np

    from core.evaluation.face_cache import FaceCache
    from core.storage import keys

    cache = FaceCache(tmp_path / "eval")
    cache.put_embeddings([("k", np.ones(4, np.float32))])
    cache.close()
    doc = keys.read_vault(tmp_path / "eval")
    keys.forget_wrapping_key(doc)                      # a copied cache folder: its key stayed on the old machine
    cache = FaceCache(tmp_path / "eval")
    assert cache.embedding("k") is None and keys.read_vault(tmp_path / "eval")["id"] != doc["id"]
    cache.close()
    assert sorted(p.name for p in (tmp_path / "eval").glob("faces*.sqlite")) == ["faces.sqlite"]  # one cache, not one a process


@pytest.mark.parametrize("encrypt", [False, True])
def test_a_closed_store_refuses_to_be_used_and_opens_nothing_again(tmp_path, encrypt):
    """A job still holding a closed store (the window closed it to encrypt the folder) gets StoreClosed; it does not
    quietly open the database again without the folder's lock, beside a migration replacing it."""
    from core.errors import StoreClosed
    from core.library.store import LibraryStore

    store = LibraryStore(tmp_path / "lib", encrypt=encrypt)
    assert store.counts()["photos"] == 0
    store.close()
    with pytest.raises(StoreClosed, match="closed"):
        store.counts()
    assert not [p.name for p in (tmp_path / "lib").iterdir() if p.name.endswith(("-wal", "-shm"))]
    store.close()                                   # closing twice is harmless
