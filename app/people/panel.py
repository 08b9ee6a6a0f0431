"""The People tab: scan a photo library, see everyone in it as groups of faces, name a group once, fix mistakes.

Left: people and unnamed groups (drag one onto another to merge); right: the selected group's faces, with the
actions that fix a group (name, merge, split, hide, "not this person", "not a face", move) and the review queue
("Is this Ada?"). Every action is a core decision, run off the GUI thread; Undo reverses the last one.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListView,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.gallery.panel import count_text
from app.people.models import ID_ROLE, UNSORTED, FacesModel, GroupsModel
from app.people.review import ReviewQueue
from app.workers import Job, while_alive


def group_label(row: dict) -> str:
    return "Unsorted faces" if row["id"] == UNSORTED else row["name"] or f"Unnamed #{row['id']}"


def icon_view(model, icon: int, grid: QSize) -> QListView:
    v = QListView()
    v.setModel(model)
    v.setViewMode(QListView.ViewMode.IconMode)
    v.setIconSize(QSize(icon, icon))
    v.setGridSize(grid)
    v.setResizeMode(QListView.ResizeMode.Adjust)
    v.setUniformItemSizes(True)
    v.setLayoutMode(QListView.LayoutMode.Batched)
    return v


class PeoplePanel(QWidget):
    message = Signal(str)
    changed = Signal()          # the gallery may have changed (a named group is enrolled)

    def __init__(self, jobs, parent=None):
        super().__init__(parent)
        self.jobs, self.library, self.scan_job = jobs, None, None
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.btn_scan = QPushButton("Scan a folder ...")
        self.btn_rescan = QPushButton("Re-scan")
        self.btn_cancel = QPushButton("Cancel")
        self.btn_undo = QPushButton("Undo")
        self.show_hidden = QCheckBox("Show hidden")
        self.btn_hide_all = QPushButton("Hide all unnamed groups ...")
        for w in (self.btn_scan, self.btn_rescan, self.btn_cancel, self.btn_undo, self.show_hidden,
                  self.btn_hide_all):
            top.addWidget(w)
        top.addStretch(1)
        lay.addLayout(top)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.status = QLabel("Scan a folder of photos: every face is found and grouped into people; name a group "
                             "once and every photo of that person is found.")
        self.status.setWordWrap(True)
        lay.addWidget(self.progress)
        lay.addWidget(self.status)

        split = QSplitter()
        self.groups = GroupsModel(self)
        self.groups.drop_merge = self._merge_drop
        self.group_view = icon_view(self.groups, 88, QSize(128, 136))
        self.group_view.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.group_view.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.group_view.selectionModel().currentChanged.connect(lambda cur, _p: self._open_group(cur))
        split.addWidget(self.group_view)
        right = QWidget()
        rl = QVBoxLayout(right)
        self.title = QLabel("")
        rl.addWidget(self.title)
        acts = QHBoxLayout()
        self.buttons = {}
        for label, slot in (("Name ...", self.name_group), ("Merge into ...", self.merge_into),
                            ("Split", self.split_group), ("Hide", self.hide_group),
                            ("Not this person", self.reject_faces), ("Not a face", self.not_faces),
                            ("Move to ...", self.move_faces), ("Forget ...", self.forget_group)):
            b = QPushButton(label)
            b.clicked.connect(slot)
            acts.addWidget(b)
            self.buttons[label] = b
        rl.addLayout(acts)
        self.faces = FacesModel(self)
        self.face_view = icon_view(self.faces, 96, QSize(108, 108))
        self.face_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.face_view.doubleClicked.connect(self._show_photo)
        rl.addWidget(self.face_view, 3)
        self.review = ReviewQueue(self)
        self.review.answered.connect(self._answer)
        rl.addWidget(self.review, 1)
        split.addWidget(right)
        split.setSizes([420, 700])
        lay.addWidget(split, 1)

        self.btn_scan.clicked.connect(self.scan_folder)
        self.btn_rescan.clicked.connect(lambda: self.scan(self.library.store.folders() if self.library else []))
        self.btn_cancel.clicked.connect(lambda: self.scan_job and self.scan_job.cancel())
        self.btn_undo.clicked.connect(lambda: self._decide(lambda lib: lib.undo(), "Undone."))
        self.btn_hide_all.clicked.connect(self.hide_all)
        self.show_hidden.toggled.connect(self._toggle_hidden)
        QShortcut(QKeySequence.StandardKey.Undo, self, activated=self.btn_undo.click)
        self.live_refresh = QTimer(self)      # a long scan shows its people as it goes (grouped every 500 photos)
        self.live_refresh.setInterval(10_000)
        self.live_refresh.timeout.connect(self.refresh)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.face_view, activated=self.reject_faces)
        self._set_busy(False)

    # ------------------------------------------------------------ state

    def set_library(self, library) -> None:
        """Show ``library`` (None: none, while the engine reloads)."""
        self.library = library
        self.groups.library = library
        if library is None:
            self.groups.set_rows([], 0)
            self.faces.show_group(None, None)
        self.refresh()

    def _set_busy(self, scanning: bool) -> None:
        (self.live_refresh.start if scanning else self.live_refresh.stop)()
        self.btn_cancel.setVisible(scanning)
        self.progress.setVisible(scanning)
        for b in (self.btn_scan, self.btn_rescan):
            b.setEnabled(not scanning and self.library is not None)

    def refresh(self) -> None:
        if self.library is None:
            return
        self.btn_rescan.setEnabled(bool(self.library.store.folders()) and self.scan_job is None)
        self.btn_scan.setEnabled(self.scan_job is None)
        current = self.selected_group()
        if current == UNSORTED and not any(r["id"] != UNSORTED for r in self.groups.rows):
            current = None  # it was selected only because nothing else was there yet: show the first person now
        rows = self.library.store.people()
        c = self.library.store.counts()
        unsorted = c["unsorted"]
        self.groups.set_rows(rows, unsorted)
        named = sum(1 for r in rows if r["name"])
        unnamed = len(rows) - named
        self.status.setText(f"{c['photos']} photos, {c['faces']} faces: {named} {'person' if named == 1 else 'people'} "
                            f"named, {count_text(unnamed, 'unnamed group')}, {count_text(unsorted, 'unsorted face')} "
                            f"({self.library.root}).")
        ids = [r["id"] for r in self.groups.rows]
        row = ids.index(current) if current in ids else (0 if ids else -1)
        if row >= 0:
            self.group_view.setCurrentIndex(self.groups.index(row))
        self._open_group(self.groups.index(row) if row >= 0 else None)
        self.review.load(self.library, self.jobs)

    def _toggle_hidden(self, on: bool) -> None:
        self.groups.show_hidden = on
        self.refresh()

    def selected_group(self) -> int | None:
        i = self.group_view.currentIndex()
        return i.data(ID_ROLE) if i.isValid() else None

    def selected_faces(self) -> list[int]:
        return [i.data(ID_ROLE) for i in self.face_view.selectionModel().selectedIndexes()]

    def _open_group(self, index) -> None:
        gid = index.data(ID_ROLE) if index is not None and index.isValid() else None
        self.faces.show_group(self.library if gid is not None else None, gid)
        row = next((r for r in self.groups.rows if r["id"] == gid), None)
        if row is None:
            self.title.setText("")
        else:
            self.title.setText(f"<b>{group_label(row)}</b> ({row['faces']} faces)")
        for label, b in self.buttons.items():
            b.setEnabled(gid is not None and (gid != UNSORTED or label in ("Not a face", "Move to ...")))

    # ------------------------------------------------------------ scan

    def scan_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of photos to scan")
        if folder:
            self.scan([folder])

    def scan(self, folders: list[str]) -> None:
        if self.library is None or not folders or self.scan_job is not None:
            return
        from core.errors import describe

        lib, t0 = self.library, time.monotonic()
        job = Job(lambda progress, cancel: lib.scan(folders, progress=progress, cancel=cancel), name="library scan")

        def progress(done: int, total: int, _item: str) -> None:
            self.progress.setMaximum(max(total, 1))
            self.progress.setValue(done)
            rate = done / max(time.monotonic() - t0, 1e-6)
            eta = (total - done) / rate if rate > 0 else 0
            self.progress.setFormat(f"{done} of {total} photos, {rate:.1f}/s, about {eta / 60:.0f} min left"
                                    if eta >= 90 else f"{done} of {total} photos, {rate:.1f}/s, {eta:.0f} s left")

        def finished() -> None:
            self.scan_job = None
            self._set_busy(False)
            self.refresh()

        job.signals.progress.connect(while_alive(self, progress))
        job.signals.result.connect(while_alive(self, lambda rep: self.message.emit(
            f"Scanned: {rep['analysed']} new or changed photos, {rep['faces_found']} faces, "
            f"{rep['removed_photos']} removed; {rep['grouping']['groups']} groups.")))
        job.signals.error.connect(while_alive(self, lambda e: self.message.emit(describe(e))))
        job.signals.finished.connect(while_alive(self, finished))
        self.scan_job = job
        self._set_busy(True)
        self.progress.setMaximum(0)
        self.jobs.start(job)

    # ------------------------------------------------------------ decisions

    def _decide(self, fn, done: str) -> None:
        if self.library is None:
            return
        from core.errors import describe

        lib = self.library
        job = Job(lambda: fn(lib), plain=True, name="people decision")
        job.signals.result.connect(while_alive(self, lambda _r: (self.message.emit(done), self.refresh(),
                                                                 self.changed.emit())))
        job.signals.error.connect(while_alive(self, lambda e: QMessageBox.warning(self, "People", describe(e))))
        self.jobs.start(job)

    def _group_choice(self, title: str, exclude: int | None) -> int | None:
        rows = [r for r in self.groups.rows if r["id"] not in (UNSORTED, exclude)]
        labels = [f"{group_label(r)} ({r['faces']})" for r in rows]
        choice, ok = QInputDialog.getItem(self, title, title, labels, 0, False)
        return rows[labels.index(choice)]["id"] if ok and choice else None

    def name_group(self) -> None:
        gid = self.selected_group()
        name, ok = QInputDialog.getText(self, "Name", "Who is this? (their best faces are also enrolled in the "
                                                      "gallery, so they are recognised live too)")
        if ok and name.strip():
            self._decide(lambda lib: lib.name(gid, name.strip()), f"Named {name.strip()}.")

    def merge_into(self) -> None:
        gid = self.selected_group()
        target = self._group_choice("Merge into", gid)
        if target is not None:
            self._decide(lambda lib: lib.merge(gid, target), "Merged.")

    def _merge_drop(self, source: int, target: int) -> None:
        if QMessageBox.question(self, "Merge", "These two groups are one person?") == QMessageBox.StandardButton.Yes:
            self._decide(lambda lib: lib.merge(source, target), "Merged.")

    def split_group(self) -> None:
        from app.people.review import SplitDialog

        gid = self.selected_group()
        dlg = SplitDialog(self.library, gid, self)
        if dlg.exec():
            parts = dlg.parts
            self._decide(lambda lib: lib.split(gid, parts), f"Split into {len(parts)} groups.")

    def hide_group(self) -> None:
        gid = self.selected_group()
        self._decide(lambda lib: lib.ignore([gid]), "Hidden (Show hidden brings it back; Undo too).")

    def hide_all(self) -> None:
        n, ok = QInputDialog.getInt(self, "Hide unnamed groups", "Hide every unnamed group of at most this many "
                                    "faces (strangers seen once or twice):", 3, 1, 100000)
        if ok:
            self._decide(lambda lib: lib.ignore(None, max_faces=n), f"Hid the unnamed groups of up to {n} faces.")

    def reject_faces(self) -> None:
        gid, faces = self.selected_group(), self.selected_faces()
        if faces and gid not in (None, UNSORTED):
            self._decide(lambda lib: [lib.reject(f, gid) for f in faces],
                         f"{len(faces)} face(s) will never be grouped with this person again.")

    def not_faces(self) -> None:
        faces = self.selected_faces()
        if faces:
            self._decide(lambda lib: [lib.not_a_face(f) for f in faces], f"{len(faces)} marked as not a face.")

    def move_faces(self) -> None:
        faces = self.selected_faces()
        target = self._group_choice("Move to", self.selected_group()) if faces else None
        if target is not None:
            self._decide(lambda lib: [lib.move(f, target) for f in faces], f"Moved {len(faces)} face(s).")

    def forget_group(self) -> None:
        gid = self.selected_group()
        row = next((r for r in self.groups.rows if r["id"] == gid), None)
        if row is None or gid == UNSORTED:
            return
        text = (f"Forget {group_label(row)}? Their {row['faces']} faces, crops and embeddings are erased from this "
                "computer, in the photo library and the gallery; their photos stay. This cannot be undone.")
        if QMessageBox.question(self, "Forget", text) == QMessageBox.StandardButton.Yes:
            self._decide(lambda lib: lib.forget(gid), f"Forgot {group_label(row)}.")

    def _answer(self, suggestion: dict, yes: bool) -> None:
        if suggestion["kind"] == "group":
            if yes:
                self._decide(lambda lib: lib.name(suggestion["id"], suggestion["person"]),
                             f"Named {suggestion['person']}.")
            else:
                self._decide(lambda lib: lib.reject_suggestion(suggestion), "Noted: not them.")
        elif yes:
            self._decide(lambda lib: lib.confirm_face(suggestion["id"], suggestion["person"]),
                         f"Added to {suggestion['person']}.")
        else:
            self._decide(lambda lib: lib.reject_suggestion(suggestion), "Noted: not them.")

    def _show_photo(self, index) -> None:
        from app.people.review import PhotoDialog

        f = self.faces.rows[index.row()]
        PhotoDialog(f["photo"], f["box"], self).exec()
