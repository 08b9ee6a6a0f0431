"""The review queue ("Is this Ada?", one key to answer), the split proposal and a photo with its face marked."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from app.gallery.panel import pixmap_from_jpeg
from app.workers import Job, while_alive


class ReviewQueue(QFrame):
    """One suggestion at a time, the most uncertain first; Y / N (or the buttons) answer it."""

    answered = Signal(dict, bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMaximumHeight(120)
        self.items: list[dict] = []
        lay = QHBoxLayout(self)
        self.face = QLabel()
        self.face.setFixedSize(96, 96)
        self.question = QLabel("Review: nothing to confirm.")
        self.question.setWordWrap(True)
        self.yes, self.no = QPushButton("Yes (Y)"), QPushButton("No (N)")
        self.yes.setShortcut("Y")
        self.no.setShortcut("N")
        self.yes.clicked.connect(lambda: self._answer(True))
        self.no.clicked.connect(lambda: self._answer(False))
        lay.addWidget(self.face)
        lay.addWidget(self.question, 1)
        lay.addWidget(self.yes)
        lay.addWidget(self.no)
        self._show()

    def load(self, library, jobs) -> None:
        job = Job(lambda: library.review(limit=50), plain=True, name="review queue")
        job.signals.result.connect(while_alive(self, lambda items: self._set(library, items)))
        jobs.start(job)

    def _set(self, library, items: list[dict]) -> None:
        self.library, self.items = library, items
        self._show()

    def _show(self) -> None:
        has = bool(self.items)
        self.yes.setEnabled(has)
        self.no.setEnabled(has)
        if not has:
            self.face.clear()
            self.question.setText("Review: nothing to confirm.")
            return
        s = self.items[0]
        store = self.library.store
        crop = store.thumbnail(s["id"]) if s["kind"] == "group" else store.crop(s["id"])
        self.face.setPixmap(pixmap_from_jpeg(crop, 96))
        what = f"this group ({s['faces']} faces)" if s["kind"] == "group" else "this face"
        likely = "likely" if s["score"] >= s["threshold"] else "perhaps"
        self.question.setText(f"<b>Is {what} {s['person']}?</b><br>{likely}: similarity {s['score']:.2f}, "
                              f"the naming threshold is {s['threshold']:.2f}. {len(self.items)} to review.")

    def _answer(self, yes: bool) -> None:
        if self.items:
            s = self.items.pop(0)
            self._show()
            self.answered.emit(s, yes)


class SplitDialog(QDialog):
    """The app's proposal for splitting a group: its sub-groups side by side; OK splits."""

    def __init__(self, library, group: int, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Split this group")
        self.resize(760, 420)
        self.parts = library.propose_split(group)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"The group's faces fall into {len(self.parts)} sub-groups. Each becomes a group of "
                             "its own, marked as a different person; Undo puts them back together."))
        row = QHBoxLayout()
        for i, part in enumerate(self.parts):
            col = QVBoxLayout()
            col.addWidget(QLabel(f"<b>Part {i + 1}</b>: {len(part)} faces"))
            lst = QListWidget()
            lst.setViewMode(QListWidget.ViewMode.IconMode)
            lst.setIconSize(QSize(64, 64))
            for fid in part[:60]:
                lst.addItem(QListWidgetItem(QIcon(pixmap_from_jpeg(library.store.crop(fid), 64)), ""))
            col.addWidget(lst)
            row.addLayout(col)
        lay.addLayout(row, 1)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        box.button(QDialogButtonBox.StandardButton.Ok).setEnabled(len(self.parts) > 1)
        lay.addWidget(box)


class PhotoDialog(QDialog):
    """A face's photo, shown on demand, with the face marked."""

    def __init__(self, path: str, box: list[float], parent=None):
        super().__init__(parent)
        from core.errors import FaceRecError
        from core.faces import load_image

        self.setWindowTitle(path)
        lay = QVBoxLayout(self)
        try:
            rgb = load_image(path)  # EXIF orientation applied, as the face's box is
        except FaceRecError as exc:
            lay.addWidget(QLabel(str(exc)))
            return
        h, w = rgb.shape[:2]
        pm = QPixmap.fromImage(QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())
        p = QPainter(pm)
        p.setPen(QPen(QColor(40, 200, 80), max(2, pm.width() // 300)))
        p.drawRect(int(box[0]), int(box[1]), int(box[2]), int(box[3]))
        p.end()
        label = QLabel()
        label.setPixmap(pm.scaled(1000, 700, Qt.AspectRatioMode.KeepAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation))
        lay.addWidget(label)
