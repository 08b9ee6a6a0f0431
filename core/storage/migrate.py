"""Encrypting, decrypting and re-keying a folder's database in place, so that a kill at any moment leaves the
old or the new folder, never neither.

Everything new is written beside the old under ``*.new`` names (the database through ``sqlcipher_export`` into
``*.partial`` first, renamed only once complete and on disk). Then the commit point: a journal
(``migration.json``) listing what replaces what is written atomically; only then are the renames done, and
the journal removed. :func:`recover` (run whenever a folder is opened) finishes a committed migration and
discards an uncommitted one. Derived files (search indexes, the grouping state) are deleted: they are rebuilt,
under the new protection, when the folder is next opened. A folder in use by another program is not touched.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from core.errors import EncryptionUnavailable, StoreCorrupt, UsageError
from core.fileutil import fsync_dir, write_bytes_atomic
from core.storage import keys
from core.storage.layout import StoreLayout
from core.storage.locks import folder_lock

JOURNAL = "migration.json"


def export_database(src: Path, dest: Path, src_key: bytes | None, dest_key: bytes | None) -> None:
    """Copy a database to ``dest`` (which must not exist) under another key (None: plain), via SQLCipher's
    ``sqlcipher_export``; checked and fsynced before it returns."""
    import sqlcipher3.dbapi2 as sqlcipher

    def keyed(key: bytes | None) -> str:
        return f"\"x'{key.hex()}'\"" if key is not None else "''"

    con = sqlcipher.connect(str(src), isolation_level=None)
    try:
        if not con.execute("PRAGMA cipher_version").fetchone():
            raise EncryptionUnavailable("Encryption is not available in this process (SQLCipher was loaded after "
                               "TensorFlow); nothing was copied.")
        con.execute("PRAGMA cipher_log_level = NONE")
        if src_key is not None:
            con.execute(f"PRAGMA key = {keyed(src_key)}")
        con.execute(f"ATTACH DATABASE ? AS dest KEY {keyed(dest_key)}", (str(dest),))
        con.execute("SELECT sqlcipher_export('dest')")
        con.execute("DETACH DATABASE dest")
    finally:
        con.close()
    out = sqlcipher.connect(str(dest), isolation_level=None)
    try:
        if dest_key is not None:
            out.execute(f"PRAGMA key = {keyed(dest_key)}")
        out.execute("PRAGMA journal_mode = WAL")
        ok = out.execute("PRAGMA quick_check").fetchone()[0]
        out.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        out.close()
    if ok != "ok":
        raise StoreCorrupt(f"The new copy {dest} failed its check ({ok}); the original was left as it was.")
    with open(dest, "rb+") as f:
        os.fsync(f.fileno())


def recover(root: Path) -> str | None:
    """Finish or discard a migration a kill interrupted; returns what was done (None: nothing to do)."""
    root = Path(root)
    journal = root / JOURNAL
    if journal.exists():
        try:
            plan = json.loads(journal.read_text())
        except (OSError, ValueError):
            plan = None
        if isinstance(plan, dict):
            _apply(root, plan)
            journal.unlink()
            fsync_dir(root)
            return "finished"
    stray = [p for pattern in STRAY for p in root.glob(pattern)] if root.is_dir() else []
    for p in stray:
        p.unlink(missing_ok=True)
    return "discarded" if stray else None


# what an uncommitted migration may leave: new copies (with SQLite's journal, WAL and shared-memory files) and
# the temporary files of the journal's and the vault's atomic writes
STRAY = ("*.new", "*.new-journal", "*.new-wal", "*.new-shm", "*.partial", "*.partial-journal", "*.partial-wal",
         "*.partial-shm", f".{JOURNAL}.*.tmp", f".{keys.VAULT}.new.*.tmp")


def _apply(root: Path, plan: dict) -> None:
    """Do the renames and deletions of a committed plan (each step may already be done: idempotent)."""
    for target, source in plan["replace"].items():
        if (root / source).exists():
            for side in ("-wal", "-shm"):
                (root / f"{target}{side}").unlink(missing_ok=True)  # an old WAL must never meet the new file
            os.replace(root / source, root / target)
    for name in plan.get("delete", []):
        (root / name).unlink(missing_ok=True)


def _commit(root: Path, replace: dict[str, str], delete: list[str]) -> None:
    write_bytes_atomic(root / JOURNAL, json.dumps({"replace": replace, "delete": delete}).encode())
    _apply(root, {"replace": replace, "delete": delete})
    (root / JOURNAL).unlink()
    fsync_dir(root)


def _new_db(root: Path, db: str, src_key: bytes | None, dest_key: bytes | None) -> None:
    partial, new = root / f"{db}.partial", root / f"{db}.new"
    partial.unlink(missing_ok=True)
    export_database(root / db, partial, src_key, dest_key)
    os.replace(partial, new)


def encrypt_folder(root: Path, layout: StoreLayout, protection: str = "auto",
                   passphrase: str | None = None) -> keys.Vault:
    """A plain folder encrypted under a new data key (or an encrypted one re-keyed: a new data key, and the
    protection and passphrase given)."""
    root, db, what = Path(root), layout.db, layout.what
    with folder_lock(root, exclusive=True, what=what):
        recover(root)
        old = keys.read_vault(root)
        old_key = keys.unwrap(root, old, what) if old else None
        key = secrets.token_bytes(32)
        _new_db(root, db, old_key, key)
        doc = keys.new_vault_doc(root, key, what, protection, passphrase)
        keys.write_vault(root, doc, f"{keys.VAULT}.new")
        _commit(root, {db: f"{db}.new", keys.VAULT: f"{keys.VAULT}.new"}, [p.name for p in layout.derived_files(root)])
        if old:
            keys.forget_wrapping_key(old)
        return keys.Vault(root, doc["id"], doc["protection"], key)


def decrypt_folder(root: Path, layout: StoreLayout, passphrase: str | None = None) -> None:
    """An encrypted folder stored plain again (on the user's explicit request)."""
    root, db, what = Path(root), layout.db, layout.what
    with folder_lock(root, exclusive=True, what=what):
        recover(root)
        old = keys.read_vault(root)
        if old is None:
            raise UsageError(f"The {what} at {root} is not encrypted.")
        _new_db(root, db, keys.unwrap(root, old, what, passphrase), None)
        _commit(root, {db: f"{db}.new"}, [keys.VAULT, *[p.name for p in layout.derived_files(root)]])
        keys.forget_wrapping_key(old)
