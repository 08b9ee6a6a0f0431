"""The live view: the newest frame, scaled to fit, with boxes, names, scores and rates drawn on top."""

from __future__ import annotations

import time
from collections import deque

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

KNOWN = QColor(40, 200, 90)
UNKNOWN = QColor(235, 80, 60)


def to_qimage(rgb: np.ndarray) -> QImage:
    h, w = rgb.shape[:2]
    return QImage(np.ascontiguousarray(rgb).data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class RateMeter:
    """Events per second over the last ``window`` seconds."""

    def __init__(self, window: float = 2.0):
        self.window, self.times = window, deque()

    def reset(self) -> None:
        self.times.clear()

    def tick(self) -> None:
        now = time.monotonic()
        self.times.append(now)
        while self.times and now - self.times[0] > self.window:
            self.times.popleft()

    @property
    def rate(self) -> float:
        if len(self.times) < 2 or time.monotonic() - self.times[-1] > self.window:
            return 0.0   # nothing lately: not the rate of long ago
        return (len(self.times) - 1) / max(1e-6, self.times[-1] - self.times[0])


class VideoView(QWidget):
    """Click a face to select it (for enrolling from the live view): emits ``faceClicked(track_id)``."""

    faceClicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(640, 400)
        self.image: QImage | None = None
        self.frame = None
        self.faces = []
        self.selected: int | None = None
        self.message = "No source. Choose a webcam, video, image or folder above."
        self.display_rate = RateMeter()
        self.names_rate = RateMeter()
        self.state: str | None = None   # "still" (one image), "paused", "ended"; None while a source plays
        self._target = QRectF()

    def start(self, still: bool) -> None:
        """A new source: its rates start afresh; a still image has none to show."""
        self.display_rate.reset()
        self.names_rate.reset()
        self.state = "still" if still else None
        self.update()

    def rate_text(self) -> str:
        """What the overlay and the status bar say about the pace: "view 25.0 fps | names 3.0/s", or for a still
        image, a paused or finished source, that in words."""
        if self.image is None:
            return "no source"
        if self.state == "still":
            return "still image"
        if self.state in ("paused", "ended"):
            return self.state
        return f"view {self.display_rate.rate:.1f} fps | names {self.names_rate.rate:.1f}/s"

    def set_frame(self, frame) -> None:
        self.frame = frame
        self.image = to_qimage(frame.image)
        self.display_rate.tick()
        self.update()

    def set_faces(self, faces) -> None:
        self.faces = faces
        self.names_rate.tick()
        self.update()

    def clear(self, message: str = "") -> None:
        self.image, self.frame, self.faces, self.message, self.state = None, None, [], message, None
        self.update()

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(25, 27, 31))
        if self.image is None:
            p.setPen(QColor(200, 200, 200))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
            return
        iw, ih = self.image.width(), self.image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        self._target = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        self._scale = scale
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self._target, self.image)
        font = QFont()
        font.setPointSize(11)
        font.setBold(True)
        p.setFont(font)
        for f in self.faces:
            x, y, bw, bh = f.box
            r = QRectF(self._target.x() + x * scale, self._target.y() + y * scale, bw * scale, bh * scale)
            color = KNOWN if f.name else UNKNOWN
            p.setPen(QPen(color, 4 if f.track_id == self.selected else 2))
            p.drawRect(r)
            label = f"{f.name}  {f.score:.2f}" if f.name else (f"unknown  {f.score:.2f}" if f.candidates else "unknown")
            tw = p.fontMetrics().horizontalAdvance(label) + 10
            bg = QRectF(r.x(), max(0.0, r.y() - 22), tw, 22)
            p.fillRect(bg, color)
            p.setPen(QColor(255, 255, 255))
            p.drawText(bg, Qt.AlignmentFlag.AlignCenter, label)
        p.setPen(QColor(255, 255, 255))
        text = self.rate_text()
        box = p.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
        box.moveTopRight(self._target.adjusted(6, 4, -6, -4).topRight().toPoint())
        p.fillRect(box, QColor(0, 0, 0, 140))    # readable over a bright picture
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def mousePressEvent(self, event) -> None:
        if not self.faces or self.image is None:
            return
        pos = event.position()
        for f in self.faces:
            x, y, bw, bh = f.box
            r = QRectF(self._target.x() + x * self._scale, self._target.y() + y * self._scale,
                       bw * self._scale, bh * self._scale)
            if r.contains(pos):
                self.selected = f.track_id
                self.faceClicked.emit(f.track_id)
                self.update()
                return
