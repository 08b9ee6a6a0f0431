"""Open an SQLite database safely: WAL, foreign keys, busy timeout, secure delete, a versioned schema; with a
key, encrypted (SQLCipher: every page, the WAL too, AES-256 with a per-page HMAC).

The gallery and the photo library each keep their rows here (their own schema, ``Base`` and ``meta`` table).
A damaged database raises :class:`StoreCorrupt` and is never replaced.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import String, Text, create_engine, event, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from core.errors import EncryptionUnavailable, StoreBusy, StoreCorrupt, StoreError, StoreMissing, StoreTooNew

BUSY_TIMEOUT_MS = 60_000
Migrations = dict[int, Callable[[Engine], None]]  # migrations[v] upgrades a database at version v to v + 1


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class MetaTable:
    """The columns of a schema's key/value ``meta`` table (``class Meta(MetaTable, Base)``), whose
    ``schema_version`` row :func:`open_database` checks."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def _pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA secure_delete=ON")     # removed faces are overwritten, not left in free pages
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


def _key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect(db_path: Path, key: bytes | None = None, timeout: float = 5.0):
    """A plain DB-API connection (encrypted: SQLCipher's, keyed), for what SQLAlchemy is not needed for."""
    if key is None:
        return sqlite3.connect(db_path, timeout=timeout, check_same_thread=False)
    import sqlcipher3.dbapi2 as sqlcipher

    con = sqlcipher.connect(str(db_path), timeout=timeout, check_same_thread=False)
    if not con.execute("PRAGMA cipher_version").fetchone():
        con.close()
        raise EncryptionUnavailable(f"Encryption is not available in this process (SQLCipher was loaded after TensorFlow); "
                           f"{db_path} was not opened.")
    con.execute("PRAGMA cipher_log_level = NONE")
    con.execute(_key_pragma(key))
    return con


def _errors() -> tuple:
    """The DB-API errors that mean "cannot read this database", of both SQLite modules."""
    from sqlalchemy.exc import DatabaseError

    try:
        import sqlcipher3.dbapi2 as sqlcipher

        return DatabaseError, sqlite3.DatabaseError, sqlcipher.DatabaseError
    except ImportError:  # pragma: no cover - sqlcipher3 is a dependency
        return DatabaseError, sqlite3.DatabaseError


FULL_CHECK_BYTES = 128 * 1024 * 1024  # databases up to this size are checked whole on every open


def _quick_check(conn, db_path: Path, base) -> str:
    """SQLite's ``quick_check`` ("ok" or the first problem): of every page when the database is small; of a
    large one, every table but those holding blobs (crops, embeddings), whose pages are checked as they are read
    (SQLCipher: each page's HMAC). Reading every page of a large encrypted gallery on each open took seconds
    (13.8 s for 100,000 faces)."""
    size = db_path.stat().st_size if db_path.exists() else 0
    if size <= FULL_CHECK_BYTES:
        return conn.exec_driver_sql("PRAGMA quick_check").scalar()
    from sqlalchemy import LargeBinary

    have = set(conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'").scalars())
    for table in base.metadata.sorted_tables:
        if table.name in have and not any(isinstance(c.type, LargeBinary) for c in table.columns):
            ok = conn.exec_driver_sql(f'PRAGMA quick_check("{table.name}")').scalar()
            if ok != "ok":
                return ok
    return "ok"


def open_database(db_path: Path, base, meta, version: int, migrations: Migrations | None = None,
                  create: bool = True, what: str = "gallery",
                  key: bytes | None = None) -> tuple[Engine, sessionmaker[Session]]:
    """Engine + session factory for ``db_path`` with the tables of ``base`` (a DeclarativeBase); ``meta`` is its
    key/value table, whose ``schema_version`` row is checked against ``version`` and migrated up. ``what``
    names the database in messages ("gallery", "photo library"). ``key``: the 32-byte data key of an encrypted
    database (:mod:`core.storage.keys`); None: a plain one."""
    import time

    from sqlalchemy.exc import OperationalError

    t0 = time.monotonic()
    db_path = Path(db_path)
    if not db_path.exists() and not create:
        raise StoreMissing(f"No {what} at {db_path.parent}.")
    if db_path.exists():
        _check_header(db_path, what, encrypted=key is not None)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    args = {"connect_args": {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}}
    if key is not None:
        import sqlcipher3.dbapi2 as sqlcipher

        args["module"] = sqlcipher
    engine = create_engine(f"sqlite:///{db_path}", **args)
    if key is not None:
        pragma = _key_pragma(key)

        def keyed(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            if not cur.execute("PRAGMA cipher_version").fetchone():
                cur.close()
                raise EncryptionUnavailable(f"Encryption is not available in this process (SQLCipher was loaded after "
                                   f"TensorFlow, whose SQLite took its place); the {what} was not opened.")
            cur.execute("PRAGMA cipher_log_level = NONE")
            cur.execute(pragma)
            cur.close()

        event.listen(engine, "connect", keyed, insert=True)  # before any other statement
    event.listen(engine, "connect", _pragmas)
    try:
        with engine.connect() as conn:
            mode = conn.exec_driver_sql("PRAGMA journal_mode=WAL").scalar()
            ok = _quick_check(conn, db_path, base)
            if ok != "ok":
                raise StoreCorrupt(f"The {what} database {db_path} is damaged ({ok}). It was left untouched; "
                                     "restore it from an export or move it away to start a new one.")
            if mode.lower() != "wal":
                raise StoreError(f"Could not switch {db_path} to WAL mode (got {mode}).")
            _refuse_newer(conn, meta, version, db_path, what)  # before anything is created or changed
        base.metadata.create_all(engine)
        factory = sessionmaker(engine, expire_on_commit=False)
        _check_version(engine, factory, meta, version, migrations or {}, db_path, what)
    except _errors() as exc:
        if isinstance(exc, OperationalError) and "locked" in str(exc):
            raise StoreBusy(f"The {what} {db_path} is busy: locked by another program (waited "
                               f"{time.monotonic() - t0:.0f} s); try again when it has finished.") from exc
        raise StoreCorrupt(f"The {what} database {db_path} cannot be read "
                             f"({exc.orig if hasattr(exc, 'orig') else exc}). It was left untouched.") from exc
    return engine, factory


def is_plain(db_path: Path) -> bool:
    """Whether the file starts like a plain SQLite database (an encrypted one starts with random bytes)."""
    with open(db_path, "rb") as f:
        head = f.read(16)
    return not head or head == b"SQLite format 3\x00"


def _check_header(db_path: Path, what: str, encrypted: bool) -> None:
    plain = is_plain(db_path)
    if encrypted and plain and db_path.stat().st_size:
        raise StoreCorrupt(f"{db_path} is a plain database, but its folder has a key (vault.json): the {what} "
                             "was left untouched.")
    if not encrypted and not plain:
        raise StoreCorrupt(f"{db_path} is not a plain SQLite database: damaged, a different file, or encrypted "
                             f"with its key file (vault.json) missing. The {what} was left untouched.")


def _refuse_newer(conn, meta, version: int, db_path: Path, what: str) -> None:
    have = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                                (meta.__tablename__,)).scalar()
    if not have:
        return
    row = conn.exec_driver_sql(f"SELECT value FROM {meta.__tablename__} WHERE key = 'schema_version'").scalar()
    if row is not None and int(row) > version:
        raise StoreTooNew(f"{db_path} was written by a newer facerec ({what} schema {row}); please upgrade. It "
                           "was not changed.")


def _check_version(engine: Engine, factory: sessionmaker[Session], meta, version: int, migrations: Migrations,
                   db_path: Path, what: str) -> None:
    with factory.begin() as s:
        row = s.get(meta, "schema_version")
        if row is None:
            s.add(meta(key="schema_version", value=str(version)))
            return
        current = int(row.value)
    if current > version:
        raise StoreTooNew(f"{db_path} was written by a newer facerec ({what} schema {current}); please upgrade.")
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
