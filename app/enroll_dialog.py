"""Enrolment: from files (multi-select, drag and drop, folders) and from the live view (captures)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app.video_view import to_qimage
from app.workers import Job

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff)"


class _EnrollBase(QDialog):
    enrolled = Signal(object)  # EnrollReport

    def __init__(self, gallery, title: str, parent=None):
        super().__init__(parent)
        self.gallery = gallery
        self.setWindowTitle(title)
        self.resize(760, 560)
        self.lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row.addWidget(QLabel("Name:"))
        self.name = QComboBox()
        self.name.setEditable(True)
        self.name.addItems(gallery.names())
        self.name.setCurrentText("")
        self.name.lineEdit().setPlaceholderText("type a new name or choose someone enrolled")
        row.addWidget(self.name, 1)
        self.lay.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.results = QTableWidget(0, 3)
        self.results.setHorizontalHeaderLabels(["Image", "Result", "Reason"])
        self.results.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.job: Job | None = None

    def _buttons(self, go_label: str) -> QHBoxLayout:
        row = QHBoxLayout()
        self.go = QPushButton(go_label)
        self.go.clicked.connect(self.start)
        self.cancel_btn = QPushButton("Cancel")
        self.cancel_btn.setEnabled(False)
        self.cancel_btn.clicked.connect(lambda: self.job and self.job.cancel())
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row.addStretch(1)
        for b in (self.go, self.cancel_btn, close):
            row.addWidget(b)
        return row

    def items(self) -> list:
        raise NotImplementedError

    def start(self) -> None:
        name = self.name.currentText().strip()
        items = self.items()
        if not name:
            self.status.setText("Type a name first.")
            return
        if not items:
            self.status.setText("Nothing to enroll yet.")
            return
        self.progress.setRange(0, len(items))
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.go.setEnabled(False)
        self.cancel_btn.setEnabled(True)
        self.status.setText(f"Enrolling {len(items)} image(s) as {name} ...")
        self.job = Job(lambda progress, cancel: self.gallery.enroll(name, items, progress=progress, cancel=cancel))
        self.job.signals.progress.connect(lambda d, t, _p: self.progress.setValue(d))
        self.job.signals.result.connect(self._done)
        self.job.signals.error.connect(lambda m: self.status.setText(f"Stopped: {m}"))
        self.job.signals.finished.connect(self._finished)
        QThreadPool.globalInstance().start(self.job)

    def _finished(self) -> None:
        self.go.setEnabled(True)
        self.cancel_btn.setEnabled(False)

    def _done(self, report) -> None:
        self.results.setRowCount(0)
        rejected = {r.path: r for r in report.rejected}
        for item in self.labels():
            row = self.results.rowCount()
            self.results.insertRow(row)
            r = rejected.get(item)
            self.results.setItem(row, 0, QTableWidgetItem(Path(item).name))
            res = QTableWidgetItem("rejected" if r else "accepted")
            res.setForeground(Qt.GlobalColor.red if r else Qt.GlobalColor.darkGreen)
            self.results.setItem(row, 1, res)
            why = r.message[len(item) + 2:] if r and r.message.startswith(f"{item}: ") else (r.message if r else "")
            self.results.setItem(row, 2, QTableWidgetItem(f"{r.reason}: {why}" if r else ""))
        self.status.setText(f"{report.identity}: {report.added} added, {len(report.rejected)} rejected.")
        self.enrolled.emit(report)

    def labels(self) -> list[str]:
        return [str(i) for i in self.items()]


class EnrollFilesDialog(_EnrollBase):
    """Pick or drop files and folders; every image is shown as accepted or rejected with its reason."""

    def __init__(self, gallery, parent=None, paths: list[str] | None = None):
        super().__init__(gallery, "Enroll from files", parent)
        self.setAcceptDrops(True)
        row = QHBoxLayout()
        add = QPushButton("Add files ...")
        add.clicked.connect(self.add_files)
        addd = QPushButton("Add folder ...")
        addd.clicked.connect(self.add_folder)
        clear = QPushButton("Clear")
        row.addWidget(QLabel("Drop photos or folders here, or"))
        for b in (add, addd, clear):
            row.addWidget(b)
        row.addStretch(1)
        self.lay.addLayout(row)
        self.files = QListWidget()
        clear.clicked.connect(self.files.clear)
        self.lay.addWidget(self.files, 1)
        self.lay.addWidget(self.progress)
        self.lay.addWidget(self.results, 1)
        self.lay.addWidget(self.status)
        self.lay.addLayout(self._buttons("Enroll"))
        if paths:
            self.add_paths(paths)

    def add_paths(self, paths: list[str]) -> None:
        known = set(self.items())
        from core.imageio import expand_image_paths

        for p in expand_image_paths(paths, keep_missing=False):
            if p not in known:
                self.files.addItem(p)
                known.add(p)
        self.status.setText(f"{self.files.count()} image(s) ready.")

    def add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Photos of one person", "", IMAGE_FILTER)
        self.add_paths(paths)

    def add_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder of photos of one person")
        if d:
            self.add_paths([d])

    def items(self) -> list[str]:
        return [self.files.item(i).text() for i in range(self.files.count())]

    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        self.add_paths([u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()])


class EnrollLiveDialog(_EnrollBase):
    """Collect several captures of the selected face from the live view, then enroll them."""

    def __init__(self, gallery, grab_capture, parent=None):
        super().__init__(gallery, "Enroll from the live view", parent)
        self.grab_capture = grab_capture  # () -> RGB crop around the selected face, or None
        self.captures: list[np.ndarray] = []
        info = QLabel("Click a face in the live view to choose it, then add a few captures "
                      "(turn the head a little between them).")
        info.setWordWrap(True)
        self.lay.addWidget(info)
        row = QHBoxLayout()
        add = QPushButton("Add capture")
        add.clicked.connect(self.add_capture)
        row.addWidget(add)
        row.addStretch(1)
        self.lay.addLayout(row)
        self.strip = QListWidget()
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setIconSize(QSize(96, 96))
        self.lay.addWidget(self.strip, 1)
        self.lay.addWidget(self.progress)
        self.lay.addWidget(self.results, 1)
        self.lay.addWidget(self.status)
        self.lay.addLayout(self._buttons("Enroll captures"))

    def add_capture(self) -> None:
        crop = self.grab_capture()
        if crop is None:
            self.status.setText("No face in the live view to capture.")
            return
        self.captures.append(crop)
        pm = QPixmap.fromImage(to_qimage(crop)).scaled(96, 96, Qt.AspectRatioMode.KeepAspectRatio)
        self.strip.addItem(QListWidgetItem(QIcon(pm), f"capture {len(self.captures)}"))
        self.status.setText(f"{len(self.captures)} capture(s).")

    def items(self) -> list:
        return list(self.captures)

    def labels(self) -> list[str]:
        return [f"capture-{i}" for i in range(len(self.captures))]
