"""Dialogs that start workbench jobs. Each returns the ``facerec`` command line it will run (the GUI's jobs
are their CLI twins, in their own process) and the values to record in the runs database."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from core.training import BACKBONES, DEFAULTS, FINETUNE_STEPS, HEADS, STRATEGIES


def path_row(edit: QLineEdit, mode: str = "dir") -> QWidget:
    """A line edit with a Browse button: ``mode`` is "dir", "file" or "files"."""
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    b = QPushButton("Browse ...")

    def pick():
        if mode == "dir":
            p = QFileDialog.getExistingDirectory(w)
        elif mode == "file":
            p = QFileDialog.getOpenFileName(w)[0]
        else:
            p = " ".join(QFileDialog.getOpenFileNames(w)[0])
        if p:
            edit.setText(p)

    b.clicked.connect(pick)
    lay.addWidget(edit, 1)
    lay.addWidget(b)
    return w


class _JobDialog(QDialog):
    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout(self)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #b00020")

    def finish_form(self, ok_text: str) -> None:
        self.form.addRow(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setText(ok_text)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.form.addRow(self.buttons)

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    @property
    def cancel_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Cancel)

    def _accept(self) -> None:
        problem = self.problem()
        if problem:
            self.error.setText(problem)
            return
        self.accept()

    def problem(self) -> str | None:
        return None


def _models_combo(names: list[str], current: str = "") -> QComboBox:
    box = QComboBox()
    box.addItems(names)
    if current in names:
        box.setCurrentText(current)
    return box


class NewTrainingDialog(_JobDialog):
    """A training run: data, network, schedule (defaults from the trainer's config)."""

    def __init__(self, trainable: list[str], parent=None):
        super().__init__("New training run", parent)
        d = DEFAULTS
        self.name = QLineEdit(placeholderText="a name for the runs table")
        self.data = QLineEdit(placeholderText="folder of TFRecords (facerec convert-rec / convert-folder)")
        self.backbone, self.head = QComboBox(), QComboBox()
        self.backbone.addItems(list(BACKBONES))
        self.backbone.setCurrentText(d.backbone)
        self.head.addItems(list(HEADS))
        self.head.setCurrentText(d.head)
        self.init = QComboBox()
        self.init.addItems(["(from scratch)", *trainable])
        self.steps, self.batch = QSpinBox(), QSpinBox()
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(d.steps)
        self.batch.setRange(1, 65536)
        self.batch.setValue(d.batch_size)
        self.lr = QLineEdit(" ".join(str(v) for v in d.lr))
        self.bins = QLineEdit(placeholderText="lfw.bin cfp_fp.bin agedb_30.bin ...")
        self.val_every = QSpinBox()
        self.val_every.setRange(1, 10_000_000)
        self.val_every.setValue(d.val_every)
        self.strategy = QComboBox()
        self.strategy.addItems(list(STRATEGIES[:2]))  # multi-worker runs start from the command line
        for label, w in (("Name", self.name), ("Training data", path_row(self.data)), ("Backbone", self.backbone),
                         ("Head", self.head), ("Start from", self.init), ("Steps", self.steps),
                         ("Batch size", self.batch), ("Learning rates", self.lr),
                         ("Verification .bin files", path_row(self.bins, "files")),
                         ("Verify every (steps)", self.val_every), ("Devices", self.strategy)):
            self.form.addRow(label, w)
        self.finish_form("Start training")

    def problem(self) -> str | None:
        if not Path(self.data.text()).is_dir():
            return "Choose the folder of TFRecords to train on."
        try:
            [float(v) for v in self.lr.text().split()]
        except ValueError:
            return "Learning rates are numbers separated by spaces."
        return None

    def command(self, out: Path) -> tuple[list[str], dict]:
        args = ["train", "--data", self.data.text(), "--out", str(out), "--head", self.head.currentText(),
                "--steps", str(self.steps.value()), "--batch-size", str(self.batch.value()),
                "--val-every", str(self.val_every.value()), "--strategy", self.strategy.currentText()]
        init = self.init.currentText()
        if init.startswith("("):
            args += ["--backbone", self.backbone.currentText()]
        else:
            args += ["--init", init]
        if self.lr.text().split():
            args += ["--lr", *self.lr.text().split()]
        if self.bins.text().split():
            args += ["--val-bin", *self.bins.text().split()]
        config = {"data": self.data.text(), "backbone": self.backbone.currentText() if init.startswith("(") else "",
                  "init": "" if init.startswith("(") else init, "head": self.head.currentText(),
                  "steps": self.steps.value()}
        return args, config


SOURCES = {".bin files": "bin", "LFW folder (View 2)": "lfw", "Folder per person": "folders",
           "Open-set trees": "openset"}


class EvaluateDialog(_JobDialog):
    """A model (or a run's checkpoint) and a benchmark: .bin sets, LFW, folders of people, the open-set protocol."""

    def __init__(self, models: list[str], current: str = "", checkpoint: str = "", parent=None):
        super().__init__("Evaluate a model", parent)
        self.model = _models_combo(([f"checkpoint: {checkpoint}"] if checkpoint else []) + models, current)
        if checkpoint:
            self.model.setCurrentIndex(0)
        self.source = QComboBox()
        self.source.addItems(list(SOURCES))
        self.path = QLineEdit(placeholderText="files or folder")
        self.probes = QLineEdit(placeholderText="open-set: probes folder")
        self.strangers = QLineEdit(placeholderText="open-set: strangers folder")
        for label, w in (("Model", self.model), ("Benchmark", self.source), ("Data", path_row(self.path)),
                         ("Probes", path_row(self.probes)), ("Strangers", path_row(self.strangers))):
            self.form.addRow(label, w)
        self.finish_form("Evaluate")

    def problem(self) -> str | None:
        kind = SOURCES[self.source.currentText()]
        ckpt = self.model.currentText().startswith("checkpoint: ")
        if ckpt and kind != "bin":
            return "A checkpoint is evaluated on .bin files; register it (Export and use) for the other benchmarks."
        paths = self.path.text().split() if kind == "bin" else [self.path.text()]
        if not paths or not all(Path(p).exists() for p in paths):
            return "Choose the data to evaluate on."
        if kind == "openset" and not (Path(self.probes.text()).is_dir() and Path(self.strangers.text()).is_dir()):
            return "The open-set protocol needs the probes and strangers folders too."
        return None

    def command(self, out: Path) -> tuple[list[str], dict]:
        kind = SOURCES[self.source.currentText()]
        m = self.model.currentText()
        args = ["eval", *(["--checkpoint", m.split(": ", 1)[1]] if m.startswith("checkpoint: ") else ["--model", m]),
                "--roc-dir", str(out)]
        if kind == "bin":
            args += ["--bin", *self.path.text().split()]
        elif kind == "lfw":
            args += ["--lfw", self.path.text()]
        elif kind == "folders":
            args += ["--folders", self.path.text()]
        else:
            args += ["--enroll", self.path.text(), "--probes", self.probes.text(), "--strangers", self.strangers.text()]
        return args, {"model": m, "benchmark": kind, "source": self.path.text()}


BENCHES = {"Embedding (images/s per batch)": "embed", "Detection (ms per frame)": "detect",
           "Photo pipeline (photos/s)": "pipeline", "Gallery search (latency, recall)": "gallery",
           "Training step (images/s)": "train"}


class BenchmarkDialog(_JobDialog):
    def __init__(self, models: list[str], detectors: list[str], current: str = "", photos: str = "", parent=None):
        super().__init__("Run a benchmark", parent)
        self.kind = QComboBox()
        self.kind.addItems(list(BENCHES))
        self.model = _models_combo(models, current)
        self.detector = QComboBox()
        self.detector.addItems(detectors)
        self.photos = QLineEdit(photos)
        self.backbone = QComboBox()
        self.backbone.addItems(list(BACKBONES))
        self.size = QSpinBox()
        self.size.setRange(1000, 10_000_000)
        self.size.setValue(100_000)
        for label, w in (("Benchmark", self.kind), ("Model", self.model), ("Detector", self.detector),
                         ("Photos (pipeline)", path_row(self.photos)), ("Backbone (training)", self.backbone),
                         ("Gallery size (search)", self.size)):
            self.form.addRow(label, w)
        self.finish_form("Run")

    @classmethod
    def for_app(cls, models: list[str], current: str = "", parent=None) -> BenchmarkDialog:
        """The dialog with this machine's detectors and the sample photos (when fetched) for the pipeline."""
        from core.errors import FaceRecError
        from core.faces import available_detectors
        from core.zoo import sample_dataset_dir

        try:
            photos = str(sample_dataset_dir())
        except FaceRecError:  # no sample set: the user picks a folder
            photos = ""
        return cls(models, list(available_detectors()), current, photos, parent)

    def problem(self) -> str | None:
        if BENCHES[self.kind.currentText()] == "pipeline" and not Path(self.photos.text()).is_dir():
            return "Choose a folder of photos for the pipeline benchmark."
        return None

    def command(self, out: Path) -> tuple[list[str], dict]:
        kind = BENCHES[self.kind.currentText()]
        args = ["bench", kind]
        config = {"benchmark": kind}
        if kind in ("embed", "pipeline"):
            args += ["--model", self.model.currentText()]
            config["model"] = self.model.currentText()
        if kind in ("detect", "pipeline"):
            args += ["--detector", self.detector.currentText()]
            config["detector"] = self.detector.currentText()
        if kind == "pipeline":
            args += [self.photos.text()]
        if kind == "gallery":
            args += ["--n", str(self.size.value())]
            config["n"] = self.size.value()
        if kind == "train":
            args += ["--backbone", self.backbone.currentText(), "--batch-size", "32", "--steps", "5"]
            config["backbone"] = self.backbone.currentText()
        return args, config


class FinetuneDialog(_JobDialog):
    """Fine-tune a pretrained model on the gallery's enrolled people (a new model version)."""

    def __init__(self, trainable: list[str], gallery: str, default: str = "", parent=None):
        super().__init__("Fine-tune on my people", parent)
        self.gallery = QLineEdit(gallery)
        self.init = _models_combo(trainable, default)
        self.name = QLineEdit(placeholderText="default: MODEL-ft-N")
        self.steps = QSpinBox()
        self.steps.setRange(10, 100_000)
        self.steps.setValue(FINETUNE_STEPS)
        info = QLabel("A margin head is trained on your enrolled people's stored face crops; some faces per person "
                      "are held out to measure before and after. The result is a new model version; the current "
                      "one stays selectable.")
        info.setWordWrap(True)
        self.form.addRow(info)
        for label, w in (("Gallery", path_row(self.gallery)), ("Start from", self.init), ("New model name", self.name),
                         ("Steps", self.steps)):
            self.form.addRow(label, w)
        self.finish_form("Fine-tune")

    @classmethod
    def for_app(cls, trainable: list[str], gallery: str, parent=None) -> FinetuneDialog:
        """The dialog starting from the default pretrained model, when one is fetched."""
        from core.errors import FaceRecError
        from core.training import default_init

        try:
            default = default_init()
        except FaceRecError:
            default = ""
        return cls(trainable, gallery, default, parent)

    def problem(self) -> str | None:
        from core.gallery import gallery_exists

        if not gallery_exists(Path(self.gallery.text())):
            return "Choose a gallery folder (it holds gallery.db)."
        if not self.init.currentText():
            return "No trainable pretrained model is fetched yet (facerec models fetch sface)."
        return None

    def command(self, out: Path) -> tuple[list[str], dict]:
        args = ["train", "--from-gallery", self.gallery.text(), "--init", self.init.currentText(),
                "--steps", str(self.steps.value())]
        if self.name.text().strip():
            args += ["--name", self.name.text().strip()]
        return args, {"init": self.init.currentText(), "data": self.gallery.text(), "steps": self.steps.value()}
