"""Small file helpers: hashing and atomic writes that turn a full disk into DiskFull.

Every file the app persists (indexes, settings, manifests, exports, plots) goes
through :func:`atomic_path`: a sibling temporary is written, fsynced, moved over
the target with ``os.replace`` and the directory is fsynced, so a crash leaves
the old file or the new one, never half of one.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

from core.errors import DiskFull

FS_BYTES = "fs-bytes:"  # prefix of a stored path whose name is not valid UTF-8 (old disks, NAS shares)


def path_text(path: str) -> str:
    """A file system path as text a database can hold, reversibly: as it is when it is valid UTF-8, else its
    raw bytes (Python holds them as surrogate escapes) in hex after :data:`FS_BYTES`."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return FS_BYTES + os.fsencode(path).hex()


def text_path(text: str) -> str:
    """The path :func:`path_text` stored (with surrogate escapes where its bytes are not UTF-8)."""
    return os.fsdecode(bytes.fromhex(text[len(FS_BYTES):])) if text.startswith(FS_BYTES) else text


def shown(path: str | Path) -> str:
    """A path as a person can read it (bytes that are not UTF-8 as \\xNN)."""
    return os.fsencode(str(path)).decode("utf-8", "backslashreplace")


class Closing:
    """An object that holds files open: ``with obj:`` closes it (subclasses define :meth:`close`)."""

    def close(self) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def sha256_tree(root: Path) -> str:
    """SHA-256 over every regular file below ``root`` (relative path and content, sorted):
    a SavedModel's fingerprint covers ``saved_model.pb`` and all of ``variables/``."""
    root = Path(root)
    h = hashlib.sha256()
    for p in sorted(q for q in root.rglob("*") if q.is_file()):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(sha256_file(p).encode())
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _disk_full(dest: Path, exc: OSError) -> DiskFull:
    return DiskFull(f"The disk is full while writing {dest}; nothing was changed. Free some space and retry.")


@contextmanager
def atomic_path(dest: Path, suffix: str = ""):
    """Yield a temporary path beside ``dest``; on success it replaces ``dest`` atomically.

    On any error the temporary file is removed and ``dest`` is untouched; ENOSPC
    becomes :class:`DiskFull`.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix or ".tmp", dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        with open(tmp_path, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, dest)
        fsync_dir(dest.parent)
    except OSError as exc:
        tmp_path.unlink(missing_ok=True)
        if exc.errno == errno.ENOSPC:
            raise _disk_full(dest, exc) from exc
        raise
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(dest: Path):
    """Yield a temporary folder beside ``dest``; on success it replaces ``dest`` (a SavedModel export)."""
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    old = dest.with_name(f".{dest.name}.old")
    try:
        yield tmp
        for p in tmp.rglob("*"):
            if p.is_file():
                with open(p, "rb") as f:
                    os.fsync(f.fileno())
        shutil.rmtree(old, ignore_errors=True)
        if dest.exists():
            os.replace(dest, old)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno == errno.ENOSPC:
            raise _disk_full(dest, exc) from exc
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_bytes_atomic(dest: Path, data: bytes) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(dest: Path, text: str) -> None:
    write_bytes_atomic(dest, text.encode("utf-8"))
