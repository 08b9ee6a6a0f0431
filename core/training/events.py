"""The contract between a training (or evaluation, or benchmark) job and its readers: typed events in
``events.jsonl``, one JSON object a line, appended and flushed per event.

The trainer writes them (:class:`EventLog`); the CLI, the GUI's workbench and the
runs database read them (:func:`read_events`, :class:`EventFollower`). Every event
has ``event`` (one of :data:`KINDS`) and ``time`` (Unix seconds).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

KINDS = ("start", "resume", "step", "checkpoint", "eval", "cancelled", "done", "error")
FILE = "events.jsonl"


@dataclass
class Event:
    """One line of ``events.jsonl``. ``data`` holds the kind's fields:

    - start: step, steps, classes, images, backbone, head, batch_size, xla, mixed_precision, replicas
    - step: step, loss, accuracy, lr, images_per_s
    - checkpoint: step, path; eval: step, bin, accuracy, std, tar_at_far, pairs
    - cancelled / done: step, checkpoint; error: message
    """

    kind: str
    time: float
    data: dict = field(default_factory=dict)

    @property
    def step(self) -> int | None:
        v = self.data.get("step")
        return int(v) if isinstance(v, (int, float)) else None

    def get(self, key: str, default=None):
        return self.data.get(key, default)

    def to_json(self) -> dict:
        return {"event": self.kind, "time": self.time, **self.data}

    @classmethod
    def from_json(cls, doc: dict) -> Event | None:
        if not isinstance(doc, dict) or doc.get("event") not in KINDS:
            return None
        data = {k: v for k, v in doc.items() if k not in ("event", "time")}
        return cls(doc["event"], float(doc.get("time", 0.0)), data)

    def describe(self) -> str:
        """One line a person reads (the workbench's log)."""
        d = self.data
        if self.kind == "step":
            return (f"step {d.get('step')}: loss {d.get('loss', 0):.4f}, accuracy {d.get('accuracy', 0):.3f}, "
                    f"lr {d.get('lr', 0):.3g}, {d.get('images_per_s', 0):.0f} images/s")
        if self.kind == "start":
            return (f"started: {d.get('backbone')} + {d.get('head')}, {d.get('classes')} classes, "
                    f"{d.get('images')} images, batch {d.get('batch_size')}, to step {d.get('steps')}")
        if self.kind == "resume":
            return f"resumed at step {d.get('step')}"
        if self.kind == "checkpoint":
            return f"checkpoint saved at step {d.get('step')}"
        if self.kind == "eval":
            return (f"step {d.get('step')}: {Path(str(d.get('bin', ''))).name} accuracy {d.get('accuracy', 0):.4f} "
                    f"+- {d.get('std', 0):.4f}")
        if self.kind == "cancelled":
            return f"cancelled at step {d.get('step')}; checkpoint saved"
        if self.kind == "done":
            return f"finished at step {d.get('step')}"
        return f"failed: {d.get('message', '')}"


class EventLog:
    """Append-only writer, flushed per event so a reader sees progress at once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._f = open(self.path, "a", encoding="utf-8")

    def write(self, kind: str, **data) -> dict:
        assert kind in KINDS, kind
        rec = {"event": kind, "time": round(time.time(), 3), **data}
        self._f.write(json.dumps(rec) + "\n")
        self._f.flush()
        return rec

    def close(self) -> None:
        self._f.close()


def _parse(lines: list[bytes]) -> list[Event]:
    out = []
    for line in lines:
        try:
            ev = Event.from_json(json.loads(line))
        except ValueError:
            continue
        if ev is not None:
            out.append(ev)
    return out


def read_events(run_dir: Path) -> list[Event]:
    """All complete events of a run (a half-written last line is ignored)."""
    try:
        data = (Path(run_dir) / FILE).read_bytes()
    except OSError:
        return []
    lines = data.split(b"\n")
    return _parse(lines[:-1] if not data.endswith(b"\n") else lines)


class EventFollower:
    """Reads the complete new lines of a growing ``events.jsonl``."""

    def __init__(self, path: Path, from_end: bool = False):
        self.path, self.buf = Path(path), b""
        self.offset = self.path.stat().st_size if from_end and self.path.exists() else 0

    def poll(self) -> list[Event]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return []
        self.offset += len(data)
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        return _parse(lines)
