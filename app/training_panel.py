"""Training and evaluation panel: jobs run in their own process; the panel only reads their events.

Training is ``python -m core.training ...`` under a QProcess; progress comes from the
run's ``events.jsonl`` (read every half second), so a crashing job never takes the
window down. Cancel writes the run's CANCEL file (the trainer saves a checkpoint and
stops). Evaluation and export use the ``facerec`` CLI the same way.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QProcess, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

ROOT = Path(__file__).resolve().parents[1]


class EventFollower:
    """Reads complete new lines of an events.jsonl as it grows."""

    def __init__(self, path: Path):
        self.path, self.offset, self.buf = Path(path), 0, b""

    def poll(self) -> list[dict]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except OSError:
            return []
        self.offset += len(data)
        self.buf += data
        *lines, self.buf = self.buf.split(b"\n")
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
        return out


def _path_row(edit: QLineEdit, folder: bool = True) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    b = QPushButton("Browse ...")

    def pick():
        p = QFileDialog.getExistingDirectory(w) if folder else QFileDialog.getOpenFileNames(w)[0]
        if p:
            edit.setText(p if folder else " ".join(p))

    b.clicked.connect(pick)
    lay.addWidget(edit, 1)
    lay.addWidget(b)
    return w


class TrainingPanel(QWidget):
    useModel = Signal(str)  # emitted with a registered model name after "Export and use"

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.data = QLineEdit(placeholderText="folder of TFRecords (facerec convert-rec / convert-folder)")
        form.addRow("Training data", _path_row(self.data))
        self.out = QLineEdit(placeholderText="run folder for checkpoints and events")
        form.addRow("Run folder", _path_row(self.out))
        self.backbone = QComboBox()
        self.backbone.addItems(["mobilefacenet", "r18", "r34", "r50", "r100"])
        self.head = QComboBox()
        self.head.addItems(["arcface", "cosface", "softmax"])
        self.steps = QSpinBox()
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(1000)
        self.batch = QSpinBox()
        self.batch.setRange(1, 4096)
        self.batch.setValue(64)
        self.lr = QLineEdit("0.1 0.01 0.001")
        row = QHBoxLayout()
        for label, w in (("backbone", self.backbone), ("head", self.head), ("steps", self.steps),
                         ("batch", self.batch), ("lr", self.lr)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        wrap = QWidget()
        wrap.setLayout(row)
        form.addRow("Model", wrap)
        self.bins = QLineEdit(placeholderText="lfw.bin cfp_fp.bin agedb_30.bin ...")
        form.addRow("Verification .bin files", _path_row(self.bins, folder=False))
        lay.addLayout(form)
        buttons = QHBoxLayout()
        self.btn = {}
        for label, slot in (("Start", lambda: self.start(False)), ("Resume", lambda: self.start(True)),
                            ("Cancel", self.cancel), ("Evaluate", self.evaluate), ("Export and use", self.export_use)):
            b = QPushButton(label)
            b.clicked.connect(slot)
            buttons.addWidget(b)
            self.btn[label] = b
        buttons.addStretch(1)
        lay.addLayout(buttons)
        self.progress = QProgressBar()
        lay.addWidget(self.progress)
        self.status = QLabel("No job running.")
        lay.addWidget(self.status)
        self.log = QPlainTextEdit(readOnly=True)
        self.log.setMaximumBlockCount(5000)
        lay.addWidget(self.log, 1)
        self.proc: QProcess | None = None
        self.follower: EventFollower | None = None
        self.events: list[dict] = []
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._poll)
        self._set_running(False)

    # ------------------------------------------------------------ jobs

    def _set_running(self, running: bool) -> None:
        for k in ("Start", "Resume", "Evaluate", "Export and use"):
            self.btn[k].setEnabled(not running)
        self.btn["Cancel"].setEnabled(running)

    def _run(self, args: list[str], on_done) -> None:
        self.proc = QProcess(self)
        self.proc.setWorkingDirectory(str(ROOT))
        self.proc.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        self.proc.readyReadStandardError.connect(
            lambda: self.log.appendPlainText(bytes(self.proc.readAllStandardError()).decode(errors="replace").rstrip()))
        self.proc.finished.connect(lambda code, _s: self._finished(code, on_done))
        self._set_running(True)
        self.proc.start(sys.executable, args)

    def _finished(self, code: int, on_done) -> None:
        self._poll()
        out = bytes(self.proc.readAllStandardOutput()).decode(errors="replace")
        self.timer.stop()
        self._set_running(False)
        try:
            doc = json.loads(out) if out.strip() else {}
        except ValueError:
            doc = {}
        if "error" in doc:
            self.status.setText(f"Failed: {doc['error']['message']}")
        else:
            on_done(code, doc)

    def start(self, resume: bool) -> None:
        if not self.data.text() or not self.out.text():
            self.status.setText("Choose the training data and a run folder first.")
            return
        args = ["-m", "core.training", "--data", self.data.text(), "--out", self.out.text(),
                "--backbone", self.backbone.currentText(), "--head", self.head.currentText(),
                "--steps", str(self.steps.value()), "--batch-size", str(self.batch.value()), "--json"]
        if self.lr.text().split():
            args += ["--lr", *self.lr.text().split()]
        if self.bins.text().split():
            args += ["--val-bin", *self.bins.text().split()]
        if resume:
            args.append("--resume")
        Path(self.out.text()).mkdir(parents=True, exist_ok=True)
        events = Path(self.out.text()) / "events.jsonl"
        self.follower = EventFollower(events)
        self.follower.offset = events.stat().st_size if events.exists() else 0
        self.events = []
        self.progress.setRange(0, self.steps.value())
        self.progress.setValue(0)
        self.status.setText("Starting the training process ...")
        self._run(args, self._train_done)
        self.timer.start(500)

    def _train_done(self, code: int, doc: dict) -> None:
        if doc.get("cancelled"):
            self.status.setText(f"Cancelled at step {doc.get('steps')}; checkpoint saved. Resume continues from it.")
        elif code == 0:
            self.status.setText(f"Done: {doc.get('steps')} steps; checkpoint {doc.get('checkpoint')}.")
        else:
            self.status.setText(f"The training process exited with code {code}; see the log.")

    def cancel(self) -> None:
        if self.out.text():
            (Path(self.out.text()) / "CANCEL").touch()
            self.status.setText("Cancelling after the current step (a checkpoint is saved) ...")

    def _poll(self) -> None:
        if self.follower is None:
            return
        for ev in self.follower.poll():
            self.events.append(ev)
            kind = ev.get("event")
            if kind == "step":
                self.progress.setValue(int(ev["step"]))
                self.status.setText(f"step {ev['step']}  loss {ev['loss']:.4f}  accuracy {ev['accuracy']:.3f}  "
                                    f"lr {ev['lr']:.3g}  {ev['images_per_s']:.0f} images/s")
            elif kind == "eval":
                self.log.appendPlainText(f"step {ev['step']}: {Path(ev['bin']).name} accuracy "
                                         f"{ev['accuracy']:.4f} +- {ev['std']:.4f}")
            elif kind in ("start", "resume", "checkpoint", "cancelled", "done", "error"):
                self.log.appendPlainText(json.dumps({k: v for k, v in ev.items() if k != "time"}))

    def evaluate(self) -> None:
        bins = self.bins.text().split()
        if not bins or not self.out.text():
            self.status.setText("Choose a run folder and .bin files to evaluate.")
            return
        self.status.setText("Evaluating ...")
        self._run(["main.py", "eval", "--checkpoint", self.out.text(), "--bin", *bins,
                   "--roc-dir", str(Path(self.out.text()) / "roc"), "--json"], self._eval_done)

    def _eval_done(self, _code: int, doc: dict) -> None:
        rows = doc.get("results", [doc] if doc else [])
        for r in rows:
            tars = ", ".join(f"{k}: {'n/a (too few pairs)' if v is None else f'{v:.4f}'}"
                             for k, v in r["tar_at_far"].items())
            self.log.appendPlainText(f"{Path(r['bin']).name}: accuracy {r['accuracy']:.4f} +- {r['std']:.4f} over "
                                     f"{r['pairs']} pairs; TAR at FAR {tars}; ROC {r.get('roc_png', '-')}")
        self.status.setText("Evaluation done." if rows else "Evaluation failed; see the log.")

    def export_use(self) -> None:
        run = self.out.text()
        if not run:
            self.status.setText("Choose the run folder to export.")
            return
        name = Path(run).name.replace(" ", "_") or "trained"
        target = str(Path(run) / "export_savedmodel")
        self.status.setText("Exporting ...")

        def added(code, doc):
            if code == 0:
                self.status.setText(f"Registered as model '{name}'; the app switches to it.")
                self.useModel.emit(name)

        def exported(code, doc):
            if code == 0:
                self._run(["main.py", "models", "add", name, doc["exported"], "--json"], added)

        self._run(["main.py", "export", "--checkpoint", run, "--out", target, "--format", "savedmodel", "--json"],
                  exported)
