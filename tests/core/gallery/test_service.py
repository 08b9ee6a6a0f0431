"""Gallery service on real photos: enroll, identify (open set), remove, rename, merge, export/import."""

import sqlite3

import cv2
import numpy as np
import pytest
from PIL import Image

from core.errors import GalleryError, IdentityNotFound
from core.gallery import Gallery
from tests.core.gallery.conftest import ENROLLED, STRANGER


def _names(g, paths):
    return [r["faces"][0]["name"] if r["faces"] else "NOFACE" for r in g.identify_paths(paths)]


def test_identifies_enrolled_and_rejects_stranger(gallery, val_people):
    right = total = 0
    for name in ENROLLED:
        got = _names(gallery, val_people[name])
        right += sum(n == name for n in got)
        total += len(got)
    assert right / total >= 0.95, f"{right}/{total}"
    stranger = _names(gallery, val_people[STRANGER])
    assert sum(n is None for n in stranger) >= 4, stranger


def test_identify_output_has_candidates(gallery, val_people):
    res = gallery.identify_paths(val_people["elton_john"][:1])[0]
    face = res["faces"][0]
    assert len(face["box"]) == 4 and face["candidates"]
    scores = [c["score"] for c in face["candidates"]]
    assert scores == sorted(scores, reverse=True) and face["score"] == scores[0]
    assert {c["name"] for c in face["candidates"]} <= set(ENROLLED)


def test_remove_deletes_rows_crops_and_index_entries(gallery, val_people):
    before = len(gallery.index())
    with gallery.store.Session() as s:
        thumbs = [bytes(t) for (t,) in s.execute(sqlite3_text("SELECT thumbnail FROM faces JOIN identities i "
                                                              "ON i.id = faces.identity_id WHERE i.name='madonna'"))]
    assert thumbs
    out = gallery.remove("madonna")
    assert out["faces"] == len(thumbs)
    assert len(gallery.index()) == before - len(thumbs)
    assert "madonna" not in _names(gallery, val_people["madonna"])
    assert all(p["name"] != "madonna" for p in gallery.list())
    raw = b"".join(p.read_bytes() for p in gallery.root.glob("gallery.db*"))
    # bytes from each crop's image data (its first bytes are JPEG tables shared by every thumbnail)
    assert not any(t[-300:-236] in raw for t in thumbs), "a removed face crop is still on disk"
    with pytest.raises(IdentityNotFound):
        gallery.remove("madonna")


def test_secure_delete_check_would_see_leftovers(gallery):
    """Control for the test above: a plain DELETE without secure_delete leaves the crop bytes on disk."""
    with gallery.store.Session() as s:
        (thumb,) = s.execute(sqlite3_text("SELECT thumbnail FROM faces LIMIT 1")).one()
    con = sqlite3.connect(gallery.root / "gallery.db")
    con.execute("PRAGMA secure_delete=OFF")
    con.execute("DELETE FROM embeddings")
    con.execute("DELETE FROM faces")
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    raw = b"".join(p.read_bytes() for p in gallery.root.glob("gallery.db*"))
    assert bytes(thumb)[-300:-236] in raw


def sqlite3_text(sql):
    from sqlalchemy import text

    return text(sql)


def test_rename_merge_list_audit(gallery):
    gallery.rename("elton_john", "Elton")
    with pytest.raises(GalleryError, match="already"):
        gallery.rename("Elton", "madonna")
    counts = {p["name"]: p["faces"] for p in gallery.list()}
    out = gallery.merge("Elton", "madonna")
    after = {p["name"]: p["faces"] for p in gallery.list()}
    assert "Elton" not in after and after["madonna"] == counts["madonna"] + counts["Elton"] == counts["madonna"] + out["faces"]
    actions = [e["action"] for e in gallery.audit()]
    assert actions[:2] == ["merge", "rename"]


def test_every_rejection_reason(gallery, tmp_path, val_people, train_people):
    photo = train_people[STRANGER][0]
    img = np.asarray(Image.open(photo).convert("RGB"))
    text = tmp_path / "text.jpg"
    text.write_text("no pixels here")
    blank = tmp_path / "blank.png"
    Image.new("RGB", (240, 240), (90, 90, 90)).save(blank)
    two = tmp_path / "two.jpg"
    a = np.asarray(Image.open(val_people["madonna"][0]).convert("RGB").resize((240, 240)))
    Image.fromarray(np.concatenate([a, a[:, ::-1]], axis=1)).save(two)  # two faces of the same size
    tiny = tmp_path / "tiny.png"
    Image.fromarray(img).resize((img.shape[1] // 8, img.shape[0] // 8), Image.BILINEAR).save(tiny)
    blurred = tmp_path / "blurred.png"
    Image.fromarray(cv2.GaussianBlur(img, (0, 0), 4.0)).save(blurred)
    dup = train_people["madonna"][0]  # already enrolled
    rep = gallery.enroll("newbie", [text, blank, two, tiny, blurred, dup, photo, photo])
    reasons = {r.path.split("/")[-1]: r.reason for r in rep.rejected}
    assert reasons["text.jpg"] == "unreadable"
    assert reasons["blank.png"] == "no_face"
    assert reasons["two.jpg"] == "multiple_faces"
    assert reasons["tiny.png"] == "too_small"
    assert reasons["blurred.png"] == "low_quality"
    assert reasons[dup.name] == "duplicate"
    assert rep.added == 1  # the good photo once; its second copy is a duplicate
    assert sum(r.reason == "duplicate" for r in rep.rejected) == 2


def test_enrolling_nothing_leaves_no_empty_person(gallery, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("RGB", (100, 100)).save(blank)
    rep = gallery.enroll("ghost", [blank])
    assert rep.added == 0 and all(p["name"] != "ghost" for p in gallery.list())


def test_export_import_roundtrip(gallery, tmp_path, val_people, analyzer):
    from core.gallery.archive import export_gallery, import_gallery

    out = export_gallery(gallery, tmp_path / "backup.facerec", passphrase="correct horse")
    assert out["identities"] == 4 and out["encrypted"]
    with Gallery(tmp_path / "restored", analyzer=analyzer) as g2:
        res = import_gallery(g2, tmp_path / "backup.facerec", passphrase="correct horse")
        assert res["new_identities"] == 4 and res["faces"] == out["faces"]
        # the restored people are the same people, with the same faces and enrolment dates
        assert g2.list() == gallery.list()
        assert sorted(f["source_path"] for n in g2.names() for f in g2.faces(n)) == \
            sorted(f["source_path"] for n in gallery.names() for f in gallery.faces(n))
        assert _names(g2, val_people["jerry_seinfeld"][:2]) == _names(gallery, val_people["jerry_seinfeld"][:2])
        plain = export_gallery(gallery, tmp_path / "backup.zip", plain=True)
        again = import_gallery(g2, tmp_path / "backup.zip", plain=True)   # a plain archive only when asked for
        assert not plain["encrypted"] and again["faces"] == 0 and again["skipped_duplicates"] == out["faces"]
        assert "warning" in again


def test_corrupt_index_is_rebuilt_with_warning(gallery_template, tmp_path, analyzer):
    import shutil

    root = tmp_path / "g"
    shutil.copytree(gallery_template, root)
    (idx_file,) = root.glob("index-*.faiss")
    idx_file.write_bytes(b"\x00" * 1000)
    warnings = []
    with Gallery(root, warn=warnings.append, analyzer=analyzer) as g:
        idx = g.index()
        assert len(idx) == g.count()[1]
        assert warnings and "rebuilding" in warnings[0]
    assert idx_file.read_bytes().startswith(b"FACEREC-INDEX-1")


@pytest.mark.parametrize("whole", [True, False], ids=["checked-whole", "large-tables-checked"])
def test_corrupt_database_is_reported_and_left_alone(gallery_template, tmp_path, monkeypatch, whole):
    import hashlib
    import shutil

    from core.errors import StoreCorrupt
    from core.storage import database

    if not whole:  # as a large database is checked: every table but the ones holding blobs
        monkeypatch.setattr(database, "FULL_CHECK_BYTES", 0)

    root = tmp_path / "g"
    shutil.copytree(gallery_template, root)
    db = root / "gallery.db"
    with Gallery(root, model="facenet") as g:  # whole, it opens
        assert g.store.count()[0] > 0
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    assert not (root / "gallery.db-wal").exists() or (root / "gallery.db-wal").stat().st_size == 0
    data = bytearray(db.read_bytes())
    data[4096:4096 * 3] = b"\xff" * 8192  # smash pages after the header
    db.write_bytes(bytes(data))
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(StoreCorrupt, match="left untouched"):
        Gallery(root, model="facenet")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == digest
    (root / "notdb").mkdir()
    (root / "notdb" / "gallery.db").write_bytes(b"this is not sqlite at all" * 10)
    with pytest.raises(StoreCorrupt):
        Gallery(root / "notdb", model="facenet")


def test_saved_index_matches_database_without_rebuild(gallery_template, tmp_path, analyzer):
    import shutil

    root = tmp_path / "g"
    shutil.copytree(gallery_template, root)
    warnings = []
    with Gallery(root, warn=warnings.append, analyzer=analyzer) as g:
        idx = g.index()
        assert warnings == []
        assert sorted(idx.ids().tolist()) == sorted(g.store.embedding_ids(g.model_key).tolist())


def test_reembed_from_stored_crops_keeps_people_recognisable(gallery, val_people):
    """Switching models keeps people: embeddings are recomputed from the stored aligned crops alone."""
    with gallery.store.Session.begin() as s:
        s.execute(sqlite3_text("DELETE FROM embeddings"))
    assert gallery.missing_embeddings() == gallery.count()[1]
    out = gallery.reembed()
    assert out["embedded"] == gallery.count()[1] and gallery.missing_embeddings() == 0
    right = sum(n == "jerry_seinfeld" for n in _names(gallery, val_people["jerry_seinfeld"]))
    assert right >= 4
