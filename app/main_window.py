"""Main window (first cut): appears at once, loads the engine off the GUI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QVBoxLayout, QWidget


class _Signals(QObject):
    result = Signal(object)
    error = Signal(str)


class _LoadEngine(QRunnable):
    def __init__(self):
        super().__init__()
        self.signals = _Signals()

    def run(self):
        try:
            from core.analyzer import FaceAnalyzer
            from core.tf_runtime import device_name

            an = FaceAnalyzer()
            self.signals.result.emit((an, device_name()))
        except Exception as exc:  # noqa: BLE001 - shown in the window, never a crash
            self.signals.error.emit(str(exc))


class MainWindow(QMainWindow):
    def __init__(self, gallery_dir: str | None = None, source: str | None = None):
        super().__init__()
        self.setWindowTitle("facerec")
        self.resize(960, 640)
        self.analyzer = None
        body = QWidget()
        lay = QVBoxLayout(body)
        self.info = QLabel("Loading the face model in the background ...")
        lay.addWidget(self.info)
        self.setCentralWidget(body)
        self.statusBar().showMessage("Loading model ...")
        job = _LoadEngine()
        job.signals.result.connect(self._engine_ready)
        job.signals.error.connect(self._engine_failed)
        self._job = job
        QThreadPool.globalInstance().start(job)

    def _engine_ready(self, payload):
        self.analyzer, device = payload
        self.info.setText(f"Model {self.analyzer.embedder.name} ready.")
        self.statusBar().showMessage(f"{device} | model {self.analyzer.embedder.name}")

    def _engine_failed(self, message: str):
        self.info.setText(f"The model could not be loaded: {message}")
        self.statusBar().showMessage("Model unavailable")

    def save_screenshot(self, path: str) -> bool:
        return self.grab().save(path, "PNG")
