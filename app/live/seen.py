"""The Live tab's side list of who was seen: one row per track (best face, name or unknown, when, frames, score),
updated as the video runs; a stranger's row can be enrolled with its best faces; the log can be saved (CSV/JSON)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from app.live.video_view import to_qimage

ICON = 48


def _when(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}:{s:02d}"


def row_text(a) -> str:
    """"Ada · 0:03-0:41 · 950 frames · 0.71" for an appearance (:class:`core.live.appearances.Appearance`)."""
    score = f" · {a.score:.2f}" if a.score > -1 else ""
    live = "" if a.active else " (gone)"
    return f"{a.label}{live}\n{_when(a.first_seen)}-{_when(a.last_seen)} · {a.frames} frames{score}"


class SeenPanel(QWidget):
    """``refresh(log)`` shows an :class:`core.live.appearances.AppearanceLog`; ``enrollRequested(faces)`` asks the
    window to enrol a chosen unknown track's best faces (RGB crops)."""

    enrollRequested = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.log = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel("<b>Seen</b>"))
        self.list = QListWidget()
        self.list.setIconSize(QSize(ICON, ICON))
        self.list.setMinimumWidth(220)
        self.list.currentRowChanged.connect(self._selection)
        lay.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.enroll = QPushButton("Enroll ...")
        self.enroll.setToolTip("Enroll the chosen unknown person with their best faces from the video")
        self.enroll.setEnabled(False)
        self.enroll.clicked.connect(self._enroll)
        self.save = QPushButton("Save log ...")
        self.save.setToolTip("Save who was seen as CSV or JSON (a plain file where you choose)")
        self.save.setEnabled(False)   # until someone was seen
        self.save.clicked.connect(lambda: self.save_dialog())
        row.addWidget(self.enroll)
        row.addWidget(self.save)
        lay.addLayout(row)
        self._rows: dict[int, tuple[QListWidgetItem, str, int]] = {}   # track -> (item, text, faces shown)

    def refresh(self, log) -> None:
        """Bring the rows up to date with ``log`` (new tracks appended; changed rows rewritten)."""
        self.log = log
        self.save.setEnabled(log is not None and bool(log.entries))
        if log is None:
            return
        if len(log.entries) < len(self._rows):   # the log was cleared
            self.list.clear()
            self._rows.clear()
        for a in list(log.entries):
            text = row_text(a)
            have = self._rows.get(a.track_id)
            if have is None:
                item = QListWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, a.track_id)
                self.list.addItem(item)
                have = self._rows[a.track_id] = (item, "", -1)
            item, old, shown = have
            if text != old:
                item.setText(text)
            face = a.best_face
            key = id(face) if face is not None else -1
            if key != shown and face is not None:
                item.setIcon(QIcon(QPixmap.fromImage(to_qimage(face))))
            self._rows[a.track_id] = (item, text, key)
        self._selection(self.list.currentRow())

    def selected(self):
        item = self.list.currentItem()
        if item is None or self.log is None:
            return None
        return self.log.get(item.data(Qt.ItemDataRole.UserRole))

    def _selection(self, _row: int) -> None:
        a = self.selected()
        self.enroll.setEnabled(a is not None and a.name is None and bool(a.faces))

    def _enroll(self) -> None:
        a = self.selected()
        if a is not None and a.faces:
            self.enrollRequested.emit([c for _q, c in a.faces])

    def save_dialog(self) -> str | None:
        if self.log is None or not self.log.entries:
            return None
        path, _ = QFileDialog.getSaveFileName(self, "Save who was seen", "seen.csv", "CSV (*.csv);;JSON (*.json)")
        if not path:
            return None
        from PySide6.QtWidgets import QMessageBox

        from core.errors import FaceRecError

        try:
            self.log.save(path)
        except (OSError, FaceRecError) as exc:  # a read-only folder, a full disk, the app's own folder: said
            why = str(exc) if isinstance(exc, FaceRecError) else f"{exc.strerror or exc}."
            QMessageBox.warning(self, "Save who was seen", f"Could not save {path}: {why}")
            return None
        return path
