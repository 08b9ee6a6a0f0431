"""Faces at rest: encrypted galleries and libraries hold nothing readable; a forgotten person leaves no byte;
a wrong passphrase changes nothing; a kill during encryption leaves a gallery that opens; exports are sealed."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.config import Settings
from core.gallery import Gallery
from tests.conftest import ROOT
from tests.fakes import FakeAnalyzer, photo

JFIF = b"\xff\xd8\xff\xe0\x00\x10JFIF"   # how every stored face crop (a JPEG) begins


def files_under(*roots: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for r in roots for p in Path(r).rglob("*") if p.is_file()}


def leaks(files: dict[Path, bytes], vectors: np.ndarray, words: list[bytes], crops: list[bytes] | None = None
          ) -> list[str]:
    """What of ``vectors`` (their float bytes), ``crops`` (their image data; None: any JPEG face crop, by its
    signature) or ``words`` is readable where."""
    found = []
    for path, data in files.items():
        if any(v.astype("<f4").tobytes()[:48] in data for v in vectors):
            found.append(f"an embedding in {path.name}")
        if (JFIF in data) if crops is None else any(c[-130:-2] in data for c in crops):
            found.append(f"a face crop in {path.name}")
        found += [f"{w!r} in {path.name}" for w in words if w in data]
    return found


def enrolled(root: Path, tmp: Path, settings: Settings, people=("Ada Lovelace", "Grace Hopper")) -> Gallery:
    g = Gallery(root, settings=settings, analyzer=FakeAnalyzer())
    for i, name in enumerate(people):
        g.enroll(name, [photo(tmp / f"{i}-{v}.png", i, v) for v in range(4)])
    return g


def test_an_encrypted_gallery_and_library_hold_nothing_readable(tmp_path):
    from core.library import Library

    data = tmp_path / "data"
    g = enrolled(data / "gallery", tmp_path, Settings())
    assert g.store.key is not None and (data / "gallery" / "vault.json").is_file()
    ids, vecs = g.store.embeddings(g.model_key, 32)
    g.close()
    lib_vecs = np.random.default_rng(0).normal(size=(30, 128)).astype(np.float32)
    lib_vecs /= np.linalg.norm(lib_vecs, axis=1, keepdims=True)
    with Library(data / "library", settings=Settings()) as lib:
        import cv2

        jpeg = cv2.imencode(".jpg", cv2.imread(str(tmp_path / "0-0.png")))[1].tobytes()
        assert jpeg.startswith(JFIF)
        lib.store.put_photos([{"path": f"/photos/{i}.jpg", "size": 1, "mtime_ns": 1, "sha256": f"{i:064x}",
                               "faces": [{"box": [1.0, 2.0, 50.0, 50.0], "landmarks": [[0, 0]] * 5, "det_score": 0.9,
                                          "quality": 0.9, "embedding": v, "crop": jpeg}]}
                              for i, v in enumerate(lib_vecs)], lib.model_key)
        lib.regroup(full=True)
        assert lib.store.key is not None and (data / "library" / "grouping.npz").read_bytes().startswith(b"FRSEAL")
    words = [b"Ada Lovelace", b"Grace Hopper", b"CREATE TABLE", b"SQLite format 3", b"/photos/"]
    found = leaks(files_under(data), vecs, words) + leaks(files_under(data), lib_vecs, [])
    assert found == [], found


def test_forgetting_a_person_leaves_none_of_their_bytes_in_any_file(tmp_path):
    data = tmp_path / "data"
    g = enrolled(data / "gallery", tmp_path, Settings(encrypt=False))     # plain, so the scan can see bytes
    ada = g.faces("Ada Lovelace")
    crops = [bytes(f["thumbnail"]) for f in ada]
    _, vecs = g.store.embeddings(g.model_key, 32)
    ada_vecs = vecs[:len(ada)]
    g.index()
    before = leaks(files_under(data), ada_vecs, [b"Ada Lovelace"], crops)
    assert all(any(f.startswith(kind) for f in before) for kind in ("an embedding", "a face crop", "b'Ada"))
    g.remove("Ada Lovelace", forget=True)
    g.close()
    after = leaks(files_under(data), ada_vecs, [b"Ada Lovelace"], crops)
    assert after == [], after
    with Gallery(data / "gallery", settings=Settings(encrypt=False), analyzer=FakeAnalyzer()) as g:
        assert g.names() == ["Grace Hopper"] and len(g.index()) == 4


def facerec(*args, env):
    return subprocess.run([sys.executable, "main.py", *args], capture_output=True, text=True, cwd=ROOT, env=env,
                          timeout=600)


def test_a_wrong_passphrase_says_so_and_changes_no_byte(tmp_path):
    env = {**os.environ, "FACEREC_DATA_DIR": str(tmp_path / "data"), "FACEREC_CONFIG_DIR": str(tmp_path / "cfg")}
    os.environ["FACEREC_PASSPHRASE"] = "right one"
    try:
        g = enrolled(tmp_path / "data" / "gallery", tmp_path, Settings())
    finally:
        del os.environ["FACEREC_PASSPHRASE"]
    assert g.store.vault.protection == "passphrase"
    g.close()
    state = {p: hashlib.sha256(b).hexdigest() for p, b in files_under(tmp_path / "data", tmp_path / "cfg").items()}
    out = facerec("gallery", "list", "--json", env={**env, "FACEREC_PASSPHRASE": "wrong one"})
    assert out.returncode == 5
    assert json.loads(out.stdout)["error"]["kind"] == "wrong_key" and "passphrase is wrong" in out.stdout
    out = facerec("gallery", "list", "--json", env=env)                   # none at all, no terminal to ask
    assert out.returncode == 5 and "FACEREC_PASSPHRASE" in json.loads(out.stdout)["error"]["message"]
    assert {p: hashlib.sha256(b).hexdigest() for p, b in files_under(tmp_path / "data", tmp_path / "cfg").items()} \
        == state
    ok = facerec("gallery", "list", "--json", env={**env, "FACEREC_PASSPHRASE": "right one"})
    assert ok.returncode == 0 and len(json.loads(ok.stdout)["identities"]) == 2


def test_the_key_lives_apart_from_the_data_so_a_copied_folder_stays_closed(tmp_path):
    from core.errors import WrongKey

    os.environ.pop("FACEREC_PASSPHRASE", None)
    g = enrolled(tmp_path / "data" / "gallery", tmp_path, Settings())
    vault = json.loads((tmp_path / "data" / "gallery" / "vault.json").read_text())
    g.close()
    assert vault["protection"] in ("keyfile", "keyring") and "wrapped" in vault and "key" not in vault
    if vault["protection"] == "keyfile":
        keyfile = Path(os.environ["FACEREC_CONFIG_DIR"]) / "keys" / f"{vault['id']}.key"
        assert keyfile.stat().st_mode & 0o077 == 0                       # only the user can read it
        keyfile.rename(keyfile.with_suffix(".away"))                       # a backup of the data folder alone
        with pytest.raises(WrongKey, match="key file"):
            Gallery(tmp_path / "data" / "gallery", settings=Settings(), analyzer=FakeAnalyzer())
        keyfile.with_suffix(".away").rename(keyfile)


@pytest.mark.slow
def test_a_kill_during_encryption_leaves_a_gallery_that_opens(tmp_path):
    template = tmp_path / "template"
    g = enrolled(template / "gallery", tmp_path, Settings(encrypt=False))
    rng = np.random.default_rng(1)
    crop = os.urandom(3000)
    with g.store.Session.begin() as s:     # bulk: enough rows that the encryption takes a while to kill
        from core.gallery.schema import EmbeddingRow, FaceRow

        ident = g.store.identity_id("Bulk", True)
        for i in range(25_000):
            f = FaceRow(identity_id=ident, source_path=f"/x/{i}", image_hash=f"{i:064x}", box=[0, 0, 1, 1],
                        thumbnail=crop, det_score=1.0, quality=10.0)
            s.add(f)
            s.flush()
            s.add(EmbeddingRow(face_id=f.id, model_key=g.model_key, dim=32,
                               vector=rng.normal(size=32).astype("<f4").tobytes()))
    want = g.count()
    g.close()
    outcomes = []
    for delay in (0.7, 1.2, 1.8, 3.5):   # (the moments between its steps: the recovery test below)
        data = tmp_path / f"run{delay}"
        shutil.copytree(template, data)
        env = {**os.environ, "FACEREC_DATA_DIR": str(data), "FACEREC_CONFIG_DIR": str(tmp_path / f"cfg{delay}")}
        proc = subprocess.Popen([sys.executable, "main.py", "gallery", "encrypt", "--json"], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        os.environ["FACEREC_CONFIG_DIR"], saved = env["FACEREC_CONFIG_DIR"], os.environ["FACEREC_CONFIG_DIR"]
        try:
            with Gallery(data / "gallery", settings=Settings(), analyzer=FakeAnalyzer()) as after:
                assert after.count() == want, delay
                outcomes.append("encrypted" if after.store.key is not None else "plain")
        finally:
            os.environ["FACEREC_CONFIG_DIR"] = saved
    assert set(outcomes) <= {"plain", "encrypted"} and len(outcomes) == 4


def test_an_export_is_sealed_and_a_changed_one_is_refused(tmp_path):
    import zipfile

    from core.errors import StoreCorrupt
    from core.gallery.archive import export_gallery, import_gallery
    from core.storage import WrongKey

    g = enrolled(tmp_path / "g", tmp_path, Settings())
    _, vecs = g.store.embeddings(g.model_key, 32)
    out = export_gallery(g, tmp_path / "people.facerec", passphrase="pass phrase")
    g.close()
    blob = (tmp_path / "people.facerec").read_bytes()
    assert out["encrypted"] and leaks({Path("export"): blob}, vecs, [b"Ada Lovelace"]) == []
    with Gallery(tmp_path / "g2", settings=Settings(), analyzer=FakeAnalyzer()) as g2:
        with pytest.raises(WrongKey):
            import_gallery(g2, tmp_path / "people.facerec", passphrase="not it")
        for member, offset in (("gallery.db", 9000), ("manifest.json", 20)):
            bad = tmp_path / f"bad-{member}.facerec"
            with zipfile.ZipFile(tmp_path / "people.facerec") as src, zipfile.ZipFile(bad, "w") as dst:
                for n in src.namelist():
                    d = bytearray(src.read(n))
                    if n == member:
                        d[offset] ^= 0x20
                    dst.writestr(n, bytes(d))
            with pytest.raises((StoreCorrupt, WrongKey)):
                import_gallery(g2, bad, passphrase="pass phrase")
        assert g2.names() == []                                            # nothing half-imported
        assert import_gallery(g2, tmp_path / "people.facerec", passphrase="pass phrase")["faces"] == 8


def test_recovery_finishes_a_committed_migration_and_discards_an_uncommitted_one(tmp_path):
    """The moments a kill can land between the steps of ``encrypt_folder``, set up one by one."""
    import secrets

    from core.storage import keys
    from core.storage.migrate import JOURNAL, export_database, recover

    g = enrolled(tmp_path / "g", tmp_path, Settings(encrypt=False))
    want = g.count()
    g.close()
    root = tmp_path / "g"

    def prepared() -> None:
        key = secrets.token_bytes(32)
        export_database(root / "gallery.db", root / "gallery.db.new", None, key)
        keys.write_vault(root, keys.new_vault_doc(root, key, "gallery"), "vault.json.new")

    prepared()                                       # killed before the commit: the plain gallery stays
    assert recover(root) == "discarded" and not list(root.glob("*.new"))
    with Gallery(root, settings=Settings(), analyzer=FakeAnalyzer()) as g:
        assert g.store.key is None and g.count() == want
    prepared()                                       # killed after the commit, before the renames: finished
    (root / JOURNAL).write_text(json.dumps({"replace": {"gallery.db": "gallery.db.new", "vault.json": "vault.json.new"},
                                            "delete": []}))
    assert recover(root) == "finished" and not (root / JOURNAL).exists()
    with Gallery(root, settings=Settings(), analyzer=FakeAnalyzer()) as g:
        assert g.store.key is not None and g.count() == want


def test_encryption_never_silently_falls_back_to_plain_files(tmp_path):
    """TensorFlow brings its own SQLite with global symbols: SQLCipher must be loaded first (``core`` does it),
    and where it is not, an encrypted folder is refused rather than written plain."""
    code = ("import sys; {first}\n"
            "from pathlib import Path; from core.config import Settings; from core.gallery import Gallery\n"
            "from core.errors import EncryptionUnavailable\n"
            "try:\n"
            "    g = Gallery(Path(sys.argv[1]), settings=Settings(), model='sface'); g.close()\n"
            "except EncryptionUnavailable as e:\n"
            "    print('refused:', e); sys.exit(0)\n"
            "print('opened', open(Path(sys.argv[1]) / 'gallery.db', 'rb').read(16))\n")
    env = {**os.environ, "FACEREC_CONFIG_DIR": str(tmp_path / "cfg")}
    for first, name in (("import core, tensorflow", "core first"), ("import tensorflow, core", "tensorflow first")):
        out = subprocess.run([sys.executable, "-c", code.format(first=first), str(tmp_path / name)], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-1500:]
        if name == "core first":
            assert out.stdout.startswith("opened") and "SQLite format" not in out.stdout
        else:
            assert out.stdout.startswith("refused") and "Encryption is not available" in out.stdout


def test_a_locked_keyring_or_unreadable_key_file_changes_nothing(tmp_path, monkeypatch):
    """A key that exists but cannot be reached now is KeyUnavailable, not a wrong key: the evaluation cache (which
    starts afresh when its key is gone for good) keeps every row, and opens again once the keyring answers."""
    import keyring
    from keyring.backend import KeyringBackend

    from core.errors import KeyUnavailable
    from core.evaluation.face_cache import FaceCache
    from core.storage import keys

    class Memory(KeyringBackend):
        priority = 1
        locked = False

        def __init__(self):
            super().__init__()
            self.held = {}

        def set_password(self, service, user, password):
            self.held[(service, user)] = password

        def get_password(self, service, user):
            if Memory.locked:
                raise RuntimeError("the keyring is locked")
            return self.held.get((service, user))

        def delete_password(self, service, user):
            self.held.pop((service, user), None)

    before = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        monkeypatch.delenv("FACEREC_PASSPHRASE", raising=False)
        monkeypatch.setattr(keys, "keyring_usable", lambda *a, **k: True)
        root = tmp_path / "cache"
        cache = FaceCache(root)
        cache.con.execute("INSERT INTO embeddings VALUES ('k', x'00')")
        cache.con.commit()
        vault = json.loads((root / "vault.json").read_text())
        cache.close()
        assert vault["protection"] == "keyring"
        Memory.locked = True
        with pytest.raises(KeyUnavailable, match="unlock it"):
            FaceCache(root)
        Memory.locked = False
        cache = FaceCache(root)
        assert cache.con.execute("SELECT count(*) FROM embeddings").fetchone()[0] == 1
        assert json.loads((root / "vault.json").read_text())["id"] == vault["id"]
        cache.close()
    finally:
        keyring.set_keyring(before)
