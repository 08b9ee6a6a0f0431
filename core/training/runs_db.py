"""The workbench's history: every training run, evaluation and benchmark, in ``<data dir>/runs.db``.

SQLAlchemy over SQLite (WAL, versioned schema, migrations as in the gallery). A run's
files live in its folder under ``<data dir>/runs/``; the database records what it was,
its status and its headline results, so the GUI never holds history only in the window.
Training runs found in the runs folder that the database does not know are added by
:meth:`RunsDB.scan`.
"""

from __future__ import annotations

import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import JSON, DateTime, Integer, String, Text, create_engine, event, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker

from core.errors import UsageError
from core.paths import data_dir

SCHEMA_VERSION = 1
KINDS = ("train", "eval", "bench", "finetune")
STATUSES = ("running", "done", "failed", "cancelled")


def runs_dir() -> Path:
    return data_dir() / "runs"


class _Base(DeclarativeBase):
    pass


class RunRow(_Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="running")
    path: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=lambda: datetime.now(timezone.utc))
    finished: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    config: Mapped[dict] = mapped_column(JSON, default=dict)     # what was asked (training config, eval source, ...)
    summary: Mapped[dict] = mapped_column(JSON, default=dict)    # headline results (best accuracy, images/s, ...)
    machine: Mapped[dict] = mapped_column(JSON, default=dict)


class _Meta(_Base):
    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def _pragmas(conn, _record):
    cur = conn.cursor()
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


class RunsDB:
    def __init__(self, path: Path | None = None):
        self.path = Path(path or data_dir() / "runs.db")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(f"sqlite:///{self.path}", connect_args={"check_same_thread": False})
        event.listen(self.engine, "connect", _pragmas)
        _Base.metadata.create_all(self.engine)
        self.Session = sessionmaker(self.engine, expire_on_commit=False)
        with self.Session.begin() as s:
            row = s.get(_Meta, "schema_version")
            if row is None:
                s.add(_Meta(key="schema_version", value=str(SCHEMA_VERSION)))
            elif int(row.value) > SCHEMA_VERSION:
                raise UsageError(f"{self.path} was written by a newer facerec; please upgrade.")

    def close(self) -> None:
        self.engine.dispose()

    @staticmethod
    def _json(r: RunRow) -> dict:
        return {"id": r.id, "kind": r.kind, "name": r.name, "status": r.status, "path": r.path,
                "created": r.created.isoformat() if r.created else None,
                "finished": r.finished.isoformat() if r.finished else None,
                "config": r.config or {}, "summary": r.summary or {}, "machine": r.machine or {}}

    def add(self, kind: str, name: str, path: str = "", config: dict | None = None, status: str = "running") -> int:
        if kind not in KINDS or status not in STATUSES:
            raise UsageError(f"A run is one of {', '.join(KINDS)} with a status among {', '.join(STATUSES)}.")
        with self.Session.begin() as s:
            row = RunRow(kind=kind, name=name, path=str(path), config=config or {}, status=status)
            s.add(row)
            s.flush()
            return row.id

    def finish(self, run_id: int, status: str, summary: dict | None = None, machine: dict | None = None) -> None:
        if status not in STATUSES:
            raise UsageError(f"Unknown run status {status!r}.")
        with self.Session.begin() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                return
            row.status = status
            row.finished = datetime.now(timezone.utc) if status != "running" else None
            if summary is not None:
                row.summary = summary
            if machine is not None:
                row.machine = machine

    def set_path(self, run_id: int, path: str) -> None:
        with self.Session.begin() as s:
            row = s.get(RunRow, run_id)
            if row is not None:
                row.path = str(path)

    def get(self, run_id: int) -> dict | None:
        with self.Session() as s:
            row = s.get(RunRow, run_id)
            return self._json(row) if row else None

    def list(self, kinds: tuple[str, ...] | None = None) -> list[dict]:
        with self.Session() as s:
            q = select(RunRow).order_by(RunRow.created.desc(), RunRow.id.desc())
            if kinds:
                q = q.where(RunRow.kind.in_(kinds))
            return [self._json(r) for r in s.scalars(q)]

    def rename(self, run_id: int, name: str) -> None:
        name = name.strip()
        if not name:
            raise UsageError("A run needs a name.")
        with self.Session.begin() as s:
            row = s.get(RunRow, run_id)
            if row is not None:
                row.name = name

    def delete(self, run_id: int, remove_files: bool = True) -> None:
        """Forget a run; its folder is removed too when it lies under the runs folder."""
        with self.Session.begin() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                return
            path = Path(row.path) if row.path else None
            s.delete(row)
        if remove_files and path is not None and path.exists() and runs_dir() in path.resolve().parents:
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    def scan(self, folder: Path | None = None) -> int:
        """Add training runs found under ``folder`` (default: the runs folder) that are not recorded yet."""
        from core.training.runs_summary import summarize_run

        folder = Path(folder or runs_dir())
        if not folder.is_dir():
            return 0
        known = {r["path"] for r in self.list()}
        added = 0
        for cfg in sorted(folder.glob("*/config.json")):
            run = cfg.parent
            if str(run) in known:
                continue
            info = summarize_run(run)
            rid = self.add("train", run.name, str(run), info["config"], status="running")
            self.finish(rid, info["status"], info["summary"])
            added += 1
        return added


def new_run_folder(kind: str, name: str = "") -> Path:
    """A fresh folder under the runs folder: ``<kind>-<YYYYmmdd-HHMMSS>[-name]``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40]
    path = runs_dir() / (f"{kind}-{stamp}" + (f"-{safe}" if safe else ""))
    n = 1
    base = path
    while path.exists():
        n += 1
        path = base.with_name(f"{base.name}-{n}")
    path.mkdir(parents=True)
    return path


def summarize_result(kind: str, run_dir: Path, doc: dict) -> dict:
    """The headline of a finished job for the runs table, from its JSON result (or its events)."""
    if kind == "train":
        from core.training.runs_summary import summarize_run

        return summarize_run(run_dir)["summary"]
    if kind == "bench":
        return doc["headline"]  # each benchmark names its own headline figure (core.bench.inference.headline)
    if kind == "finetune":
        return {k: doc.get(k) for k in ("model", "init", "before", "after", "licence")}
    first = doc["results"][0] if "results" in doc else doc
    return {k: first.get(k) for k in ("accuracy", "std", "tar_at_far", "rank1", "dir", "fpir", "model")}


def read_result(run: dict) -> dict:
    """A run's saved JSON result (``result.json`` in its folder), or {}."""
    import json

    p = Path(run["path"]) / "result.json" if run.get("path") else None
    try:
        return json.loads(p.read_text()) if p is not None else {}
    except (OSError, ValueError):
        return {}
