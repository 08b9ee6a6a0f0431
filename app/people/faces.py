"""Faces shown in the People tab's dialogs: a strip of a group's best faces, read and decoded off the GUI
thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QLabel, QListView, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.crops import icon_of, image_from_jpeg
from app.workers import Job, while_alive

if TYPE_CHECKING:
    from core.library import Face

FACE = 96          # a face crop is 112 px: shown at a size one can recognise someone at
Shown = tuple["Face", QImage]   # a face and its crop, decoded (in a job) at the size shown


def decoded(faces: list[Face], size: int = FACE) -> list[Shown]:
    """Faces (read with their crops) with the crops decoded: for a job, never the GUI thread."""
    return [(f, image_from_jpeg(f.crop, size)) for f in faces]


def load_faces(owner, jobs, library, groups: dict, done, limit: int = 12) -> None:
    """Load ``{key: group id}``'s best faces (with crops, decoded) in a job; ``done({key: [(face, image)]})`` on
    the GUI thread while ``owner`` lives. A group id of None or -1 has no faces here (a person only in the
    gallery)."""
    def work():
        return {k: decoded(library.faces_of(g, limit=limit, with_crops=True)) if g is not None and g >= 0 else []
                for k, g in groups.items()}

    job = Job(work, plain=True, name="faces of groups")
    job.signals.result.connect(while_alive(owner, done))
    jobs.start(job)


class FaceStrip(QWidget):
    """A title and a wrapping grid of face crops (``set_faces``), each with its photo as tooltip."""

    def __init__(self, title: str = "", size: int = FACE, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel(title)
        self.title.setWordWrap(True)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setIconSize(QSize(size, size))
        self.list.setGridSize(QSize(size + 8, size + 8))
        self.list.setSelectionMode(QListWidget.SelectionMode.NoSelection)
        self.list.setMinimumSize(2 * (size + 8) + 24, size + 24)
        self.size = size
        self.list.addItem(QListWidgetItem("loading ..."))
        lay.addWidget(self.title)
        lay.addWidget(self.list, 1)

    def set_faces(self, faces: list[Shown], empty: str = "no faces in the photo library") -> None:
        """Show faces decoded by :func:`decoded` (at this strip's size)."""
        self.list.clear()
        for f, image in faces:
            item = QListWidgetItem(icon_of(image), "")
            item.setToolTip(f"{f.photo}\nquality {f.quality:.2f}")
            item.setSizeHint(QSize(self.size + 8, self.size + 8))
            self.list.addItem(item)
        if not faces:
            self.list.addItem(QListWidgetItem(empty))

    def faces_shown(self) -> int:
        return sum(1 for i in range(self.list.count()) if not self.list.item(i).icon().isNull())
