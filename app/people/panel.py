"""The People tab: scan a photo library, see everyone in it as groups of faces, name a group once, fix mistakes.

Left: people and unnamed groups (drag one onto another to merge); right: the selected group's faces, with the
actions that fix a group (name, merge, split, hide, "not this person", "not a face", move) and the review queue
("Is this Ada?"). Every action is a core decision, run off the GUI thread (:mod:`app.people.actions`); Undo
reverses the last one and says which. An empty library shows what to do first.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.people.actions import Decisions
from app.people.models import ID_ROLE, UNSORTED, FacesModel, GroupsModel, group_label
from app.people.review import ReviewQueue
from app.people.views import GroupView, icon_view
from app.widgets import count_text
from app.workers import Job, while_alive

if TYPE_CHECKING:
    from core.library import Counts, LastDecision

EMPTY_HINT = "Add a folder of photos to find the people in it"


def keep_place(w: QWidget) -> None:
    """Hiding ``w`` leaves its place empty, so nothing next to it moves."""
    p = w.sizePolicy()
    p.setRetainSizeWhenHidden(True)
    w.setSizePolicy(p)


def people_text(n: int) -> str:
    return f"{n} {'person' if n == 1 else 'people'}"


class PeoplePanel(Decisions, QWidget):
    message = Signal(str)
    changed = Signal()          # the gallery may have changed (a named group is enrolled)
    GROUP_GRID = QSize(140, 172)     # the face, a name of up to three lines and the count

    def __init__(self, jobs, parent=None):
        super().__init__(parent)
        self.jobs, self.library, self.scan_job, self.dialog = jobs, None, None, None
        self._folders: list[str] = []
        self._want: int | None = None        # the group to select after the next refresh (a merge's target)
        self._generation = 0
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.btn_scan = QPushButton("Scan a folder ...")
        self.btn_rescan = QPushButton("Re-scan")
        self.btn_folders = QPushButton("Folders ...")
        self.btn_folders.setToolTip("The library's folders; remove one (its photos and faces leave the library)")
        self.btn_cancel = QPushButton("Cancel")
        keep_place(self.btn_cancel)
        self.btn_undo = QPushButton("Undo")
        self.show_hidden = QCheckBox("Show hidden")
        self.btn_hide_all = QPushButton("Hide all unnamed groups ...")
        for w in (self.btn_scan, self.btn_rescan, self.btn_folders, self.btn_cancel, self.btn_undo, self.show_hidden,
                  self.btn_hide_all):
            top.addWidget(w)
        top.addStretch(1)
        lay.addLayout(top)
        self.progress = QProgressBar()
        keep_place(self.progress)
        self.progress.setVisible(False)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.notice = QLabel("")          # what the last action did ("Undid naming group 12 as “Ada” ...")
        self.notice.setWordWrap(True)
        for w in (self.progress, self.status, self.notice):
            lay.addWidget(w)

        self.pages = QStackedWidget()
        empty = QWidget()
        el = QVBoxLayout(empty)
        el.addStretch(1)
        self.empty_hint = QLabel(f"<h3>{EMPTY_HINT}</h3>Every face is found and grouped into people; name a group "
                                 "once and every photo of that person is found. Nothing leaves this computer.")
        self.empty_hint.setWordWrap(True)
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.btn_empty_scan = QPushButton("Add a folder of photos ...")
        self.btn_empty_scan.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        el.addWidget(self.empty_hint)
        el.addWidget(self.btn_empty_scan, 0, Qt.AlignmentFlag.AlignCenter)
        el.addStretch(2)
        self.pages.addWidget(empty)

        split = QSplitter()
        self.split = split
        self.groups = GroupsModel(jobs, self)
        self.groups.drop_merge = self._merge_drop
        self.group_view = GroupView(self.groups, 88, self.GROUP_GRID)
        self.group_view.setMinimumWidth(2 * self.GROUP_GRID.width() + 30)   # never fewer than two columns
        self.group_view.selectionModel().currentChanged.connect(lambda cur, _p: self._open_group(cur))
        split.addWidget(self.group_view)
        right = QWidget()
        rl = QVBoxLayout(right)
        self.title = QLabel("")
        rl.addWidget(self.title)
        acts = QGridLayout()           # two rows of four: the faces keep their room in a 1024 px window
        self.buttons = {}
        for i, (label, slot) in enumerate((("Name ...", self.name_group), ("Merge into ...", self.merge_into),
                                           ("Split ...", self.split_group), ("Hide", self.hide_group),
                                           ("Not this person", self.reject_faces), ("Not a face", self.not_faces),
                                           ("Move to ...", self.move_faces), ("Forget ...", self.forget_group))):
            b = QPushButton(label)
            b.clicked.connect(lambda _checked=False, slot=slot: slot())
            acts.addWidget(b, i // 4, i % 4)
            self.buttons[label] = b
        rl.addLayout(acts)
        self.faces = FacesModel(jobs, self)
        self.face_view = icon_view(self.faces, 96, QSize(108, 108))
        self.face_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.face_view.doubleClicked.connect(self._show_photo)
        rl.addWidget(self.face_view, 3)
        self.review = ReviewQueue(self)
        self.review.answered.connect(self._answer)
        rl.addWidget(self.review, 1)
        split.addWidget(right)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([480, 540])
        self.pages.addWidget(split)
        lay.addWidget(self.pages, 1)

        self.btn_scan.clicked.connect(self.scan_folder)
        self.btn_empty_scan.clicked.connect(self.scan_folder)
        self.btn_rescan.clicked.connect(lambda: self.scan(list(self._folders)))
        self.btn_folders.clicked.connect(self.show_folders)
        self.btn_cancel.clicked.connect(lambda: self.scan_job and self.scan_job.cancel())
        self.btn_undo.clicked.connect(self.undo)
        self.btn_hide_all.clicked.connect(self.hide_all)
        self.show_hidden.toggled.connect(self._toggle_hidden)
        undo = QShortcut(QKeySequence.StandardKey.Undo, self, activated=self.btn_undo.click)
        undo.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)   # Ctrl+Z in another tab is not for us
        self.live_refresh = QTimer(self)      # a long scan shows its people as it goes (grouped every 500 photos)
        self.live_refresh.setInterval(10_000)
        self.live_refresh.timeout.connect(self.refresh)
        QShortcut(QKeySequence(Qt.Key.Key_Delete), self.face_view, activated=self.reject_faces)
        rename = QShortcut(QKeySequence(Qt.Key.Key_F2), self, activated=self.name_group)   # F2: name the group
        rename.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self._set_undo(None)
        self._set_busy(False)
        self._show_counts(None)

    # ------------------------------------------------------------ state

    def set_library(self, library) -> None:
        """Show ``library`` (None: none, while the engine reloads)."""
        self.library = library
        self.groups.library = library
        self.groups.icons.reset(keep=False)     # another library's ids are other faces
        if library is None:
            self.groups.set_rows([], 0)
            self.faces.show_group(None, None)
            self._set_undo(None)
        self._set_busy(self.scan_job is not None)
        self.refresh()

    def _set_busy(self, scanning: bool) -> None:
        (self.live_refresh.start if scanning else self.live_refresh.stop)()
        self.btn_cancel.setVisible(scanning)
        self.progress.setVisible(scanning)
        for b in (self.btn_scan, self.btn_empty_scan):
            b.setEnabled(not scanning and self.library is not None)
        self.btn_rescan.setEnabled(not scanning and bool(self._folders))
        self.btn_folders.setEnabled(not scanning and self.library is not None)

    def _set_undo(self, last: LastDecision | None) -> None:
        self.btn_undo.setEnabled(last is not None)
        self.btn_undo.setToolTip(f"Undo {last.text} (Ctrl+Z)" if last else "Nothing to undo")

    def refresh(self) -> None:
        """Read the groups, counts, folders and the last decision in a job, then show them."""
        if self.library is None:
            return
        lib = self.library
        self._generation += 1
        gen = self._generation

        def work():
            return {"rows": lib.groups(), "counts": lib.counts(), "folders": [f.path for f in lib.folders()],
                    "last": lib.last_decision()}

        job = Job(work, plain=True, name="people refresh")
        job.signals.result.connect(while_alive(self, lambda data: gen == self._generation and self._apply(lib, data)))
        self.jobs.start(job)

    def _apply(self, lib, data: dict) -> None:
        if lib is not self.library:
            return
        current = self._want if self._want is not None else self.selected_group()
        self._want = None
        if current == UNSORTED and not any(r.id != UNSORTED for r in self.groups.rows):
            current = None  # it was selected only because nothing else was there yet: show the first person now
        c = data["counts"]
        self._folders = data["folders"]
        self.groups.set_rows(data["rows"], c.unsorted)
        self._show_counts(c)
        self._set_undo(data["last"])
        self._set_busy(self.scan_job is not None)
        self.pages.setCurrentIndex(0 if not c.photos and not self.groups.rows else 1)
        ids = [r.id for r in self.groups.rows]
        row = ids.index(current) if current in ids else (0 if ids else -1)
        if row >= 0:
            self.group_view.setCurrentIndex(self.groups.index(row))
            self.group_view.scrollTo(self.groups.index(row))
        self._open_group(self.groups.index(row) if row >= 0 else None)
        self.review.load(lib, self.jobs)

    def _show_counts(self, c: Counts | None) -> None:
        if c is None or not (c.photos or self.groups.rows):
            self.status.setText("" if c is None else "No photos in the library yet.")
            return
        shown = [r for r in self.groups.rows if r.id != UNSORTED]
        named = sum(1 for r in shown if r.name)
        hidden = self.groups.hidden
        text = (f"{count_text(c.photos, 'photo')}, {count_text(c.faces)}: {people_text(named)} named, "
                f"{count_text(len(shown) - named, 'unnamed group')}, {count_text(c.unsorted, 'unsorted face')}")
        if hidden:
            text += (f" ({hidden} of these hidden)" if self.groups.show_hidden else
                     f"; {count_text(hidden, 'group')} hidden (Show hidden shows {'it' if hidden == 1 else 'them'})")
        self.status.setText(f"{text}.")
        self.status.setToolTip(str(self.library.root) if self.library is not None else "")

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
        row = next((r for r in self.groups.rows if r.id == gid), None)
        self.title.setText("" if row is None else f"<b>{group_label(row)}</b> ({count_text(row.count)})")
        for label, b in self.buttons.items():
            b.setEnabled(gid is not None and (gid != UNSORTED or label in ("Not a face", "Move to ...")))

    def say(self, text: str) -> None:
        self.notice.setText(text)
        self.message.emit(text)

    # ------------------------------------------------------------ scan

    def scan_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of photos to scan")
        if folder:
            self.scan([folder])

    def show_folders(self) -> None:
        from app.people.folders import FoldersDialog

        if self.library is not None:
            self.dialog = FoldersDialog(self, self)
            self.dialog.open()

    def scan(self, folders: list[str]) -> None:
        if self.library is None or not folders or self.scan_job is not None:
            return
        from core.errors import describe

        lib, t0 = self.library, time.monotonic()
        job = Job(lambda progress, cancel: lib.scan(folders, progress=progress, cancel=cancel), name="library scan")

        def progress(done: int, total: int, item: str) -> None:
            if total <= 0:      # not counting yet (or waiting for another program's scan): say what happens
                self.progress.setMaximum(0)
                self.progress.setFormat(item or "Looking for photos ...")
                return
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
        job.signals.result.connect(while_alive(self, lambda rep: self.say(scan_report(rep))))
        job.signals.error.connect(while_alive(self, lambda e: self.say(describe(e))))
        job.signals.finished.connect(while_alive(self, finished))
        self.scan_job = job
        self._set_busy(True)
        self.progress.setMaximum(0)
        self.jobs.start(job)

    def _show_photo(self, index) -> None:
        from app.people.review import PhotoDialog

        f = self.faces.rows[index.row()]
        if isinstance(self.dialog, PhotoDialog):   # the photo shown before is let go (a full photo's pixmap)
            self.dialog.deleteLater()
        self.dialog = PhotoDialog(f.photo, f.box, self.jobs, self)
        self.dialog.open()


def scan_report(rep: dict) -> str:
    """A scan's report in words: what was found, and every folder or photo that was skipped, and why."""
    text = (f"Scanned: {count_text(rep['analysed'], 'new or changed photo')}, {count_text(rep['faces_found'])} "
            f"found, {rep['removed_photos']} removed; {count_text(rep['grouping']['groups'], 'group')}.")
    missing, empty = rep.get("missing_folders") or [], rep.get("empty_folders") or []
    unreadable = rep.get("unreadable_photos") or []
    if missing:
        text += (f" Not found, so skipped (a drive unplugged?): {', '.join(missing)}; the rest was scanned. "
                 "Folders ... removes a folder from the library.")
    if empty:
        text += f" No photos in {', '.join(empty)}: not added to the library."
    if unreadable:
        first = unreadable[0]
        text += (f" {count_text(len(unreadable), 'photo')} could not be read (e.g. {first['path']}: "
                 f"{first['reason']}).")
    return text
