"""Archives from elsewhere: a forged plain archive, a zip bomb, a manifest asking for gigabytes of scrypt and
zip-level damage are refused with one sentence before anything is unpacked or imported."""

from __future__ import annotations

import json
import resource
import zipfile
from pathlib import Path

import pytest

from core.config import Settings
from core.errors import GalleryCorrupt, GalleryError, UsageError
from core.gallery import Gallery
from core.gallery.archive import export_gallery, import_gallery
from tests.fakes import FakeAnalyzer, photo


@pytest.fixture
def two(tmp_path):
    """(a gallery with Ada in it, an empty one)."""
    g = Gallery(tmp_path / "g", settings=Settings(), analyzer=FakeAnalyzer())
    g.enroll("Ada", [photo(tmp_path / f"{v}.png", 1, v) for v in range(3)])
    g2 = Gallery(tmp_path / "g2", settings=Settings(), analyzer=FakeAnalyzer())
    yield g, g2
    g.close()
    g2.close()


def rewrite(src: Path, dest: Path, manifest=None, db: bytes | None = None) -> Path:
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
        m = json.loads(z.read("manifest.json"))
        out.writestr("manifest.json", json.dumps(manifest(m) if manifest else m))
        out.writestr("gallery.db", db if db is not None else z.read("gallery.db"))
    return dest


def test_a_forged_plain_archive_is_refused_unless_plain_is_asked_for(two, tmp_path):
    g, g2 = two
    export_gallery(g, tmp_path / "plain.zip", plain=True)
    # someone renames the plain archive's person (or writes one from scratch) and sends it as an export
    forged = rewrite(tmp_path / "plain.zip", tmp_path / "forged.facerec")
    with pytest.raises(GalleryError, match="--plain"):
        import_gallery(g2, forged, passphrase="anything")
    assert g2.names() == []
    out = import_gallery(g2, forged, plain=True)            # the user's explicit choice, announced
    assert g2.names() == ["Ada"] and "warning" in out and out["encrypted"] is False


def test_an_encrypted_manifest_cannot_turn_itself_plain_or_expensive(two, tmp_path):
    g, g2 = two
    export_gallery(g, tmp_path / "a.facerec", passphrase="pass phrase")
    weaker = rewrite(tmp_path / "a.facerec", tmp_path / "weaker.facerec", lambda m: {**m, "encrypted": False})
    with pytest.raises(GalleryError, match="unencrypted"):
        import_gallery(g2, weaker, passphrase="pass phrase")
    costly = rewrite(tmp_path / "a.facerec", tmp_path / "costly.facerec",
                     lambda m: {**m, "kdf": {**m["kdf"], "n": 2 ** 20}})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(GalleryCorrupt, match="out of bounds"):
        import_gallery(g2, costly, passphrase="pass phrase")
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000   # KiB: scrypt never ran
    assert g2.names() == []


def test_a_zip_bomb_is_refused_before_it_is_unpacked(two, tmp_path):
    g, g2 = two
    export_gallery(g, tmp_path / "a.facerec", passphrase="pass phrase")
    bomb = rewrite(tmp_path / "a.facerec", tmp_path / "bomb.facerec", db=bytes(300 << 20))  # 300 MB of zeros
    assert bomb.stat().st_size < 2 << 20
    with pytest.raises(GalleryCorrupt, match="compressed"):
        import_gallery(g2, bomb, passphrase="pass phrase")
    assert not list((tmp_path / "g2").glob(".import-*"))            # nothing left unpacked
    assert g2.names() == []


def test_zip_level_damage_is_a_changed_archive_not_an_internal_error(two, tmp_path):
    g, g2 = two
    export_gallery(g, tmp_path / "a.facerec", passphrase="pass phrase")
    data = bytearray((tmp_path / "a.facerec").read_bytes())
    with zipfile.ZipFile(tmp_path / "a.facerec") as z:
        info = z.getinfo("gallery.db")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 100
    data[start:start + 64] = bytes(64)                           # damage inside the compressed database
    (tmp_path / "damaged.facerec").write_bytes(bytes(data))
    with pytest.raises(GalleryCorrupt, match="changed or damaged"):
        import_gallery(g2, tmp_path / "damaged.facerec", passphrase="pass phrase")
    assert g2.names() == []


def test_export_into_a_missing_folder_is_refused(two, tmp_path):
    g, _ = two
    with pytest.raises(UsageError, match="not a folder"):
        export_gallery(g, tmp_path / "no" / "such" / "a.facerec", passphrase="pass phrase")
    assert not (tmp_path / "no").exists()
