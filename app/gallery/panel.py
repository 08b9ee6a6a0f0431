"""Gallery browser: people with a thumbnail and face count; search, rename, merge, delete, open a person."""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QSize, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QAction, QColor, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app import crops
from app.crops import CropIcons, rows_changed
from app.widgets import count_text
from app.workers import Job, while_alive

NAME_ROLE = Qt.ItemDataRole.UserRole + 1
KEYPAD = Qt.KeyboardModifier.KeypadModifier
GRID = QSize(150, 178)   # icon, a name of up to three lines, the count, a look-alike warning


def gallery_summary(people: int, faces: int) -> str:
    """What the Gallery tab counts: the people enrolled for recognition (the People tab counts the groups of
    faces found in the photo library, which is another thing)."""
    if people == 0:
        return "No one is enrolled for recognition yet"
    return f"{count_text(people, 'person', 'people')} enrolled for recognition ({count_text(faces)})"


class PeopleModel(QAbstractListModel):
    """Rows are the gallery's people; their thumbnails are read and decoded off the GUI thread when first shown
    (:class:`app.crops.CropIcons`), and cached."""

    def __init__(self, jobs=None, parent=None):
        super().__init__(parent)
        self.gallery = None
        self.rows: list[dict] = []
        self.looks: dict[str, set[str]] = {}
        self.icons = CropIcons(jobs, lambda keys: rows_changed(self, [r["name"] for r in self.rows], keys),
                               parent=self)

    def set_gallery(self, gallery) -> None:
        if gallery is not self.gallery:
            self.icons.reset(keep=False)   # another gallery: its names may be other people
        self.gallery = gallery
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self.rows = self.gallery.list() if self.gallery is not None else []
        self.looks: dict[str, set[str]] = {}
        if self.gallery is not None:
            try:
                for w in self.gallery.lookalikes():
                    self.looks.setdefault(w["person"], set()).add(w["like"])
                    self.looks.setdefault(w["like"], set()).add(w["person"])
            except Exception:  # noqa: BLE001 - no model loaded for this gallery yet: no warnings to show
                self.looks = {}
        # a thumbnail may have changed: read again, the old one shown meanwhile (a deleted person's is dropped)
        self.icons.reset(present={r["name"] for r in self.rows})
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            like = self.looks.get(row["name"])
            warn = f"\n\u26a0 looks like {', '.join(sorted(like))}" if like else ""
            return f"{row['name']}\n{count_text(row['faces'])}{warn}"
        if role == Qt.ItemDataRole.ForegroundRole and self.looks.get(row["name"]):
            return QColor(180, 90, 0)
        if role == Qt.ItemDataRole.DecorationRole and self.gallery is not None:
            gallery, name = self.gallery, row["name"]
            return self.icons.icon(name, lambda: gallery.thumbnail(name))
        if role == NAME_ROLE:
            return row["name"]
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{row['name']}: {count_text(row['faces'])}, enrolled {row['created'][:10] if row['created'] else ''}"
            like = self.looks.get(row["name"])
            if like:
                tip += (f"\nLooks like {', '.join(sorted(like))}: their faces score above the naming threshold for "
                        "each other. Add more varied photos of both; the app names them only above a higher bar.")
            return tip
        return None


class PersonDialog(QDialog):
    """The faces of one person, each removable; their thumbnails are read and decoded in a job."""

    def __init__(self, gallery, name: str, jobs, parent=None):
        super().__init__(parent)
        self.gallery, self.name, self.jobs = gallery, name, jobs
        self.setWindowTitle(f"{name}: enrolled faces")
        self.resize(640, 480)
        lay = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setIconSize(QSize(112, 112))
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        lay.addWidget(self.list)
        row = QHBoxLayout()
        self.remove_btn = QPushButton("Remove selected faces")
        self.remove_btn.clicked.connect(self.remove_selected)
        row.addWidget(self.remove_btn)
        row.addStretch(1)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        row.addWidget(close)
        lay.addLayout(row)
        self.changed = False
        self.reload()

    def reload(self) -> None:
        """Read the person's faces and decode their thumbnails off the GUI thread, then list them (a person whose
        last face was removed is gone: the dialog closes)."""
        gallery, name = self.gallery, self.name

        def work() -> list:
            return [(f, crops.image_from_jpeg(f["thumbnail"], 112)) for f in gallery.faces(name)]

        job = Job(work, plain=True, name="a person's faces")
        job.signals.result.connect(while_alive(self, self._show))
        job.signals.error.connect(while_alive(self, lambda _e: self.accept()))
        self.jobs.start(job)

    def _show(self, faces: list) -> None:
        self.list.clear()
        for f, image in faces:
            item = QListWidgetItem(crops.icon_of(image), f"#{f['id']}")
            item.setData(NAME_ROLE, f["id"])
            item.setToolTip(f"{f['source_path']}\ndetector {f['det_score']:.2f}, sharpness {f['quality']}")
            self.list.addItem(item)

    def remove_selected(self) -> None:
        ids = [i.data(NAME_ROLE) for i in self.list.selectedItems()]
        if not ids:
            return
        if QMessageBox.question(self, "Remove faces", f"Remove {len(ids)} face(s) of {self.name}?") != \
                QMessageBox.StandardButton.Yes:
            return
        for fid in ids:
            self.gallery.remove_face(fid)
        self.changed = True
        self.reload()


class GalleryPanel(QWidget):
    """Browser over :class:`core.gallery.Gallery`; emits ``changed`` after edits."""

    changed = Signal()
    message = Signal(str)

    def __init__(self, jobs, parent=None):
        super().__init__(parent)
        self.gallery = None
        self.jobs = jobs
        self.model = PeopleModel(jobs, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterRole(NAME_ROLE)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.search = QLineEdit(placeholderText="Search people ...")
        self.search.textChanged.connect(self.proxy.setFilterFixedString)
        top.addWidget(self.search, 1)
        self.buttons = {}
        keys = {"Open": "Enter", "Rename": "F2", "Delete": "Delete", "Refresh": "F5"}
        for label, slot in (("Open", self.open_person), ("Rename", self.rename), ("Merge into ...", self.merge),
                            ("Delete", self.delete), ("Refresh", self.refresh)):
            b = QPushButton(label)
            b.clicked.connect(slot)
            top.addWidget(b)
            self.buttons[label] = b
            if label in keys:
                b.setToolTip(f"{label} ({keys[label]})")
        lay.addLayout(top)
        self.view = QListView()
        self.view.setModel(self.proxy)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setIconSize(QSize(96, 96))
        self.view.setGridSize(GRID)
        self.view.setWordWrap(True)                       # a long name wraps; the tooltip has it whole
        self.view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.doubleClicked.connect(lambda _i: self.open_person())
        lay.addWidget(self.view, 1)
        # F2 and F5 anywhere in this tab; Enter and Delete on the people list only (keys the list itself gets:
        # the search field and dialogs keep theirs)
        self._key(self, "F2", self.rename)
        self._key(self, "F5", self.refresh)
        self.view.installEventFilter(self)
        self.summary = QLabel("No gallery loaded yet.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.summary)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if obj is self.view and event.type() == QEvent.Type.KeyPress and not event.modifiers() & ~KEYPAD:
            slot = {Qt.Key.Key_Return: self.open_person, Qt.Key.Key_Enter: self.open_person,
                    Qt.Key.Key_Delete: self.delete}.get(event.key())
            if slot is not None:
                slot()
                return True
        return super().eventFilter(obj, event)

    def _key(self, where: QWidget, key: str, slot) -> None:
        """``key`` runs ``slot`` while the focus is in ``where`` (or a child of it): F2 renames in this tab only."""
        a = QAction(where)
        a.setShortcut(QKeySequence(key))
        a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        a.triggered.connect(slot)
        where.addAction(a)

    def set_gallery(self, gallery) -> None:
        """Browse ``gallery`` (None: it was closed; the list empties)."""
        self.gallery = gallery
        if gallery is None:
            self.model.set_gallery(None)
        self.refresh()

    def refresh(self) -> None:
        if self.gallery is None:
            return
        self.model.set_gallery(self.gallery)
        people, faces = len(self.model.rows), sum(r["faces"] for r in self.model.rows)
        self.summary.setText(f"{gallery_summary(people, faces)}. Gallery folder: {self.gallery.root}")
        self.summary.setToolTip("The Gallery is who the live view and `facerec identify` can name. The People tab "
                                "counts something else: the groups of faces found in your photo library.")

    def selected_names(self) -> list[str]:
        return [i.data(NAME_ROLE) for i in self.view.selectionModel().selectedIndexes()]

    def _one(self) -> str | None:
        names = self.selected_names()
        if len(names) != 1:
            self.message.emit("Select one person first.")
            return None
        return names[0]

    def open_person(self) -> None:
        name = self._one()
        if name:
            dlg = PersonDialog(self.gallery, name, self.jobs, self)
            dlg.exec()
            if dlg.changed:
                self.refresh()
                self.changed.emit()

    def rename(self) -> None:
        name = self._one()
        if not name:
            return
        new, ok = QInputDialog.getText(self, "Rename", f"New name for {name}:", text=name)
        if ok and new.strip() and new.strip() != name:
            self._run(lambda: self.gallery.rename(name, new.strip()), f"Renamed {name} to {new.strip()}.")

    def merge(self) -> None:
        names = self.selected_names()
        if not names:
            self.message.emit("Select the people to merge first.")
            return
        others = [r["name"] for r in self.model.rows if r["name"] not in names] + (names if len(names) > 1 else [])
        target, ok = QInputDialog.getItem(self, "Merge", f"Merge {', '.join(names)} into:", others, 0, False)
        if ok and target:
            sources = [n for n in names if n != target]

            def work():
                for s in sources:
                    self.gallery.merge(s, target)

            self._run(work, f"Merged {', '.join(sources)} into {target}.")

    def delete(self) -> None:
        names = self.selected_names()
        if not names:
            self.message.emit("Select the people to delete first.")
            return
        text = (f"Delete {', '.join(names)}?\n\nTheir faces, crops and search entries are removed from this "
                "computer: from the gallery, the photo library and the evaluation cache. This cannot be undone.")
        if QMessageBox.question(self, "Delete people", text) != QMessageBox.StandardButton.Yes:
            return

        def work():
            from core.privacy import forget  # one forget for every entry point (the People tab's Forget too)

            for n in names:
                forget(self.gallery.settings.replace(gallery=str(self.gallery.root)), n, gallery=self.gallery)

        self._run(work, f"Deleted {', '.join(names)}.")

    def _run(self, fn, done_message: str) -> None:
        from core.errors import describe

        job = Job(fn, plain=True, name="gallery edit")
        job.signals.result.connect(while_alive(self, lambda _r: (self.refresh(), self.changed.emit(),
                                                                 self.message.emit(done_message))))
        job.signals.error.connect(while_alive(self, lambda e: (self.message.emit(describe(e)),
                                                               QMessageBox.warning(self, "Gallery", describe(e)))))
        self.jobs.start(job)
