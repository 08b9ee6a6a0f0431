"""Enrolment that shows faces, not paths: from files (multi-select, folders, drag and drop) and from the live
view (captures). Photos appear as thumbnails with their faces boxed, the quality of the face to enrol and what
will happen in words; in a photo with several faces a click picks the one to enrol."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from app.gallery.photo_grid import PhotoGrid
from app.workers import Job

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.webp *.tif *.tiff)"
VIDEO_FILTER = "Videos (*.mp4 *.avi *.mov *.mkv *.webm *.m4v);;All files (*)"


def pick_video(parent) -> str:
    return QFileDialog.getOpenFileName(parent, "Open a video", "", VIDEO_FILTER)[0]


def pick_image(parent) -> str:
    return QFileDialog.getOpenFileName(parent, "Open an image", "", IMAGE_FILTER)[0]


def pick_folder(parent) -> str:
    return QFileDialog.getExistingDirectory(parent, "Open a folder of images")


class _EnrollBase(QDialog):
    enrolled = Signal(object)  # EnrollReport
    previewed = Signal()

    def __init__(self, gallery, jobs, title: str, parent=None):
        super().__init__(parent)
        self.gallery, self.jobs = gallery, jobs
        self.setWindowTitle(title)
        self.resize(860, 640)   # four photos a row
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
        self.grid = PhotoGrid()
        self.grid.picked.connect(self.pick)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.picks: dict[str, int] = {}
        self.previews: dict[str, object] = {}
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

    def labels(self) -> list[str]:
        return [str(i) for i in self.items()]

    # ------------------------------------------------------------ preview

    def _preview(self, items: list, labels: list[str], picks: dict[str, int] | None = None) -> None:
        from core.errors import describe
        from core.gallery import preview_photo

        analyzer, min_px, min_q = (self.gallery.enrol_analyzer, self.gallery.settings.min_face_px,
                                   self.gallery.settings.min_quality)

        def work(progress, cancel):
            out = []
            for i, (item, label) in enumerate(zip(items, labels)):
                if cancel():
                    break
                img = None if isinstance(item, str) else item
                pv = preview_photo(analyzer, item if isinstance(item, str) else label, min_px,
                                   (picks or {}).get(label), image=img, min_quality=min_q)
                pv.path = label
                out.append(pv)
                progress(i + 1, len(items), label)
            return out

        job = Job(work, name="enrol preview")
        job.signals.result.connect(self._previewed)
        job.signals.error.connect(lambda e: self.status.setText(describe(e)))
        self.jobs.start(job)

    def _previewed(self, previews) -> None:
        for pv in previews:
            self.previews[pv.path] = pv
            self.grid.set_preview(pv)
        ready = sum(p.chosen is not None for p in self.previews.values())
        self.status.setText(f"{len(self.previews)} photo(s): {ready} ready to enrol.")
        self.previewed.emit()

    def pick(self, label: str, index: int) -> None:
        """A click on a face in a photo with several: enrol that one."""
        self.picks[label] = index
        item = dict(zip(self.labels(), self.items())).get(label)
        if item is not None:
            self._preview([item], [label], self.picks)

    # ------------------------------------------------------------ enrol

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
        self.status.setText(f"Enrolling {len(items)} photo(s) as {name} ...")
        from core.errors import describe

        picks = dict(self.picks)
        self.job = Job(lambda progress, cancel: self.gallery.enroll(name, items, progress=progress, cancel=cancel,
                                                                    choose=picks), name=f"enrol {name}")
        self.job.signals.progress.connect(lambda d, t, _p: self.progress.setValue(d))
        self.job.signals.result.connect(self._done)
        self.job.signals.error.connect(lambda e: self.status.setText(f"Stopped: {describe(e)}"))
        self.job.signals.finished.connect(self._finished)
        self.jobs.start(self.job)

    def _finished(self) -> None:
        self.go.setEnabled(True)
        self.cancel_btn.setEnabled(False)

    def _done(self, report) -> None:
        from core.gallery import in_words

        rejected = {r.path: r for r in report.rejected}
        for label in self.labels():
            tile = self.grid.tiles.get(label)
            if tile is None:
                continue
            r = rejected.get(label)
            faces = len(tile.preview.boxes)
            tile.update_preview(tile.preview, "enrolled" if r is None else in_words(r.reason, r.message, faces),
                                ok=r is None)
        text = f"{report.identity}: {report.added} added, {len(report.rejected)} not enrolled."
        if report.warnings:
            text += " " + " ".join(report.warnings)
        self.status.setText(text)
        self.enrolled.emit(report)

    def result_of(self, label: str) -> str:
        """What a photo's tile says now (accepted/rejected in words)."""
        tile = self.grid.tiles.get(label)
        return tile.result or tile.preview.words if tile else ""


class EnrollFilesDialog(_EnrollBase):
    """Pick or drop files and folders; every photo is shown with its faces and what will happen."""

    def __init__(self, gallery, jobs, parent=None, paths: list[str] | None = None):
        super().__init__(gallery, jobs, "Enroll from files", parent)
        self.setAcceptDrops(True)
        row = QHBoxLayout()
        add = QPushButton("Add files ...")
        add.clicked.connect(self.add_files)
        addd = QPushButton("Add folder ...")
        addd.clicked.connect(self.add_folder)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.clear)
        row.addWidget(QLabel("Drop photos or folders here, or"))
        for b in (add, addd, clear):
            row.addWidget(b)
        row.addStretch(1)
        self.lay.addLayout(row)
        self.lay.addWidget(self.grid, 1)
        self.lay.addWidget(self.progress)
        self.lay.addWidget(self.status)
        self.lay.addLayout(self._buttons("Enroll"))
        self.paths: list[str] = []
        if paths:
            self.add_paths(paths)

    def add_paths(self, paths: list[str]) -> None:
        from core.faces import expand_image_paths

        new = [p for p in expand_image_paths(paths, keep_missing=False) if p not in self.paths]
        self.paths += new
        if new:
            self.status.setText(f"Looking at {len(new)} photo(s) ...")
            self._preview(new, new)

    def clear(self) -> None:
        self.paths.clear()
        self.picks.clear()
        self.previews.clear()
        self.grid.clear()
        self.status.setText("")

    def add_files(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Photos of one person", "", IMAGE_FILTER)
        self.add_paths(paths)

    def add_folder(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Folder of photos of one person")
        if d:
            self.add_paths([d])

    def items(self) -> list[str]:
        return list(self.paths)

    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls():
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        self.add_paths([u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()])


class EnrollLiveDialog(_EnrollBase):
    """Collect several captures of the selected face from the live view, then enroll them."""

    def __init__(self, gallery, jobs, grab_capture, parent=None):
        super().__init__(gallery, jobs, "Enroll from the live view", parent)
        self.grab_capture = grab_capture  # () -> RGB crop around the selected face, or None
        self.captures: list[np.ndarray] = []
        info = QLabel("Click a face in the live view to choose it, then add a few captures "
                      "(turn the head a little between them).")
        info.setWordWrap(True)
        self.lay.addWidget(info)
        add = QPushButton("Add capture")
        add.clicked.connect(self.add_capture)
        self.lay.addWidget(add)
        self.lay.addWidget(self.grid, 1)
        self.lay.addWidget(self.progress)
        self.lay.addWidget(self.status)
        self.lay.addLayout(self._buttons("Enroll captures"))

    def add_capture(self) -> None:
        crop = self.grab_capture()
        if crop is None:
            self.status.setText("No face in the live view to capture.")
            return
        self.captures.append(crop)
        label = self.labels()[-1]
        self._preview([crop], [label])

    def items(self) -> list:
        return list(self.captures)

    def labels(self) -> list[str]:
        from core.faces import capture_label

        return [capture_label(i) for i in range(len(self.captures))]
