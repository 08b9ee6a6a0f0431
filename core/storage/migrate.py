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

import contextlib
import json
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from core.errors import Cancelled, GalleryError, StoreBusy
from core.fileutil import fsync_dir, write_bytes_atomic
from core.storage import keys
from core.storage.layout import StoreLayout

JOURNAL = "migration.json"
T = TypeVar("T")
LOCK = ".lock"                # shared while a store is open, exclusive while it is migrated
CREATE_LOCK = ".create.lock"  # exclusive while a new folder gets its key and its database
WORK_LOCK = ".work.lock"      # exclusive while a scan (or other long writing work) runs
LOCKS = (LOCK, CREATE_LOCK, WORK_LOCK)


@contextlib.contextmanager
def folder_lock(root: Path, exclusive: bool, what: str = "gallery"):
    """A lock on the folder: shared while a store has it open, exclusive while it is migrated (POSIX)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks; the user is told to close the app
        yield
        return
    Path(root).mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(Path(root) / LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise GalleryError(f"The {what} at {root} is in use by another program (the window or another command); "
                               "close it and try again.") from exc
        yield
    finally:
        os.close(fd)


@contextlib.contextmanager
def waiting_lock(root: Path, name: str, what: str, timeout: float = 600.0, cancel: Callable[[], bool] | None = None,
                 on_wait: Callable[[str], None] | None = None, doing: str = "in use"):
    """An exclusive lock on ``root/name``, waited for (up to ``timeout`` seconds; ``cancel`` checked while
    waiting, ``on_wait`` told once that we wait): two programs creating or scanning one folder take turns."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    Path(root).mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(Path(root) / name, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        t0, told = time.monotonic(), False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - t0
                if waited >= timeout:
                    raise StoreBusy(f"The {what} at {root} is {doing} by another program (waited {waited:.0f} s); "
                                    "try again when it has finished.") from None
                if cancel is not None and cancel():
                    raise Cancelled(f"Stopped waiting for another program's work on the {what} at {root}.") from None
                if on_wait is not None and not told:
                    on_wait(f"Waiting: the {what} is {doing} by another program.")
                    told = True
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def user_only(paths: list[Path]) -> None:
    """Files that hold faces are readable by their owner only (0600); a file another user owns is left alone."""
    for p in paths:
        try:
            if p.stat().st_mode & 0o077:
                os.chmod(p, 0o600)
        except OSError:
            pass


def new_file(path: Path) -> None:
    """Create an empty file only the user can read (SQLite gives its WAL and shared-memory files the database
    file's permissions), unless it exists."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass


def export_database(src: Path, dest: Path, src_key: bytes | None, dest_key: bytes | None) -> None:
    """Copy a database to ``dest`` (which must not exist) under another key (None: plain), via SQLCipher's
    ``sqlcipher_export``; checked and fsynced before it returns."""
    import sqlcipher3.dbapi2 as sqlcipher

    def keyed(key: bytes | None) -> str:
        return f"\"x'{key.hex()}'\"" if key is not None else "''"

    con = sqlcipher.connect(str(src), isolation_level=None)
    try:
        if not con.execute("PRAGMA cipher_version").fetchone():
            raise GalleryError("Encryption is not available in this process (SQLCipher was loaded after "
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
        raise GalleryError(f"The new copy {dest} failed its check ({ok}); the original was left as it was.")
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
            raise GalleryError(f"The {what} at {root} is not encrypted.")
        _new_db(root, db, keys.unwrap(root, old, what, passphrase), None)
        _commit(root, {db: f"{db}.new"}, [keys.VAULT, *[p.name for p in layout.derived_files(root)]])
        keys.forget_wrapping_key(old)


def prepare(root: Path, layout: StoreLayout, create: bool = True, encrypt_new: bool = True,
            passphrase: str | None = None) -> keys.Vault:
    """What a store does before opening its folder: finish or discard an interrupted migration, then the
    folder's key: its vault's, a new one for a new folder (when ``encrypt_new``), or none for a plain folder
    (an earlier version's, or one the user decrypted)."""
    root, db, what = Path(root), layout.db, layout.what
    if root.is_dir():
        recover(root)
    if keys.read_vault(root) is not None:
        return keys.open_vault(root, what, passphrase)
    if create and encrypt_new and not (root / db).exists():
        return keys.create_vault(root, what, passphrase=passphrase)
    return keys.Vault(root)


def open_store(root: Path, layout: StoreLayout, create: bool, encrypt_new: bool,
               open_db: Callable[[Path, bytes | None], T]) -> tuple[contextlib.ExitStack, keys.Vault, T]:
    """Open a store's folder: (its shared lock, held until the stack is closed; its vault; ``open_db(database
    path, data key or None)``). Nothing stays locked when opening fails. The one way every store opens."""
    root, db, what = Path(root), layout.db, layout.what
    if root.exists() and not root.is_dir():
        raise GalleryError(f"{root} is a file, not a {what} folder.")
    if not create and not (root / db).exists():
        raise GalleryError(f"No {what} at {root}.")
    lock = contextlib.ExitStack()
    lock.enter_context(folder_lock(root, exclusive=False, what=what))
    try:
        # The key and the database are set up under one exclusive lock: two programs starting at once on a new
        # folder must not each make a key (the last vault written would win, and the other's data be
        # unreadable), nor each create the tables. Held only while opening (a quick check of the database).
        with waiting_lock(root, CREATE_LOCK, what, timeout=120, doing="being opened"):
            vault = prepare(root, layout, create=create, encrypt_new=encrypt_new)
            if create:
                new_file(root / db)
            opened = open_db(root / db, vault.key)
            user_only(layout.files(root))   # a store an earlier version made readable by others is closed too
        doc = keys.read_vault(root)
        if (doc["id"] if doc else "") != vault.id:  # never write under a key that is not the one on disk
            raise GalleryError(f"The key of the {what} at {root} changed while it was being opened; try again.")
        return lock, vault, opened
    except BaseException:
        lock.close()
        raise
