"""Export a gallery as one archive and import one into a gallery.

An export is encrypted unless asked otherwise (``--plain``): a zip of a manifest and the database, copied by
SQLCipher under a key derived (scrypt, then HKDF) from a passphrase the user chooses, so no plain copy of a face
is ever written, not even to a temporary file. The manifest carries a check of the key (a wrong passphrase is
told apart from a changed file) and an HMAC over itself and the database: an archive changed in any byte is
refused, not loaded. Import reads an encrypted archive; a plain one only when asked for (``--plain``), since nothing in it can be
checked: the archive never chooses its own, weaker format. Sizes and the key derivation's cost are checked
before anything is unpacked or derived (a zip bomb or a manifest asking for gigabytes of scrypt is refused),
and the archive is unpacked inside the gallery's own folder (user-only), never into the system's temporary
folder. Import adds the archive's people; a name that already exists
receives the archive's faces (merge), and faces already enrolled (same image hash) are skipped. The search
index is rebuilt afterwards.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import shutil
import tempfile
import zipfile
import zlib
from pathlib import Path

from sqlalchemy import select

from core.errors import GalleryCorrupt, GalleryError, UsageError
from core.fileutil import atomic_path, sha256_file
from core.gallery.schema import SCHEMA_VERSION, AuditEvent, EmbeddingRow, FaceRow, Identity, ModelRow
from core.gallery.store import DB_NAME, LAYOUT, open_engine
from core.storage.keys import SCRYPT, WrongKey, ask_passphrase
from core.storage.migrate import export_database

FORMAT = "facerec-gallery"
MAX_MANIFEST = 1 << 20          # bytes
MAX_DATABASE = 8 << 30          # bytes unpacked: a 100,000-face gallery is about 2 GB
MAX_RATIO = 20                  # unpacked / packed: our databases are compacted copies (near 1 when encrypted)
MAX_SCRYPT = {"n": 2 ** 17, "r": 16, "p": 4}   # at most 256 MB of scrypt memory (ours: n = 2^15, r = 8)
TMP_PREFIX = ".import-"


def _check_kdf(kdf, archive: Path) -> None:
    """The manifest's key derivation, bounded before it is run (n = 2^20 would take over a gigabyte)."""
    ok = (isinstance(kdf, dict) and kdf.get("name") == "scrypt" and len(bytes.fromhex(str(kdf.get("salt", "")))) == 16
          and all(isinstance(kdf.get(k), int) and 1 <= kdf[k] <= MAX_SCRYPT[k] for k in MAX_SCRYPT)
          and kdf["n"] & (kdf["n"] - 1) == 0)
    if not ok:
        raise GalleryCorrupt(f"{archive}: the manifest's key derivation was changed or is out of bounds; nothing "
                             "was imported.")


def _unpack(z: zipfile.ZipFile, name: str, dest: Path, limit: int, archive: Path) -> None:
    """Copy one member to ``dest``, refusing it past ``limit`` bytes or an implausible compression ratio (both
    checked as it streams, whatever the zip's directory claims)."""
    info = z.getinfo(name)
    cap = min(limit, MAX_RATIO * max(info.compress_size, 1) + (1 << 20))
    if info.file_size > cap:
        raise GalleryCorrupt(f"{archive}: {name} would unpack to {info.file_size >> 20} MB; an archive this "
                             "compressed is not a facerec export. Nothing was imported.")
    n = 0
    with z.open(info) as src, open(dest, "wb") as out:
        while block := src.read(1 << 20):
            n += len(block)
            if n > cap:
                raise GalleryCorrupt(f"{archive}: {name} unpacks to more than its directory says; nothing was "
                                     "imported.")
            out.write(block)


@contextlib.contextmanager
def _workdir(gallery_root: Path):
    """A user-only folder inside the gallery's folder for unpacking (removed after; one left by a killed import
    is removed by the next import)."""
    for old in gallery_root.glob(f"{TMP_PREFIX}*"):
        try:
            os.kill(int(old.name.split("-")[2]), 0)
        except (ValueError, IndexError, ProcessLookupError):
            shutil.rmtree(old, ignore_errors=True)
        except PermissionError:
            pass
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=gallery_root))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _keys(passphrase: str, salt: bytes, kdf: dict) -> tuple[bytes, bytes, bytes]:
    """(database key, MAC key, key check) of an export, from its passphrase."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    master = Scrypt(salt=salt, length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"]).derive(passphrase.encode("utf-8"))

    def sub(info: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt, info).derive(master)

    return sub(b"facerec export database"), sub(b"facerec export mac"), sub(b"facerec export check")


def _mac(key: bytes, manifest: dict, db_sha256: str) -> str:
    body = json.dumps({k: v for k, v in manifest.items() if k != "mac"}, sort_keys=True) + db_sha256
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def export_gallery(gallery, dest: Path, plain: bool = False, passphrase: str | None = None) -> dict:
    """Write the gallery to ``dest`` (``.facerec`` encrypted, ``.zip`` plain); returns the manifest's figures."""
    dest = Path(dest)
    dest = dest.with_suffix(".zip" if plain else ".facerec") if dest.suffix not in (".zip", ".facerec") else dest
    if not dest.parent.is_dir():
        raise UsageError(f"{dest.parent} is not a folder; create it first (nothing was exported).")
    people, faces = gallery.count()
    manifest: dict = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "identities": people, "faces": faces,
                      "encrypted": not plain}
    db_key = None
    if not plain:
        salt = os.urandom(16)
        manifest["kdf"] = {"name": "scrypt", "salt": salt.hex(), **SCRYPT}
        db_key, mac_key, check = _keys(passphrase or ask_passphrase("export", "FACEREC_EXPORT_PASSPHRASE", confirm=True),
                                       salt, manifest["kdf"])
        manifest["check"] = check.hex()
    with _workdir(gallery.root) as tmp:
        snap = Path(tmp) / DB_NAME
        gallery.store.checkpoint_wal()
        export_database(gallery.root / DB_NAME, snap, gallery.store.key, db_key)  # one consistent snapshot
        if db_key is not None:
            manifest["mac"] = _mac(mac_key, manifest, sha256_file(snap))
        with atomic_path(dest, suffix=dest.suffix) as tmp_zip:
            with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("manifest.json", json.dumps(manifest, indent=2))
                z.write(snap, DB_NAME)
    with gallery.store.Session.begin() as s:
        s.add(AuditEvent(action="export", subject=dest.name, details={"path": str(dest.resolve()),
                                                                      "encrypted": not plain, "faces": faces}))
    return {"exported": str(dest), **{k: manifest[k] for k in ("identities", "faces", "encrypted")}}


def _open_archive(archive: Path, tmp: Path, passphrase: str | None, plain_ok: bool):
    """(engine, session factory, encrypted) over the archive's database, unpacked into ``tmp`` (still encrypted
    when the archive is), after checking its manifest, sizes, key and MAC."""
    try:
        z = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as exc:
        raise GalleryCorrupt(f"{archive} is not a gallery archive (not a zip file).") from exc
    db = tmp / DB_NAME
    try:
        with z:
            names = set(z.namelist())
            if not {"manifest.json", DB_NAME} <= names:
                raise GalleryCorrupt(f"{archive} is not a gallery archive (manifest.json or {DB_NAME} missing).")
            if z.getinfo("manifest.json").file_size > MAX_MANIFEST:
                raise GalleryCorrupt(f"{archive}: the manifest is too large to be a facerec manifest.")
            try:
                manifest = json.loads(z.read("manifest.json"))
            except ValueError as exc:
                raise GalleryCorrupt(f"{archive}: the manifest is damaged.") from exc
            if not isinstance(manifest, dict):
                raise GalleryCorrupt(f"{archive}: the manifest is damaged.")
            if manifest.get("format") != FORMAT:
                raise GalleryCorrupt(f"{archive} is not a facerec gallery archive.")
            try:
                newer = int(manifest.get("schema_version", 0)) > SCHEMA_VERSION
            except (TypeError, ValueError) as exc:
                raise GalleryCorrupt(f"{archive}: the manifest is damaged.") from exc
            if newer:
                raise GalleryError(f"{archive} comes from a newer facerec; please upgrade.")
            encrypted = manifest.get("encrypted") is not False
            if not encrypted and not plain_ok:
                raise GalleryError(f"{archive} is an unencrypted archive: nothing in it can be checked, so anyone "
                                   "could have written or changed it. Import it only if you made it yourself, with "
                                   "--plain. Nothing was imported.")
            if encrypted:
                _check_kdf(manifest.get("kdf"), archive)
            _unpack(z, DB_NAME, db, MAX_DATABASE, archive)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise GalleryCorrupt(f"{archive} was changed or damaged ({exc}); nothing was imported.") from exc
    key = None
    if encrypted:
        try:
            kdf, salt = manifest["kdf"], bytes.fromhex(manifest["kdf"]["salt"])
            key, mac_key, check = _keys(passphrase or ask_passphrase("export", "FACEREC_EXPORT_PASSPHRASE"), salt, kdf)
            good_key = hmac.compare_digest(check.hex(), str(manifest["check"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise GalleryCorrupt(f"{archive}: the manifest was changed or damaged; nothing was imported.") from exc
        if not good_key:
            raise WrongKey(f"The passphrase does not open {archive}; nothing was imported.")
        if not hmac.compare_digest(_mac(mac_key, manifest, sha256_file(db)), str(manifest.get("mac"))):
            raise GalleryCorrupt(f"{archive} was changed after it was exported (its seal does not match); nothing "
                                 "was imported.")
    engine, factory = open_engine(db, create=False, key=key)
    return engine, factory, encrypted


def import_gallery(gallery, archive: Path, passphrase: str | None = None, plain: bool = False) -> dict:
    """Add an archive's people to ``gallery``; a plain (unencrypted) archive only with ``plain``."""
    archive = Path(archive)
    if not archive.is_file():
        raise UsageError(f"{archive}: no such archive.")
    with _workdir(gallery.root) as tmp:
        engine, Src, encrypted = _open_archive(archive, Path(tmp), passphrase, plain)
        added_people = added_faces = skipped = 0
        try:
            with Src() as src, gallery.store.Session.begin() as dst:
                for m in src.scalars(select(ModelRow)):
                    if dst.get(ModelRow, m.key) is None:
                        dst.add(ModelRow(key=m.key, name=m.name, dim=m.dim, weights_hash=m.weights_hash))
                dst.flush()
                known_hashes = set(dst.scalars(select(FaceRow.image_hash)))
                for ident in src.scalars(select(Identity)):
                    target = dst.scalar(select(Identity).where(Identity.name == ident.name))
                    if target is None:
                        target = Identity(name=ident.name, notes=ident.notes, created=ident.created)
                        dst.add(target)
                        dst.flush()
                        added_people += 1
                    for f in ident.faces:
                        if f.image_hash in known_hashes:
                            skipped += 1
                            continue
                        nf = FaceRow(identity_id=target.id, source_path=f.source_path, image_hash=f.image_hash,
                                     box=f.box, thumbnail=f.thumbnail, det_score=f.det_score, quality=f.quality,
                                     created=f.created)
                        dst.add(nf)
                        dst.flush()
                        for e in f.embeddings:
                            dst.add(EmbeddingRow(face_id=nf.id, model_key=e.model_key, dim=e.dim, vector=e.vector))
                        known_hashes.add(f.image_hash)
                        added_faces += 1
                dst.add(AuditEvent(action="import", subject=archive.name,
                                   details={"identities": added_people, "faces": added_faces, "skipped": skipped}))
        finally:
            engine.dispose()
    for stale in LAYOUT.derived_files(gallery.root):
        stale.unlink(missing_ok=True)
    gallery.rebuild_index()
    return {"imported": str(archive), "new_identities": added_people, "faces": added_faces,
            "skipped_duplicates": skipped, "encrypted": encrypted,
            **({} if encrypted else {"warning": "an unencrypted archive: its contents could not be checked"})}
