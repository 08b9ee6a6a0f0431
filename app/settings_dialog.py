"""The Settings dialog and the live view's threshold slider, over the core's one settings store.

Model, detectors (photos, enrolment and live), operating-point targets and the
gallery folder are the engine settings that ``facerec`` uses too; camera and
resolution are window state (the ``[gui]`` table).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal
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

from core.config import GuiState, Settings

FAR_CHOICES = (("1 in 100 (1e-2)", 1e-2), ("1 in 1,000 (1e-3)", 1e-3), ("1 in 10,000 (1e-4)", 1e-4))
FPIR_CHOICES = (("1 in 10 faces", 0.1), ("1 in 100 faces", 0.01), ("1 in 1,000 faces", 0.001))


class ThresholdSlider(QWidget):
    """The 1:N threshold (cosine 0.00 .. 1.00); ``meaning`` words what a value means for this gallery.

    Emits ``changed(float)`` while dragging and ``reset()`` for "back to the calibrated default".
    """

    changed = Signal(float)
    reset = Signal()

    def __init__(self, value: float, parent=None):
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 100)
        self.slider.setValue(int(round(value * 100)))
        self.label = QLabel(f"{value:.2f}")
        self.label.setMinimumWidth(36)
        self.meaning = QLabel("")
        self.meaning.setMinimumWidth(240)
        self.reset_btn = QPushButton("Reset")
        self.reset_btn.setToolTip("Back to the calibrated operating point for this model and gallery.")
        self.reset_btn.clicked.connect(self.reset.emit)
        self.describe = None  # callable threshold -> text
        self.slider.valueChanged.connect(self._moved)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.label)
        lay.addWidget(self.meaning)
        lay.addWidget(self.reset_btn)
        self.setToolTip("A face is named only when its score for a person reaches this value. Higher: fewer "
                        "strangers named as someone, more 'unknown' for real matches. Only the live view and "
                        "`identify` use it; `verify` keeps its own 1:1 point.")

    def _moved(self, v: int) -> None:
        self.label.setText(f"{v / 100:.2f}")
        self._explain(v / 100)
        self.changed.emit(v / 100)

    def _explain(self, value: float) -> None:
        self.meaning.setText(self.describe(value) if self.describe else "")

    def value(self) -> float:
        return self.slider.value() / 100

    def set_value(self, v: float, silent: bool = False) -> None:
        self.slider.blockSignals(silent)
        self.slider.setValue(int(round(v * 100)))
        self.slider.blockSignals(False)
        self.label.setText(f"{v:.2f}")
        self._explain(v)


def _choice(box: QComboBox, choices, value: float) -> None:
    for label, v in choices:
        box.addItem(label, v)
    best = min(range(len(choices)), key=lambda i: abs(choices[i][1] - value))
    box.setCurrentIndex(best)


class SettingsDialog(QDialog):
    """Edits copies of the engine settings and the window state; shows the operating points in use."""

    def __init__(self, settings: Settings, gui: GuiState, points: dict | None = None, parent=None):
        super().__init__(parent)
        from core.faces import available_detectors
        from core.zoo import list_models

        self.setWindowTitle("Settings")
        self.s, self.g = settings, dataclasses.replace(gui)
        form = QFormLayout(self)
        from core.zoo import is_ready

        self.model = QComboBox()
        for spec in list_models():
            note = "" if is_ready(spec) else ", not fetched yet"
            self.model.addItem(f"{spec.name}  ({spec.embedding_size}-d, {spec.licence.split('(')[0].strip()}{note})",
                               spec.name)
        self.model.setCurrentIndex(max(0, self.model.findData(settings.model)))
        form.addRow("Embedding model", self.model)
        dets = list(available_detectors())
        self.detector, self.enroll_detector, self.live_detector = QComboBox(), QComboBox(), QComboBox()
        for box, value, label in ((self.detector, settings.detector, "Detector for photos"),
                                  (self.enroll_detector, settings.enroll_detector, "Detector for enrolment"),
                                  (self.live_detector, settings.live_detector, "Detector for the live view")):
            box.addItems(dets)
            box.setCurrentText(value)
            box.setToolTip("\n".join(f"{k}: {v}" for k, v in available_detectors().items()))
            form.addRow(label, box)
        self.far, self.fpir = QComboBox(), QComboBox()
        _choice(self.far, FAR_CHOICES, settings.verify_far)
        _choice(self.fpir, FPIR_CHOICES, settings.identify_fpir)
        form.addRow("1:1 verify: false accepts at most", self.far)
        form.addRow("1:N identify: strangers named at most", self.fpir)
        self.points = QLabel(self._points_text(points or {}))
        self.points.setWordWrap(True)
        form.addRow("Operating points in use", self.points)
        self.camera = QSpinBox()
        self.camera.setRange(0, 16)
        self.camera.setValue(gui.camera)
        form.addRow("Camera index", self.camera)
        self.resolution = QComboBox()
        self.resolution.addItems(["640x480", "1280x720", "1920x1080"])
        self.resolution.setCurrentText(f"{gui.width}x{gui.height}")
        form.addRow("Camera resolution", self.resolution)
        row = QHBoxLayout()
        self.gallery = QLineEdit(settings.gallery)
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

    @staticmethod
    def _points_text(points: dict) -> str:
        lines = []
        for label, key in (("1:1 verify", "verify"), ("1:N identify", "identify")):
            p = points.get(key)
            if p:
                lines.append(f"{label}: {p['threshold']:.3f} ({p['source']})")
        return "\n".join(lines) or "loaded with the model"

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Gallery folder")
        if d:
            self.gallery.setText(d)

    def result_settings(self) -> tuple[Settings, GuiState]:
        w, h = (int(v) for v in self.resolution.currentText().split("x"))
        s = dataclasses.replace(self.s, model=self.model.currentData(), detector=self.detector.currentText(),
                                enroll_detector=self.enroll_detector.currentText(),
                                live_detector=self.live_detector.currentText(), verify_far=float(self.far.currentData()),
                                identify_fpir=float(self.fpir.currentData()), gallery=self.gallery.text().strip())
        s.check()
        g = dataclasses.replace(self.g, camera=self.camera.value(), width=w, height=h)
        return s, g


def edit_settings(win) -> None:
    """The Settings dialog for the window: saves what was chosen and reloads the engine when it must."""
    from core.config import save_gui_state, save_settings

    dlg = SettingsDialog(win.settings, win.gui, win.gallery.points() if win.gallery else {}, win)
    try:
        if not dlg.exec():
            return
        new, gui = dlg.result_settings()
    finally:
        dlg.deleteLater()
    reload_engine = any(getattr(new, k) != getattr(win.settings, k)
                        for k in ("model", "detector", "live_detector", "gallery"))
    if new.gallery != win.settings.gallery:
        win.gallery_dir = None  # the folder chosen here replaces one given on the command line
    model_changed = new.model != win.settings.model
    win.settings, win.gui = new.replace(model=win.settings.model), gui
    save_settings(win.settings)
    save_gui_state(gui)
    win.cam_index.setValue(gui.camera)
    if model_changed:
        win.use_model(new.model)  # fetches it first when needed
    elif reload_engine:
        win._reload_engine()
    elif win.gallery is not None:
        win.gallery.settings = new
        win._gallery_changed()
