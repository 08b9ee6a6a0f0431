"""Background workers: nothing slow runs on the GUI thread.

- :class:`Job` (QRunnable): any core function taking ``progress`` and ``cancel``;
  signals started / progress / result / error / finished.
- :class:`CaptureThread`: reads frames from a source at its pace and emits each one.
- :class:`RecognitionThread`: keeps only the newest submitted frame (older ones are
  dropped, never queued), recognises it and emits the faces.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, QRunnable, QThread, Signal


class JobSignals(QObject):
    started = Signal()
    progress = Signal(int, int, str)
    result = Signal(object)
    error = Signal(str)
    finished = Signal()


class Job(QRunnable):
    """Run ``fn(progress=..., cancel=...)`` (or ``fn()`` when ``plain``) on the thread pool."""

    def __init__(self, fn: Callable, plain: bool = False):
        super().__init__()
        self.fn, self.plain = fn, plain
        self.signals = JobSignals()
        self._cancel = threading.Event()
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self._cancel.set()

    def run(self) -> None:
        s = self.signals
        s.started.emit()
        try:
            if self.plain:
                out = self.fn()
            else:
                out = self.fn(progress=lambda d, t, item="": s.progress.emit(int(d), int(t), str(item)),
                              cancel=self._cancel.is_set)
            s.result.emit(out)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message in the window
            from core.errors import FaceRecError

            s.error.emit(str(exc) if isinstance(exc, FaceRecError) else
                         f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}")
        finally:
            s.finished.emit()


class CaptureThread(QThread):
    """Emits ``frame(Frame)`` at the source's pace; ``ended`` at the end of a file; ``failed(str)``."""

    frame = Signal(object)
    ended = Signal()
    failed = Signal(str)

    def __init__(self, source, loop_stills: bool = True):
        super().__init__()
        self.source = source
        self.loop_stills = loop_stills
        self._stop = threading.Event()
        self._paused = threading.Event()

    def pause(self, paused: bool) -> None:
        (self._paused.set if paused else self._paused.clear)()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        period = 1.0 / max(1e-3, self.source.fps)
        next_t = time.monotonic()
        try:
            while not self._stop.is_set():
                if self._paused.is_set():
                    time.sleep(0.05)
                    next_t = time.monotonic()
                    continue
                f = self.source.read()
                if f is None:
                    self.ended.emit()
                    break
                self.frame.emit(f)
                if not self.source.live:
                    next_t += period
                    delay = next_t - time.monotonic()
                    if delay > 0:
                        self._stop.wait(delay)
                    else:
                        next_t = time.monotonic()
        except Exception as exc:  # noqa: BLE001
            self.failed.emit(f"The video source failed: {exc}")
        finally:
            self.source.close()


class RecognitionThread(QThread):
    """Recognises the newest frame; emits ``faces(frame, list[FaceView], seconds)``."""

    faces = Signal(object, object, float)
    failed = Signal(str)

    def __init__(self, recognizer):
        super().__init__()
        self.recognizer = recognizer
        self._latest = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.dropped = 0
        self.processed = 0

    def submit(self, frame) -> None:
        with self._lock:
            if self._latest is not None:
                self.dropped += 1
            self._latest = frame
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(0.2)
            self._wake.clear()
            with self._lock:
                frame, self._latest = self._latest, None
            if frame is None:
                continue
            t0 = time.perf_counter()
            try:
                faces = self.recognizer.process(frame)
            except Exception as exc:  # noqa: BLE001 - a bad frame must not stop the live view
                self.failed.emit(f"Recognition failed on a frame: {exc}")
                continue
            self.processed += 1
            self.faces.emit(frame, faces, time.perf_counter() - t0)
