"""Main window: live view with names, source picker, play/pause, enrolment, gallery browser, settings.

The window appears before TensorFlow is imported: the engine (detector, embedder,
gallery) loads in a background job while the status bar says so. Capture and
recognition run in their own threads; the GUI thread only paints.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QThreadPool, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSpinBox,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.enroll_dialog import IMAGE_FILTER, EnrollFilesDialog, EnrollLiveDialog
from app.gallery_panel import GalleryPanel
from app.settings_dialog import GuiSettings, SettingsDialog, ThresholdSlider
from app.training_panel import TrainingPanel
from app.video_view import VideoView
from app.workers import CaptureThread, Job, RecognitionThread

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v);;All files (*)"


def load_engine(settings: GuiSettings, gallery_dir: str | None):
    """Runs in a worker: (analyzer, gallery, device name). Imports TensorFlow."""
    from core.analyzer import FaceAnalyzer
    from core.config import load_settings
    from core.gallery import Gallery
    from core.tf_runtime import device_name

    core_settings = load_settings(model=settings.model, detector=settings.detector, threshold=settings.threshold)
    analyzer = FaceAnalyzer(core_settings, warmup=True)
    gallery = Gallery(gallery_dir or settings.gallery or None, settings=core_settings)
    gallery.use_analyzer(analyzer)
    if gallery.missing_embeddings():
        gallery.reembed()  # people enrolled under another model stay recognisable after a switch
    gallery.index()
    analyzer.detect(np.zeros((480, 640, 3), np.uint8))  # trace the common canvas now, not on the first frame
    return analyzer, gallery, device_name()


class MainWindow(QMainWindow):
    def __init__(self, gallery_dir: str | None = None, source: str | None = None):
        super().__init__()
        self.setWindowTitle("facerec: face recognition")
        self.resize(1180, 800)
        self.settings = GuiSettings.load()
        self.gallery_dir = gallery_dir
        self.analyzer = self.gallery = self.recognizer = None
        self.capture: CaptureThread | None = None
        self.recog: RecognitionThread | None = None
        self.pending_source = source
        self.seen_names: set[str] = set()
        import time

        self._clock = time.perf_counter
        self.started_at = self._clock()
        self.shown_after = self.ready_after = self.first_names_after = None
        self.results_log: list[tuple[int, list]] = []
        self._jobs: list[Job] = []
        self._build_ui()
        self._start_engine()
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self._update_status)
        self._status_timer.start(500)

    # ---------------------------------------------------------------- UI

    def _build_ui(self) -> None:
        tb = QToolBar("Source")
        tb.setMovable(False)
        self.addToolBar(tb)
        tb.addWidget(QLabel(" Webcam "))
        self.cam_index = QSpinBox()
        self.cam_index.setRange(0, 16)
        self.cam_index.setValue(self.settings.camera)
        tb.addWidget(self.cam_index)
        self.act_cam = self._action(tb, "Start webcam", lambda: self.open_source(self.cam_index.value()))
        tb.addSeparator()
        self._action(tb, "Open video ...", self._pick_video, QKeySequence.StandardKey.Open)
        self._action(tb, "Open image ...", self._pick_image)
        self._action(tb, "Open folder ...", self._pick_folder)
        tb.addSeparator()
        self.act_play = self._action(tb, "Pause", self.toggle_pause, "Space")
        self.act_play.setEnabled(False)
        tb.addSeparator()
        self.act_enroll_live = self._action(tb, "Enroll from live ...", self.enroll_live)
        self.act_enroll_files = self._action(tb, "Enroll from files ...", self.enroll_files)
        tb.addSeparator()
        self._action(tb, "Settings ...", self.open_settings, QKeySequence.StandardKey.Preferences)
        for a in (self.act_enroll_live, self.act_enroll_files):
            a.setEnabled(False)

        self.tabs = QTabWidget()
        live = QWidget()
        lv = QVBoxLayout(live)
        self.view = VideoView()
        lv.addWidget(self.view, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Match threshold"))
        self.threshold = ThresholdSlider(0.30)
        self.threshold.changed.connect(self.set_threshold)
        self.threshold.setEnabled(False)
        row.addWidget(self.threshold, 1)
        self.faces_label = QLabel("")
        row.addWidget(self.faces_label, 2)
        lv.addLayout(row)
        self.tabs.addTab(live, "Live")
        self.gallery_panel = GalleryPanel()
        self.gallery_panel.message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.gallery_panel.changed.connect(self._gallery_changed)
        self.tabs.addTab(self.gallery_panel, "Gallery")
        self.training_panel = TrainingPanel()
        self.training_panel.useModel.connect(self.use_model)
        self.tabs.addTab(self.training_panel, "Training")
        self.setCentralWidget(self.tabs)

        sb = self.statusBar()
        self.lbl_device = QLabel("device: loading ...")
        self.lbl_model = QLabel("model: loading ...")
        self.lbl_gallery = QLabel("gallery: -")
        self.lbl_fps = QLabel("fps: -")
        for w in (self.lbl_device, self.lbl_model, self.lbl_gallery, self.lbl_fps):
            sb.addPermanentWidget(w)
        sb.showMessage("Loading the face models in the background ...")

    def _action(self, tb: QToolBar, text: str, slot, shortcut=None) -> QAction:
        a = QAction(text, self)
        a.triggered.connect(slot)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        tb.addAction(a)
        return a

    # ---------------------------------------------------------------- engine

    def _start_engine(self) -> None:
        job = Job(lambda: load_engine(self.settings, self.gallery_dir), plain=True)
        job.signals.result.connect(self._engine_ready)
        job.signals.error.connect(self._engine_failed)
        self._keep(job)
        QThreadPool.globalInstance().start(job)
        if self.pending_source is not None:
            self.view.clear("Loading the face models; the source starts when they are ready ...")

    def _open_pending(self) -> None:
        if self.pending_source is not None:
            spec, self.pending_source = self.pending_source, None
            self.open_source(spec)

    def _keep(self, job: Job) -> None:
        self._jobs.append(job)
        job.signals.finished.connect(lambda: self._jobs.remove(job) if job in self._jobs else None)

    def _engine_ready(self, payload) -> None:
        from core.recognition import LiveRecognizer

        self.analyzer, self.gallery, device = payload
        self.ready_after = self._clock() - self.started_at
        self.recognizer = LiveRecognizer(self.analyzer, self.gallery, threshold=self.settings.threshold)
        self.threshold.set_value(self.recognizer.threshold)
        self.threshold.setEnabled(True)
        self.lbl_device.setText(f"device: {device}")
        self.lbl_model.setText(f"model: {self.analyzer.embedder.name} / {self.analyzer.detector.name}")
        for a in (self.act_enroll_live, self.act_enroll_files):
            a.setEnabled(True)
        self.gallery_panel.set_gallery(self.gallery)
        self._gallery_changed()
        self.statusBar().showMessage("Ready.", 4000)
        self._start_recognition()
        self._open_pending()

    def _engine_failed(self, message: str) -> None:
        self.lbl_device.setText("device: -")
        self.lbl_model.setText("model: unavailable")
        self.statusBar().showMessage("The face model could not be loaded.")
        self.view.message = f"The face model could not be loaded:\n{message}"
        self.view.update()
        self._open_pending()  # still show the source, without names
        QMessageBox.warning(self, "Model unavailable", message)

    def _start_recognition(self) -> None:
        if self.recognizer is None or self.recog is not None:
            return
        self.recog = RecognitionThread(self.recognizer)
        self.recog.faces.connect(self._on_faces)
        self.recog.failed.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.recog.start()

    # ---------------------------------------------------------------- sources

    def open_source(self, spec) -> bool:
        from core.capture import open_source
        from core.errors import FaceRecError

        self._stop_capture()
        try:
            src = open_source(spec, self.settings.width, self.settings.height)
        except FaceRecError as exc:
            self.statusBar().showMessage(str(exc), 8000)
            self.view.clear(str(exc))
            return False
        if self.recognizer is not None:
            self.recognizer.reset()
        self.capture = CaptureThread(src)
        self.capture.frame.connect(self._on_frame)
        self.capture.ended.connect(lambda: self.statusBar().showMessage(f"End of {src.description}.", 5000))
        self.capture.failed.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.capture.start()
        self.act_play.setEnabled(True)
        self.act_play.setText("Pause")
        self.setWindowTitle(f"facerec: {src.description}")
        return True

    def _pick_video(self) -> None:
        p, _ = QFileDialog.getOpenFileName(self, "Open a video", "", VIDEO_FILTER)
        if p:
            self.open_source(p)

    def _pick_image(self) -> None:
        p, _ = QFileDialog.getOpenFileName(self, "Open an image", "", IMAGE_FILTER)
        if p:
            self.open_source(p)

    def _pick_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Open a folder of images")
        if d:
            self.open_source(d)

    def toggle_pause(self) -> None:
        if self.capture is None:
            return
        paused = not self.capture.paused
        self.capture.pause(paused)
        self.act_play.setText("Play" if paused else "Pause")

    def _stop_capture(self) -> None:
        if self.capture is not None:
            self.capture.stop()
            self.capture.wait(3000)
            self.capture = None

    def _on_frame(self, frame) -> None:
        self.view.set_frame(frame)
        if self.recog is not None:
            self.recog.submit(frame)

    def _on_faces(self, frame, faces, seconds) -> None:
        self.view.set_faces(faces)
        names = [f.name for f in faces]
        if self.first_names_after is None and any(names):
            self.first_names_after = self._clock() - self.started_at
        self.seen_names.update(n for n in names if n)
        self.results_log.append((frame.index, names))
        if len(self.results_log) > 10_000:
            del self.results_log[:5_000]
        self.faces_label.setText(", ".join(f"{f.name or 'unknown'} ({f.score:.2f})" for f in faces) or "no faces")

    def set_threshold(self, value: float) -> None:
        if self.recognizer is not None:
            self.recognizer.threshold = value
            self.view.faces = [f.at_threshold(value) for f in self.view.faces]
            self.view.update()

    # ---------------------------------------------------------------- enrolment, gallery, settings

    def enroll_files(self, paths: list[str] | None = None) -> EnrollFilesDialog | None:
        if self.gallery is None:
            return None
        dlg = EnrollFilesDialog(self.gallery, self, paths=paths)
        dlg.enrolled.connect(lambda _r: self._gallery_changed())
        dlg.show()
        return dlg

    def grab_selected_face(self) -> np.ndarray | None:
        """RGB crop (with margin) round the clicked face, or the largest face, in the current frame."""
        frame, faces = self.view.frame, self.view.faces
        if frame is None or not faces:
            return None
        chosen = next((f for f in faces if f.track_id == self.view.selected), None) or \
            max(faces, key=lambda f: f.box[2] * f.box[3])
        x, y, w, h = chosen.box
        m = 0.6 * max(w, h)
        H, W = frame.image.shape[:2]
        x1, y1 = int(max(0, x - m)), int(max(0, y - m))
        x2, y2 = int(min(W, x + w + m)), int(min(H, y + h + m))
        return frame.image[y1:y2, x1:x2].copy()

    def enroll_live(self) -> None:
        if self.gallery is None:
            return
        dlg = EnrollLiveDialog(self.gallery, self.grab_selected_face, self)
        dlg.enrolled.connect(lambda _r: self._gallery_changed())
        dlg.show()

    def _gallery_changed(self) -> None:
        if self.gallery is None:
            return
        people, faces = self.gallery.count()
        self.lbl_gallery.setText(f"gallery: {people} people, {faces} faces")
        if self.gallery_panel.gallery is not None and self.tabs.currentWidget() is not self.gallery_panel:
            self.gallery_panel.refresh()

    def open_settings(self) -> None:
        default = self.recognizer.threshold if self.recognizer else 0.30
        dlg = SettingsDialog(self.settings, default, self)
        before = self.recognizer.threshold if self.recognizer else None
        dlg.thresholdChanged.connect(lambda v: (self.threshold.set_value(v), self.set_threshold(v)))
        if dlg.exec():
            new = dlg.result_settings()
            reload_engine = (new.model, new.detector, new.gallery) != (self.settings.model, self.settings.detector,
                                                                       self.settings.gallery)
            if new.gallery != self.settings.gallery:
                self.gallery_dir = None  # the folder chosen here replaces one given on the command line
            self.settings = new
            new.save()
            self.cam_index.setValue(new.camera)
            if reload_engine:
                self._reload_engine()
        elif before is not None:
            self.threshold.set_value(before)
            self.set_threshold(before)

    def use_model(self, name: str) -> None:
        """Switch the app to a (newly registered) embedding model; the gallery is re-embedded for it."""
        self.settings.model = name
        self.settings.save()
        self._reload_engine()

    def _reload_engine(self) -> None:
        if self.recog is not None:
            self.recog.stop()
            self.recog.wait(5000)
            self.recog = None
        self.analyzer = self.gallery = self.recognizer = None
        self.lbl_model.setText("model: loading ...")
        self.statusBar().showMessage("Loading the new settings ...")
        self._start_engine()

    # ---------------------------------------------------------------- status, shutdown

    def _update_status(self) -> None:
        v = self.view
        self.lbl_fps.setText(f"view {v.display_rate.rate:.1f} fps | names {v.names_rate.rate:.1f}/s")

    def timing_report(self) -> str:
        def f(v):
            return "-" if v is None else f"{v:.1f} s"

        v = self.view
        return (f"facerec: window shown {f(self.shown_after)}, models ready {f(self.ready_after)}, "
                f"first names {f(self.first_names_after)}; view {v.display_rate.rate:.1f} fps, "
                f"names {v.names_rate.rate:.1f}/s, frames dropped by recognition "
                f"{self.recog.dropped if self.recog else 0}")

    def save_screenshot(self, path: str) -> bool:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return self.grab().save(str(path), "PNG")

    def closeEvent(self, event) -> None:
        self._stop_capture()
        if self.recog is not None:
            self.recog.stop()
            self.recog.wait(5000)
        super().closeEvent(event)
