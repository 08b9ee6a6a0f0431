"""Folders that hold faces, each declared once by its store: its database, the files derived from it and the
name it has in messages. The privacy facade (:mod:`core.privacy`) encrypts, re-keys, audits and erases every
declared folder; adding a folder that holds faces is one :func:`declare`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.errors import StoreClosed
from core.fileutil import Closing

SQLITE_SIDES = ("-wal", "-shm", "-journal")


@dataclass(frozen=True)
class StoreLayout:
    """One kind of folder that holds faces.

    ``what``: its name in messages ("gallery"); ``db``: the database file; ``derived``: globs of the files
    rebuilt from the database (sealed under the folder's key, deleted when it is re-keyed); ``home``: where the
    app keeps it, given the settings (None: wherever its user says)."""

    what: str
    db: str
    derived: tuple[str, ...] = ()
    home: Callable[[object], Path] | None = None

    def database(self, root: Path) -> Path:
        return Path(root) / self.db

    def exists(self, root: Path) -> bool:
        return self.database(root).is_file()

    def derived_files(self, root: Path) -> list[Path]:
        return sorted(p for pattern in self.derived for p in Path(root).glob(pattern))

    def files(self, root: Path) -> list[Path]:
        """Every file of the store in ``root`` that exists: the database with SQLite's side files, the derived
        files and the vault."""
        from core.storage.keys import VAULT

        root = Path(root)
        names = [self.db, *(self.db + s for s in SQLITE_SIDES), VAULT]
        return [p for p in (root / n for n in names) if p.exists()] + self.derived_files(root)


REGISTRY: dict[str, StoreLayout] = {}


def declare(layout: StoreLayout) -> StoreLayout:
    """Register a store's layout (once, where the store is defined) and return it."""
    REGISTRY[layout.what] = layout
    return layout


class FolderStore(Closing):
    """A store open on its folder (see :func:`core.storage.open_store`): ``vault`` (its key), the folder's
    shared ``_lock`` and an SQLAlchemy ``engine``; closing releases all three."""

    LAYOUT: StoreLayout
    vault: object
    engine: object
    _lock: object

    @property
    def key(self) -> bytes | None:
        """The folder's data key (for its other files: indexes, the grouping state); None when stored plain."""
        return self.vault.key

    def close(self) -> None:
        """Close the store for good: a later use raises :class:`StoreClosed` instead of quietly opening the
        database again (without the folder's lock, beside a migration that may be replacing it)."""
        from sqlalchemy import event

        def refuse(*_args, **_kw):
            raise StoreClosed(f"The {self.LAYOUT.what} was closed; open it again.")

        self._close_more()
        if not getattr(self, "_closed", False):
            self._closed = True
            event.listen(self.engine, "do_connect", refuse)
        self.engine.dispose()
        self._lock.close()

    def _close_more(self) -> None:
        """What a store holds open besides its engine."""
