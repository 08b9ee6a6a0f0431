"""Opening a store's folder, the one way every store opens (:func:`open_store`): its locks, the recovery of an
interrupted migration, its vault and key, then its database; files made readable by their owner only."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from core.errors import StoreBusy, StoreMissing
from core.storage import keys
from core.storage.layout import StoreLayout
from core.storage.locks import CREATE_LOCK, folder_lock, waiting_lock
from core.storage.migrate import recover

T = TypeVar("T")


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
        raise StoreMissing(f"{root} is a file, not a {what} folder.")
    if not create and not (root / db).exists():
        raise StoreMissing(f"No {what} at {root}.")
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
            raise StoreBusy(f"The key of the {what} at {root} changed while it was being opened; try again.")
        return lock, vault, opened
    except BaseException:
        lock.close()
        raise
