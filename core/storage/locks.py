"""Advisory locks on a folder that holds faces (POSIX ``flock``; on Windows none: the user is told to close the
app): a store's open lock (shared while open, exclusive while migrated), the create lock (a new folder gets its
key and database once) and the work lock (one scan at a time)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from core.errors import Cancelled, StoreBusy
from core.progress import CancelFn

LOCK = ".lock"                # shared while a store is open, exclusive while it is migrated
CREATE_LOCK = ".create.lock"  # exclusive while a new folder gets its key and its database
WORK_LOCK = ".work.lock"      # exclusive while a scan (or other long writing work) runs
LOCKS = (LOCK, CREATE_LOCK, WORK_LOCK)


@contextlib.contextmanager
def _lock_file(root: Path, name: str) -> Iterator[Callable[[bool], bool] | None]:
    """Opens ``root/name`` (0600, the folder 0700) and yields ``take(exclusive) -> bool`` (False: another program
    holds it), or None where there are no advisory locks; the lock goes with the file's closing."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield None
        return
    Path(root).mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(Path(root) / name, os.O_RDWR | os.O_CREAT, 0o600)

    def take(exclusive: bool) -> bool:
        try:
            fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    try:
        yield take
    finally:
        os.close(fd)


@contextlib.contextmanager
def folder_lock(root: Path, exclusive: bool, what: str = "gallery"):
    """The open lock: shared while a store has the folder open, exclusive while it is migrated; never waited for."""
    with _lock_file(root, LOCK) as take:
        if take is not None and not take(exclusive):
            raise StoreBusy(f"The {what} at {root} is in use by another program (the window or another command); "
                            "close it and try again.")
        yield


@contextlib.contextmanager
def waiting_lock(root: Path, name: str, what: str, timeout: float = 600.0, cancel: CancelFn | None = None,
                 on_wait: Callable[[str], None] | None = None, doing: str = "in use"):
    """An exclusive lock on ``root/name``, waited for (up to ``timeout`` seconds; ``cancel`` checked while
    waiting, ``on_wait`` told once that we wait): two programs creating or scanning one folder take turns."""
    with _lock_file(root, name) as take:
        t0, told = time.monotonic(), False
        while take is not None and not take(True):
            waited = time.monotonic() - t0
            if waited >= timeout:
                raise StoreBusy(f"The {what} at {root} is {doing} by another program (waited {waited:.0f} s); "
                                "try again when it has finished.")
            if cancel is not None and cancel():
                raise Cancelled(f"Stopped waiting for another program's work on the {what} at {root}.")
            if on_wait is not None and not told:
                on_wait(f"Waiting: the {what} is {doing} by another program.")
                told = True
            time.sleep(0.05)
        yield
