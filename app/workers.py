"""Background work: nothing slow runs on the GUI thread.

- :class:`Job` (QRunnable): any core function taking ``progress`` and ``cancel``;
  signals started / progress / result / error(exception) / finished.
- :class:`JobRegistry`: keeps live jobs (thread-pool jobs and child processes) alive,
  and on close asks all of them to stop and waits, with a timeout.
- :class:`CaptureThread`: reads frames from a source at its pace and emits each one.
- :class:`RecognitionThread`: keeps only the newest submitted frame (older ones are
  dropped, never queued), recognises it and emits the faces.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QRunnable, QThread, QThreadPool, Signal
from shiboken6 import isValid

# where the app's packages are (the repository, or site-packages when installed): the working directory of its
# child processes, so `python -m core.cli` finds the very packages this window runs
ROOT = Path(__file__).resolve().parents[1]


class JobSignals(QObject):
    started = Signal()
    progress = Signal(int, int, str)
    result = Signal(object)
    error = Signal(object)     # the exception itself; word it with core.errors.describe
    finished = Signal()


class Job(QRunnable):
    """Run ``fn(progress=..., cancel=...)`` (or ``fn()`` when ``plain``) on the thread pool."""

    def __init__(self, fn: Callable, plain: bool = False, name: str = ""):
        super().__init__()
        self.fn, self.plain, self.name = fn, plain, name
        self.signals = JobSignals()
        self._cancel = threading.Event()
        self.done = threading.Event()
        self.setAutoDelete(False)

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

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
            s.error.emit(exc)
        finally:
            self.done.set()
            s.finished.emit()



def while_alive(owner: QObject, fn: Callable) -> Callable:
    """``fn`` for a job's signal, called only while ``owner`` exists: a job's result can arrive after the
    window or panel that started it was closed (its queued signal outlives the widgets)."""
    def call(*args):
        if isValid(owner):
            return fn(*args)
        return None
    return call

class JobRegistry(QObject):
    """The one list of running background work; ``shutdown`` cancels every job and waits for it."""

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.jobs: list[Job] = []
        self.processes: list = []  # QProcess-like objects with cancel() and wait(ms)

    def start(self, job: Job) -> Job:
        self.jobs.append(job)
        job.signals.finished.connect(while_alive(self, lambda: self._forget(job)))
        QThreadPool.globalInstance().start(job)
        self.changed.emit()
        return job

    def _forget(self, job: Job) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
            self.changed.emit()

    def add_process(self, proc) -> None:
        self.processes.append(proc)

    def remove_process(self, proc) -> None:
        if proc in self.processes:
            self.processes.remove(proc)

    def running(self) -> int:
        return len(self.jobs) + len(self.processes)

    def stop_jobs(self, timeout_s: float = 10.0) -> bool:
        """Ask every thread job to stop and wait for it (child processes, such as a training run, go on): what
        reads or writes a store is over before the store is closed. True when all ended in time."""
        for job in list(self.jobs):
            job.cancel()
        deadline = time.monotonic() + timeout_s
        ok = True
        for job in list(self.jobs):
            ok &= job.done.wait(max(0.0, deadline - time.monotonic()))
        return ok

    def shutdown(self, timeout_s: float = 10.0) -> bool:
        """Ask every job and child process to stop, then wait; True when all ended in time."""
        for proc in list(self.processes):
            proc.cancel()
        deadline = time.monotonic() + timeout_s
        ok = self.stop_jobs(timeout_s)
        for proc in list(self.processes):
            ok &= bool(proc.wait(int(max(0.0, deadline - time.monotonic()) * 1000)))
        QThreadPool.globalInstance().waitForDone(int(max(0.0, deadline - time.monotonic()) * 1000))
        self.jobs = [j for j in self.jobs if not j.done.is_set()]  # their finished signals may not be delivered now
        self.processes = [p for p in self.processes if p.running()]
        return ok


class ProcessJob(QObject):
    """A ``facerec`` command in its own process (``python -m core.cli ARGS --json``), so a crash in it never takes
    the window down. ``output(str)`` carries its stderr; ``done(exit code, JSON document)`` its result.
    ``cancel`` writes ``cancel_file`` when given (the trainer stops after a checkpoint), else terminates."""

    output = Signal(str)
    done = Signal(int, object)

    def __init__(self, args: list[str], cancel_file: Path | None = None, parent=None):
        super().__init__(parent)
        self.args, self.cancel_file = [*args, "--json"] if "--json" not in args else list(args), cancel_file
        self.proc = QProcess(self)
        self.proc.setWorkingDirectory(str(ROOT))
        self.proc.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        self.proc.readyReadStandardError.connect(self._stderr)
        self.proc.finished.connect(self._finished)
        self.cancelled = False

    def start(self, registry: JobRegistry | None = None) -> ProcessJob:
        if registry is not None:
            registry.add_process(self)
            self.done.connect(lambda *_: registry.remove_process(self))
        self.proc.start(sys.executable, ["-m", "core.cli", *self.args])
        return self

    def running(self) -> bool:
        return self.proc.state() != QProcess.ProcessState.NotRunning

    def _stderr(self) -> None:
        text = bytes(self.proc.readAllStandardError()).decode(errors="replace").rstrip()
        if text:
            self.output.emit(text)

    def _finished(self, code: int, _status) -> None:
        self._stderr()
        out = bytes(self.proc.readAllStandardOutput()).decode(errors="replace")
        try:
            doc = json.loads(out) if out.strip() else {}
        except ValueError:
            doc = {"error": {"kind": "internal", "message": out.strip()[-300:] or f"exit code {code}"}}
        self.done.emit(int(code), doc)

    def cancel(self) -> None:
        self.cancelled = True
        if self.cancel_file is not None:
            Path(self.cancel_file).parent.mkdir(parents=True, exist_ok=True)
            Path(self.cancel_file).touch()
        elif self.running():
            self.proc.terminate()

    def wait(self, ms: int) -> bool:
        if not self.running():
            return True
        if self.proc.waitForFinished(max(1, ms)):
            return True
        self.proc.kill()
        return self.proc.waitForFinished(2000)


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
                from core.errors import describe

                self.failed.emit(f"Recognition failed on a frame: {describe(exc)}")
                continue
            self.processed += 1
            self.faces.emit(frame, faces, time.perf_counter() - t0)
