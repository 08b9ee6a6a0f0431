"""Open an SQLite database safely: WAL, foreign keys, busy timeout, secure delete, a versioned schema.

The gallery and the photo library each keep their rows here (their own schema, ``Base`` and ``meta`` table).
A damaged database raises :class:`GalleryCorrupt` and is never replaced.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.errors import GalleryCorrupt, GalleryError

BUSY_TIMEOUT_MS = 60_000
Migrations = dict[int, Callable[[Engine], None]]  # migrations[v] upgrades a database at version v to v + 1


def _pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")     # removed faces are overwritten, not left in free pages
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def open_database(db_path: Path, base, meta, version: int, migrations: Migrations | None = None,
                  create: bool = True, what: str = "gallery") -> tuple[Engine, sessionmaker[Session]]:
    """Engine + session factory for ``db_path`` with the tables of ``base`` (a DeclarativeBase); ``meta`` is its
    key/value table, whose ``schema_version`` row is checked against ``version`` and migrated up. ``what``
    names the database in messages ("gallery", "photo library")."""
    from sqlalchemy.exc import DatabaseError, OperationalError

    db_path = Path(db_path)
    if not db_path.exists() and not create:
        raise GalleryError(f"No {what} at {db_path.parent}.")
    if db_path.exists():
        _check_header(db_path, what)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(f"sqlite:///{db_path}", connect_args={"timeout": BUSY_TIMEOUT_MS / 1000,
                                                                 "check_same_thread": False})
    event.listen(engine, "connect", _pragmas)
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
            ok = conn.exec_driver_sql("PRAGMA quick_check").scalar()
            if ok != "ok":
                raise GalleryCorrupt(f"The {what} database {db_path} is damaged ({ok}). It was left untouched; "
                                     "restore it from an export or move it away to start a new one.")
            if mode.lower() != "wal":
                raise GalleryError(f"Could not switch {db_path} to WAL mode (got {mode}).")
        base.metadata.create_all(engine)
        factory = sessionmaker(engine, expire_on_commit=False)
        _check_version(engine, factory, meta, version, migrations or {}, db_path, what)
    except (DatabaseError, sqlite3.DatabaseError) as exc:
        if isinstance(exc, OperationalError) and "locked" in str(exc):
            raise GalleryError(f"The {what} {db_path} is busy (locked by another program) for over "
                               f"{BUSY_TIMEOUT_MS // 1000} s.") from exc
        raise GalleryCorrupt(f"The {what} database {db_path} cannot be read "
                             f"({exc.orig if hasattr(exc, 'orig') else exc}). It was left untouched.") from exc
    return engine, factory


def _check_header(db_path: Path, what: str) -> None:
    with open(db_path, "rb") as f:
        head = f.read(16)
    if head and head != b"SQLite format 3\x00":
        raise GalleryCorrupt(f"{db_path} is not an SQLite database (damaged or a different file). "
                             f"The {what} was left untouched.")


def _check_version(engine: Engine, factory: sessionmaker[Session], meta, version: int, migrations: Migrations,
                   db_path: Path, what: str) -> None:
    with factory.begin() as s:
        row = s.get(meta, "schema_version")
        if row is None:
            s.add(meta(key="schema_version", value=str(version)))
            return
        current = int(row.value)
    if current > version:
        raise GalleryError(f"{db_path} was written by a newer facerec ({what} schema {current}); please upgrade.")
    while current < version:
        migrations[current](engine)
        current += 1
        with factory.begin() as s:
            s.merge(meta(key="schema_version", value=str(current)))


def checkpoint(engine: Engine) -> None:
    """Fold the WAL into the main file and truncate it (after deletes, so no copy of removed faces lingers)."""
    with engine.connect() as conn:
        conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))


def schema_version(factory: sessionmaker[Session], meta) -> int:
    with factory() as s:
        return int(s.scalar(select(meta.value).where(meta.key == "schema_version")))
