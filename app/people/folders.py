"""The library's folders: which are there (an unplugged drive is not), how many photos each brought, removing
one (its photos and their faces leave the library; the files stay where they are), and writing the names back
beside the photos (``.xmp`` sidecars other tools read: digiKam, Lightroom, darktable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QVBoxLayout,
)

from app.widgets import count_text
from app.workers import Job, while_alive

if TYPE_CHECKING:
    from core.library import LibraryFolder


def folder_text(f: LibraryFolder) -> str:
    where = "" if f.exists else "  (not found: a drive unplugged? Re-scan skips it)"
    return f"{f.path}  ({count_text(f.photos, 'photo')}){where}"


class FoldersDialog(QDialog):
    """The library's folders; **Remove from library** (asks first) removes the selected one."""

    def __init__(self, panel, parent=None):
        super().__init__(parent)
        self.panel, self.confirm = panel, None
        self.folders: list[LibraryFolder] = []
        self.setWindowTitle("The library's folders")
        self.resize(720, 360)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("The folders this library is made of (Re-scan looks at each of them again)."))
        self.list = QListWidget()
        lay.addWidget(self.list, 1)
        self.box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.remove = self.box.addButton("Remove from library ...", QDialogButtonBox.ButtonRole.ActionRole)
        self.remove.setEnabled(False)
        self.remove.clicked.connect(self._ask)
        self.write = self.box.addButton("Write names to photos", QDialogButtonBox.ButtonRole.ActionRole)
        self.write.setToolTip("Write every named person's faces as face regions to an .xmp file beside each photo "
                              "(merged with what is there; the photos themselves are not changed), so other photo "
                              "tools see the names")
        self.write.clicked.connect(self._write)
        self.box.rejected.connect(self.reject)
        lay.addWidget(self.box)
        self.list.itemSelectionChanged.connect(lambda: self.remove.setEnabled(self._row() is not None))
        self.load()

    def load(self) -> None:
        lib = self.panel.library
        job = Job(lambda: lib.folders(), plain=True, name="library folders")
        job.signals.result.connect(while_alive(self, self._set))
        self.panel.jobs.start(job)

    def _set(self, folders: list[LibraryFolder]) -> None:
        self.folders = folders
        self.list.clear()
        for f in folders:
            self.list.addItem(QListWidgetItem(folder_text(f)))
        if not folders:
            self.list.addItem(QListWidgetItem("No folders yet: Scan a folder adds one."))
            self.list.setEnabled(False)
        self.remove.setEnabled(False)

    def _row(self) -> int | None:
        rows = [self.list.row(i) for i in self.list.selectedItems()]
        return rows[0] if rows and rows[0] < len(self.folders) else None

    def _ask(self) -> None:
        row = self._row()
        if row is None:
            return
        f = self.folders[row]
        self.confirm = QMessageBox(QMessageBox.Icon.Question, "Remove folder",
                                   f"Remove {f.path} from the library? Its {count_text(f.photos, 'photo')} and "
                                   "their faces leave the library (the files themselves are not touched; scanning "
                                   "the folder again brings them back).",
                                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        yes = self.confirm.button(QMessageBox.StandardButton.Yes)
        yes.setText("Remove")
        yes.clicked.connect(lambda: self._remove(f.path))
        self.confirm.open()

    def _write(self) -> None:
        def done(rep: dict) -> str:
            failed = f"; {len(rep['failed'])} could not be written: {rep['failed'][0]['reason']}" if rep["failed"] else ""
            return (f"Wrote {count_text(rep['faces'], 'named face')} to {count_text(rep['sidecars'], 'sidecar')} "
                    f"(.xmp beside the photos){failed}.")

        self.panel.run_decision(lambda lib: lib.write_xmp(), done)

    def _remove(self, path: str) -> None:
        def done(rep: dict) -> str:
            self.load()
            return (f"Removed {rep['removed_folder']} from the library: {count_text(rep['photos'], 'photo')}, "
                    f"{count_text(rep['faces'])}.")

        self.panel.run_decision(lambda lib: lib.remove_folder(path), done)
