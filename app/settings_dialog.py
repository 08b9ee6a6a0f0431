"""Settings kept with QSettings: model, detector, threshold, camera, gallery location."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QSettings, Qt, Signal
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
    QSlider,
    QSpinBox,
    QWidget,
)


@dataclass
class GuiSettings:
    model: str = "facenet"
    detector: str = "mtcnn"
    threshold: float | None = None     # None: the model's calibrated default
    camera: int = 0
    width: int = 640
    height: int = 480
    gallery: str = ""                  # "" : the default gallery in the user data directory

    @classmethod
    def load(cls, qs: QSettings | None = None) -> GuiSettings:
        qs = qs or QSettings()
        d = cls()
        thr = qs.value("threshold", None)
        return cls(model=str(qs.value("model", d.model)), detector=str(qs.value("detector", d.detector)),
                   threshold=float(thr) if thr not in (None, "", "None") else None,
                   camera=int(qs.value("camera", d.camera)), width=int(qs.value("width", d.width)),
                   height=int(qs.value("height", d.height)), gallery=str(qs.value("gallery", d.gallery)))

    def save(self, qs: QSettings | None = None) -> None:
        qs = qs or QSettings()
        for k, v in self.__dict__.items():
            qs.setValue(k, "" if v is None else v)
        qs.sync()


class ThresholdSlider(QWidget):
    """0.00 .. 1.00 cosine threshold; emits ``changed(float)`` while dragging."""

    changed = Signal(float)

    def __init__(self, value: float, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(int(round(value * 100)))
        self.label = QLabel(f"{value:.2f}")
        self.label.setMinimumWidth(36)
        self.slider.valueChanged.connect(self._moved)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        self.setToolTip("A face is named only when its similarity to a person reaches this value. "
                        "Higher: fewer strangers named as someone, more 'unknown' for real matches.")

    def _moved(self, v: int) -> None:
        self.label.setText(f"{v / 100:.2f}")
        self.changed.emit(v / 100)

    def value(self) -> float:
        return self.slider.value() / 100

    def set_value(self, v: float) -> None:
        self.slider.setValue(int(round(v * 100)))


class SettingsDialog(QDialog):
    """Edits a copy of the settings; ``thresholdChanged`` fires immediately for the live view."""

    thresholdChanged = Signal(float)

    def __init__(self, settings: GuiSettings, default_threshold: float, parent=None):
        super().__init__(parent)
        from core.detection import available_detectors
        from models.registry import list_models

        self.setWindowTitle("Settings")
        self.s = GuiSettings(**settings.__dict__)
        form = QFormLayout(self)
        self.model = QComboBox()
        self.model.addItems([m.name for m in list_models()])
        self.model.setCurrentText(self.s.model)
        form.addRow("Embedding model", self.model)
        self.detector = QComboBox()
        self.detector.addItems(list(available_detectors()))
        self.detector.setCurrentText(self.s.detector)
        form.addRow("Face detector", self.detector)
        self.threshold = ThresholdSlider(self.s.threshold if self.s.threshold is not None else default_threshold)
        self.threshold.changed.connect(self.thresholdChanged.emit)
        form.addRow("Match threshold", self.threshold)
        self.camera = QSpinBox()
        self.camera.setRange(0, 16)
        self.camera.setValue(self.s.camera)
        form.addRow("Camera index", self.camera)
        self.resolution = QComboBox()
        self.resolution.addItems(["640x480", "1280x720", "1920x1080"])
        self.resolution.setCurrentText(f"{self.s.width}x{self.s.height}")
        form.addRow("Camera resolution", self.resolution)
        row = QHBoxLayout()
        self.gallery = QLineEdit(self.s.gallery)
        self.gallery.setPlaceholderText("default (user data folder)")
        browse = QPushButton("Browse ...")
        browse.clicked.connect(self._browse)
        row.addWidget(self.gallery, 1)
        row.addWidget(browse)
        wrap = QWidget()
        wrap.setLayout(row)
        form.addRow("Gallery folder", wrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Gallery folder")
        if d:
            self.gallery.setText(d)

    def result_settings(self) -> GuiSettings:
        w, h = (int(v) for v in self.resolution.currentText().split("x"))
        return GuiSettings(model=self.model.currentText(), detector=self.detector.currentText(),
                           threshold=self.threshold.value(), camera=self.camera.value(), width=w, height=h,
                           gallery=self.gallery.text().strip())
