"""The Training tab as a workbench: runs, live curves, evaluations, benchmarks and fine-tuning.

Every job is its ``facerec`` CLI twin in its own process (:class:`app.workers.ProcessJob`), recorded in the
runs database (:mod:`core.training.runs_db`) when it starts and when it ends; training curves follow the run's typed
events (:mod:`core.training.events`) while it runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.workbench.actions import ACTIONS, RUN_ACTIONS, build_actions, enabled_states
from app.workbench.bench_view import BenchView
from app.workbench.job_dialogs import BenchmarkDialog, EvaluateDialog, FinetuneDialog, NewTrainingDialog
from app.workbench.plots import CurvesWidget
from app.workbench.result_card import ResultCard
from app.workbench.runs_table import RunsModel
from app.workers import ProcessJob
from core.training import EventFollower, RunsDB, new_run_folder, read_events, read_result, summarize_result


class Workbench(QWidget):
    useModel = Signal(str)          # a model to switch the app to (export-and-use, a fine-tune, a rollback)
    message = Signal(str)

    def __init__(self, jobs, db: RunsDB | None = None, parent=None):
        super().__init__(parent)
        self.jobs, self.db = jobs, db or RunsDB()
        self.db.scan()
        self.active: dict[int, ProcessJob] = {}
        self.followers: dict[int, EventFollower] = {}
        self.gallery_dir, self.current_model = "", ""
        lay = QVBoxLayout(self)
        self.dialog: QDialog | None = None   # the job dialog on screen, if any
        self.toolbar, self.act, self.buttons = build_actions(self, {s[0]: getattr(self, s[0]) for s in ACTIONS if s})
        lay.addWidget(self.toolbar)
        split = QSplitter()
        self.model = RunsModel(self.db, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        head = self.table.horizontalHeader()   # every column fits a 1024 px window: long cells are elided (tooltip)
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setMaximumSectionSize(150)
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self.show_selected())
        self.model.modelReset.connect(self.update_actions)  # a reset clears the selection without a signal
        self.table.addActions([self.act[name] for name in RUN_ACTIONS])  # right-click menu; F2, Delete
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        split.addWidget(self.table)
        self.details = QTabWidget()
        self.curves = CurvesWidget()
        self.card = ResultCard()
        self.bench = BenchView()
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(5000)
        for w, name in ((self.curves, "Curves"), (self.card, "Results"), (self.bench, "Benchmarks"), (self.log, "Log")):
            self.details.addTab(w, name)
        split.addWidget(self.details)
        split.setSizes([520, 700])
        lay.addWidget(split, 1)
        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.status = QLabel("Runs, evaluations and benchmarks you start here are kept in the runs database.")
        self.status.setWordWrap(True)  # a long message wraps: it never widens the window, nor is cut
        row.addWidget(self.status, 1)
        row.addWidget(self.progress)
        lay.addLayout(row)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._poll)
        self.timer.start(500)  # curves update twice a second while a job runs
        self.refresh_benchmarks()
        self.update_actions()

    def button(self, name: str) -> QToolButton:
        """The button of an action (``new_training``, ``resume``, ... as in :data:`ACTIONS`)."""
        return self.buttons[name]

    def update_actions(self) -> None:
        """Enable each action only when the selection allows it (Resume, Rename, ... need a run selected)."""
        for name, on in enabled_states(self.selected(), set(self.active)).items():
            self.act[name].setEnabled(on)

    # ------------------------------------------------------------ context from the window

    def set_context(self, gallery_dir: str, model: str) -> None:
        self.gallery_dir, self.current_model = gallery_dir, model

    @staticmethod
    def _models() -> list[str]:
        from core.zoo import is_ready, list_models

        return [s.name for s in list_models() if is_ready(s)]

    @staticmethod
    def _trainable() -> list[str]:
        from core.training import trainable_backbone
        from core.zoo import is_ready, list_models

        return [s.name for s in list_models() if trainable_backbone(s) is not None and is_ready(s)]

    def selected(self) -> list[dict]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.run(r) for r in rows]

    def _one(self, kinds: tuple[str, ...] = ()) -> dict | None:
        runs = self.selected()
        if len(runs) != 1 or (kinds and runs[0]["kind"] not in kinds):
            self.status.setText(f"Select one {' or '.join(kinds) or ''} run first.".replace("  ", " "))
            return None
        return runs[0]

    # ------------------------------------------------------------ starting jobs

    def start(self, kind: str, name: str, args: list[str], config: dict, run_dir: Path,
              events: Path | None = None, cancel_file: Path | None = None) -> int:
        rid = self.db.add(kind, name, str(run_dir), config)
        job = ProcessJob(args, cancel_file=cancel_file, parent=self)
        job.output.connect(lambda text, r=rid: self.log.appendPlainText(f"[{r}] {text}"))
        job.done.connect(lambda code, doc, r=rid, k=kind, d=run_dir: self._finished(r, k, d, code, doc))
        self.active[rid] = job
        if events is not None:
            self.followers[rid] = EventFollower(events)
            self.curves.add_run(rid, name)
        job.start(self.jobs)
        self.model.refresh()
        self.select(rid)
        self.status.setText(f"{kind} '{name}' started.")
        self.progress.setRange(0, 0)
        return rid

    def select(self, run_id: int) -> None:
        row = self.model.row_of(run_id)
        if row >= 0:
            self.table.selectRow(row)

    def open_dialog(self, dlg: QDialog, start: Callable[[QDialog], object]) -> QDialog:
        """Show a job's dialog without blocking the window; its OK button starts the job with ``start(dlg)``."""
        if self.dialog is not None:
            self.dialog.reject()
        self.dialog = dlg
        dlg.accepted.connect(lambda: start(dlg))
        dlg.finished.connect(lambda *_: self._dialog_closed(dlg))
        dlg.open()
        return dlg

    def _dialog_closed(self, dlg: QDialog) -> None:
        if self.dialog is dlg:
            self.dialog = None
        dlg.deleteLater()

    def new_training(self, dlg: NewTrainingDialog | None = None) -> int | None:
        """Start a training run from a filled-in dialog; without one, open the dialog (its OK starts the run)."""
        if dlg is None:
            self.open_dialog(NewTrainingDialog(self._trainable(), self), self.new_training)
            return None
        if dlg.problem() is None:
            name = dlg.name.text().strip() or "training"
            run = new_run_folder("train", name)
            args, config = dlg.command(run)
            return self.start("train", name, args, config, run, run / "events.jsonl", run / "CANCEL")
        return None

    def resume(self) -> None:
        run = self._one(("train",))
        if run is None:
            return
        if run["id"] in self.active:
            self.status.setText("That run is running already.")
            return
        cfg = json.loads((Path(run["path"]) / "config.json").read_text())
        args = ["train", "--data", cfg["data"], "--out", run["path"], "--resume", "--backbone", cfg["backbone"],
                "--head", cfg["head"], "--steps", str(cfg["steps"]), "--batch-size", str(cfg["batch_size"]),
                "--lr", *map(str, cfg["lr"]), "--input-size", str(cfg["input_size"]),
                "--embedding-size", str(cfg["embedding_size"]), *(["--val-bin", *cfg["val_bins"]] if cfg["val_bins"] else [])]
        self.db.delete(run["id"], remove_files=False)
        path = Path(run["path"])
        self.start("train", run["name"], args, run["config"], path, path / "events.jsonl", path / "CANCEL")

    def evaluate(self, dlg: EvaluateDialog | None = None) -> int | None:
        """Start an evaluation from a filled-in dialog; without one, open the dialog (the selected training
        run's checkpoint is offered first)."""
        if dlg is None:
            sel = self.selected()
            ckpt = sel[0]["path"] if len(sel) == 1 and sel[0]["kind"] == "train" else ""
            self.open_dialog(EvaluateDialog(self._models(), self.current_model, ckpt, self), self.evaluate)
            return None
        run = new_run_folder("eval")
        args, config = dlg.command(run)
        return self.start("eval", f"{config['model'].split('/')[-1]} on {config['benchmark']}", args, config, run)

    def benchmark_dialog(self) -> BenchmarkDialog:
        return BenchmarkDialog.for_app(self._models(), self.current_model, self)

    def benchmark(self, dlg: BenchmarkDialog | None = None) -> int | None:
        """Start a benchmark from a filled-in dialog; without one, open the dialog."""
        if dlg is None:
            self.open_dialog(self.benchmark_dialog(), self.benchmark)
            return None
        run = new_run_folder("bench")
        args, config = dlg.command(run)
        return self.start("bench", f"{config['benchmark']} {config.get('model', config.get('detector', ''))}".strip(),
                          args, config, run)

    def finetune_dialog(self) -> FinetuneDialog:
        return FinetuneDialog.for_app(self._trainable(), self.gallery_dir, self)

    def finetune(self, dlg: FinetuneDialog | None = None) -> int | None:
        """Start a fine-tune from a filled-in dialog; without one, open the dialog."""
        if dlg is None:
            self.open_dialog(self.finetune_dialog(), self.finetune)
            return None
        args, config = dlg.command(Path())
        return self.start("finetune", dlg.name.text().strip() or f"{config['init']} fine-tune", args, config, Path(""))

    # ------------------------------------------------------------ running jobs

    def _poll(self) -> None:
        for rid, follower in list(self.followers.items()):
            events = follower.poll()
            if events:
                self.curves.add_events(rid, events)
                steps = [e for e in events if e.kind == "step"]
                if steps:
                    self.status.setText(steps[-1].describe())
                for e in events:
                    if e.kind != "step":
                        self.log.appendPlainText(f"[{rid}] {e.describe()}")

    def _finished(self, rid: int, kind: str, run_dir: Path, code: int, doc: dict) -> None:
        self._poll()
        self.active.pop(rid, None)
        self.followers.pop(rid, None)
        if "error" in doc:
            status, summary = "failed", {"error": doc["error"]["message"]}
            self.log.appendPlainText(f"[{rid}] failed: {doc['error']['message']}")
        elif doc.get("cancelled") or code == 130:
            status, summary = "cancelled", {}
        else:
            status, summary = "done", {}
        if kind == "finetune" and doc.get("run"):
            run_dir = Path(doc["run"])
            self.db.set_path(rid, str(run_dir))
        if status != "failed":
            summary = summarize_result(kind, run_dir, doc)
            if kind != "train" and str(run_dir) not in ("", "."):
                (run_dir / "result.json").write_text(json.dumps(doc, indent=1))
        self.db.finish(rid, status, summary, doc.get("machine"))
        self.model.refresh()
        self.refresh_benchmarks()
        self.select(rid)
        if not self.active:
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
        self.status.setText(f"{kind} {status}.")
        self.message.emit(f"{kind} {status}.")

    def cancel(self) -> None:
        runs = [r for r in self.selected() if r["id"] in self.active] or \
            [self.db.get(rid) for rid in list(self.active)][:1]
        if not runs:
            self.status.setText("No job of the selection is running.")
            return
        for r in runs:
            self.active[r["id"]].cancel()
        self.status.setText("Cancelling (a training run saves a checkpoint first) ...")

    # ------------------------------------------------------------ showing runs

    def show_selected(self) -> None:
        runs = self.selected()
        self.update_actions()
        trains = [r for r in runs if r["kind"] == "train"]
        if trains:
            self.curves.clear()
            for r in trains:
                self.curves.add_run(r["id"], r["name"])
                self.curves.add_events(r["id"], read_events(Path(r["path"])))
                if r["id"] in self.active and r["id"] in self.followers:
                    self.followers[r["id"]] = EventFollower(Path(r["path"]) / "events.jsonl", from_end=True)
            if self.curves.hinting():  # nothing to draw yet: say why, instead of empty axes
                waiting = ", ".join(r["name"] for r in trains if r["id"] in self.active)
                self.curves.show_hint(f"Waiting for the first training steps of {waiting} ..." if waiting
                                      else "No training steps recorded for the selected runs.")
            self.details.setCurrentWidget(self.curves)
        cards = [r for r in runs if r["kind"] in ("eval", "finetune")]
        if cards:
            self.card.show_runs(cards, {r['id']: read_result(r) for r in cards})
            self.details.setCurrentWidget(self.card)
        if any(r["kind"] == "bench" for r in runs):
            self.refresh_benchmarks([r for r in runs if r["kind"] == "bench"])
            self.details.setCurrentIndex(2)

    def refresh_benchmarks(self, chosen: list[dict] | None = None) -> None:
        self.bench.show_runs(self.db.list(("bench",)), chosen)

    # ------------------------------------------------------------ managing runs

    def rename(self) -> None:
        run = self._one()
        if run is None:
            return
        name, ok = QInputDialog.getText(self, "Rename run", "New name:", text=run["name"])
        if ok and name.strip():
            self.db.rename(run["id"], name)
            self.model.refresh()
            self.select(run["id"])

    def delete(self) -> None:
        runs = self.selected()
        if not runs or any(r["id"] in self.active for r in runs):
            self.status.setText("Select finished runs to delete (cancel running ones first).")
            return
        text = f"Delete {len(runs)} run(s) and their folders? This cannot be undone."
        if QMessageBox.question(self, "Delete runs", text) != QMessageBox.StandardButton.Yes:
            return
        for r in runs:
            self.db.delete(r["id"])
        self.model.refresh()

    def open_folder(self) -> None:
        run = self._one()
        if run and run["path"]:
            QDesktopServices.openUrl(QUrl.fromLocalFile(run["path"]))

    def export_use(self) -> None:
        run = self._one(("train",))
        if run is None:
            return
        name = "".join(c if c.isalnum() or c in "-_." else "-" for c in run["name"])[:60] or "trained"
        target = Path(run["path"]) / "export_savedmodel"

        def exported(code, doc):
            if code == 0 and "error" not in doc:
                job = ProcessJob(["models", "add", name, doc["exported"]], parent=self)
                job.done.connect(lambda c, d: self.useModel.emit(name) if c == 0 else
                                 self.status.setText(d.get("error", {}).get("message", "Could not register the model.")))
                job.start(self.jobs)
            else:
                self.status.setText(doc.get("error", {}).get("message", "Export failed."))

        job = ProcessJob(["export", "--checkpoint", run["path"], "--out", str(target), "--format", "savedmodel"],
                         parent=self)
        job.done.connect(exported)
        job.start(self.jobs)
        self.status.setText(f"Exporting {run['name']} as model '{name}' ...")

    def use_selected_model(self) -> None:
        """Switch to a fine-tuned model, or back to the model it started from (rollback)."""
        run = self._one(("finetune",))
        if run is None:
            return
        s = run["summary"]
        choices = [m for m in (s.get("model"), s.get("init")) if m]
        if not choices:
            return
        m, ok = QInputDialog.getItem(self, "Use a model", "Switch the app to:", choices, 0, False)
        if ok and m:
            self.useModel.emit(m)
