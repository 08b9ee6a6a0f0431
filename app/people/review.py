"""The review queue ("Is this Ada?", one key to answer) and a photo with its face marked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPen, QPixmap, QShortcut
from PySide6.QtWidgets import QDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app.crops import image_from_jpeg
from app.widgets import count_text
from app.workers import Job, while_alive

if TYPE_CHECKING:
    from core.library import Suggestion

FACE = 96


class ReviewQueue(QFrame):
    """One suggestion at a time, the most uncertain first; Y / N (or the buttons) answer it."""

    answered = Signal(object, bool)   # the Suggestion, yes

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMaximumHeight(120)
        self.items: list[Suggestion] = []
        self.images: dict[tuple[str, int], QImage] = {}    # each question's face, decoded in the job
        lay = QHBoxLayout(self)
        self.face = QLabel()
        self.face.setFixedSize(FACE, FACE)
        self.question = QLabel("Review: nothing to confirm.")
        self.question.setWordWrap(True)
        self.yes, self.no = QPushButton("Yes (Y)"), QPushButton("No (N)")
        for key, b in (("Y", self.yes), ("N", self.no)):   # anywhere in the tab, never in another tab
            QShortcut(QKeySequence(key), parent or self, activated=b.click,
                      context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.yes.clicked.connect(lambda: self._answer(True))
        self.no.clicked.connect(lambda: self._answer(False))
        lay.addWidget(self.face)
        lay.addWidget(self.question, 1)
        lay.addWidget(self.yes)
        lay.addWidget(self.no)
        self._show()

    def load(self, library, jobs) -> None:
        def work():
            items = library.review(limit=50)
            # the face shown with each question, read and decoded here rather than on the GUI thread
            return items, {(s.kind, s.id): image_from_jpeg(library.cover(s.id) if s.kind == "group"
                                                           else library.crop(s.id), FACE) for s in items}

        job = Job(work, plain=True, name="review queue")
        job.signals.result.connect(while_alive(self, lambda out: self._set(library, *out)))
        jobs.start(job)

    def _set(self, library, items: list[Suggestion], images: dict[tuple[str, int], QImage]) -> None:
        self.library, self.items, self.images = library, items, images
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
        image = self.images.get((s.kind, s.id))
        self.face.setPixmap(QPixmap.fromImage(image if image is not None else image_from_jpeg(None, FACE)))
        what = f"this group ({count_text(s.faces)})" if s.kind == "group" and s.faces is not None else f"this {s.kind}"
        likely = "likely" if s.likely else "perhaps"
        self.question.setText(f"<b>Is {what} {s.person}?</b><br>{likely}: similarity {s.score:.2f}, "
                              f"the naming threshold is {s.threshold:.2f}. {len(self.items)} to review.")

    def _answer(self, yes: bool) -> None:
        if self.items:
            s = self.items.pop(0)
            self._show()
            self.answered.emit(s, yes)


def marked_photo(path: str, box: Sequence[float], fit: tuple[int, int] = (1000, 700)) -> QImage:
    """The photo (EXIF orientation applied, as the face's box is) with the face marked, scaled to fit ``fit``:
    a QImage, made on any thread."""
    from core.faces import load_image

    rgb = load_image(path)
    h, w = rgb.shape[:2]
    img = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    p = QPainter(img)
    p.setPen(QPen(QColor(40, 200, 80), max(2, w // 300)))
    p.drawRect(int(box[0]), int(box[1]), int(box[2]), int(box[3]))
    p.end()
    return img.scaled(*fit, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


class PhotoDialog(QDialog):
    """A face's photo, shown on demand, with the face marked; the photo is decoded in a job (a 20 MP photo takes
    a moment), the dialog says so meanwhile."""

    def __init__(self, path: str, box: Sequence[float], jobs, parent=None):
        super().__init__(parent)
        from core.errors import describe

        self.setWindowTitle(path)
        lay = QVBoxLayout(self)
        self.label = QLabel("Opening the photo ...")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setMinimumSize(320, 240)
        lay.addWidget(self.label)
        job = Job(lambda: marked_photo(path, box), plain=True, name="open photo")
        job.signals.result.connect(while_alive(self, lambda img: self.label.setPixmap(QPixmap.fromImage(img))))
        job.signals.error.connect(while_alive(self, lambda e: self.label.setText(describe(e))))
        jobs.start(job)
