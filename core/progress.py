"""How long work reports and stops: one progress callback type and one cancel check, for every room."""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[int, int, str], None]   # (done, total, what): total 0 while it is not known yet
CancelFn = Callable[[], bool]                  # True: stop as soon as it is safe (raise core.errors.Cancelled)
