"""The People tab's questions: a name (completed as it is typed), a name someone already has (their faces and
this group's side by side), which group to merge into or move to (as faces), and a merge by drag and drop."""

from __future__ import annotations

from PySide6.QtCore import QSize, QSortFilterProxyModel, QStringListModel, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QVBoxLayout,
)

from app.people.faces import FaceStrip, load_faces
from app.people.models import ID_ROLE, UNSORTED, group_label
from app.widgets import count_text

Btn = QDialogButtonBox.StandardButton


class NameDialog(QDialog):
    """"Who is this?": a line edit completing the names the library and the gallery know."""

    def __init__(self, names: list[str], text: str = "", parent=None):
        super().__init__(parent)
        self.setWindowTitle("Name")
        self.names: dict[str, str] = {}
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Who is this? (their best faces are also enrolled in the gallery, so they are "
                             "recognised live too)"))
        self.edit = QLineEdit(text)
        self.edit.selectAll()
        self.completer = QCompleter(QStringListModel(self), self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setFilterMode(Qt.MatchFlag.MatchContains)
        self.edit.setCompleter(self.completer)
        self.hint = QLabel("")
        self.hint.setWordWrap(True)
        lay.addWidget(self.edit)
        lay.addWidget(self.hint)
        self.box = QDialogButtonBox(Btn.Ok | Btn.Cancel)
        self.box.accepted.connect(self.accept)
        self.box.rejected.connect(self.reject)
        lay.addWidget(self.box)
        self.edit.textChanged.connect(self._changed)
        self.set_names(names)

    def set_names(self, names: list[str]) -> None:
        """The names to complete (the library's and the gallery's), loaded in a job."""
        self.names = {n.casefold(): n for n in names}
        self.completer.model().setStringList(sorted(names, key=str.casefold))
        self._changed(self.edit.text())

    def _changed(self, text: str) -> None:
        name = text.strip()
        self.box.button(Btn.Ok).setEnabled(bool(name))
        known = self.names.get(name.casefold())
        self.hint.setText(f"“{known}” is already someone: you will see both and choose whether they are one "
                          "person." if known else "")

    def name(self) -> str:
        return self.edit.text().strip()


class NameConflictDialog(QDialog):
    """The name belongs to someone else: both sets of faces side by side, whether they look like one person,
    and the choice: **Join them** (one person) or **Choose another name**."""

    def __init__(self, panel, group: int, name: str, clash, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"“{name}” is already someone")
        self.resize(820, 460)
        self.choice = None
        lay = QVBoxLayout(self)
        if clash.similarity is None:
            verdict = "These cannot be compared (one of them has no faces with this model)."
        else:
            verdict = (f"<b>These look like {'the same person' if clash.likely_same else 'different people'}</b> "
                       f"(similarity {clash.similarity:.2f}; the same person from {clash.threshold:.2f}).")
        self.verdict = QLabel(verdict)
        self.verdict.setWordWrap(True)
        lay.addWidget(self.verdict)
        row = QHBoxLayout()
        rows = {r.id: r for r in panel.groups.rows}
        theirs = rows.get(clash.existing_id)
        self.theirs = FaceStrip(f"<b>{name}</b> (already named" + (
            f", {count_text(theirs.count)})" if theirs else ": enrolled in the gallery)"))
        mine = rows.get(group)
        self.mine = FaceStrip(f"<b>This group</b> ({count_text(mine.count) if mine else 'its faces'})")
        row.addWidget(self.theirs, 1)
        row.addWidget(self.mine, 1)
        lay.addLayout(row, 1)
        self.box = QDialogButtonBox()
        self.join = self.box.addButton("Join them", QDialogButtonBox.ButtonRole.AcceptRole)
        self.other = self.box.addButton("Choose another name", QDialogButtonBox.ButtonRole.ActionRole)
        self.box.addButton(Btn.Cancel)
        self.preferred = self.join if clash.likely_same else self.other   # what Enter does: what the faces say
        self.preferred.setDefault(True)
        self.join.clicked.connect(lambda: self._done("join"))
        self.other.clicked.connect(lambda: self._done("rename"))
        self.box.rejected.connect(self.reject)
        lay.addWidget(self.box)
        load_faces(self, panel.jobs, panel.library, {"theirs": clash.existing_id, "mine": group}, self._faces)

    def showEvent(self, event):
        super().showEvent(event)
        self.preferred.setFocus()     # a focused button is the default one: never another than the faces suggest

    def _faces(self, faces: dict) -> None:
        self.theirs.set_faces(faces["theirs"], "enrolled in the gallery only")
        self.mine.set_faces(faces["mine"])

    def _done(self, choice: str) -> None:
        self.choice = choice
        self.accept()


class _Candidates(QSortFilterProxyModel):
    """The groups one can pick: not the unsorted faces, not ``exclude``, matching the typed filter."""

    def __init__(self, exclude, parent=None):
        super().__init__(parent)
        self.exclude = exclude
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)

    def filterAcceptsRow(self, row, parent):
        idx = self.sourceModel().index(row, 0, parent)
        if idx.data(ID_ROLE) in (UNSORTED, self.exclude):
            return False
        return super().filterAcceptsRow(row, parent)


class GroupPicker(QDialog):
    """Which group, shown as faces with their names and counts; nothing is chosen until one is clicked (OK is
    disabled until then, so Enter never merges into the first group by mistake)."""

    def __init__(self, groups_model, title: str, exclude: int | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(720, 520)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"<b>{title}</b>: click the person or group (type to filter by name)."))
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by name")
        lay.addWidget(self.filter)
        self.proxy = _Candidates(exclude, self)
        self.proxy.setSourceModel(groups_model)
        self.view = QListView()
        self.view.setModel(self.proxy)
        self.view.setViewMode(QListView.ViewMode.IconMode)
        self.view.setMovement(QListView.Movement.Static)
        self.view.setResizeMode(QListView.ResizeMode.Adjust)
        self.view.setWordWrap(True)
        self.view.setIconSize(QSize(88, 88))
        self.view.setGridSize(QSize(140, 172))
        self.view.setUniformItemSizes(True)
        lay.addWidget(self.view, 1)
        self.box = QDialogButtonBox(Btn.Ok | Btn.Cancel)
        self.ok = self.box.button(Btn.Ok)
        self.ok.setEnabled(False)
        self.ok.setAutoDefault(False)
        self.box.accepted.connect(self.accept)
        self.box.rejected.connect(self.reject)
        lay.addWidget(self.box)
        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self.ok.setEnabled(self.chosen() is not None))
        self.view.doubleClicked.connect(lambda _i: self.chosen() is not None and self.accept())

    def chosen(self) -> int | None:
        sel = self.view.selectionModel().selectedIndexes()
        return sel[0].data(ID_ROLE) if sel else None


class MergeDialog(QDialog):
    """A group dropped on another: both groups' faces, and **Merge** (they are one person) or Cancel."""

    def __init__(self, panel, source: int, target: int, parent=None):
        super().__init__(parent)
        rows = {r.id: r for r in panel.groups.rows}
        src, dst = rows.get(source), rows.get(target)
        self.setWindowTitle("Merge")
        self.resize(820, 460)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel(f"<b>Are these one person?</b> Merging puts {group_label(src)}'s faces into "
                             f"{group_label(dst)}. Undo takes it back." if src and dst else "Are these one person?"))
        row = QHBoxLayout()
        self.source = FaceStrip(f"<b>{group_label(src)}</b> ({count_text(src.count)})" if src else "")
        self.target = FaceStrip(f"<b>{group_label(dst)}</b> ({count_text(dst.count)})" if dst else "")
        row.addWidget(self.source, 1)
        row.addWidget(self.target, 1)
        lay.addLayout(row, 1)
        self.box = QDialogButtonBox(Btn.Cancel)
        self.merge = self.box.addButton("Merge", QDialogButtonBox.ButtonRole.AcceptRole)
        self.box.accepted.connect(self.accept)
        self.box.rejected.connect(self.reject)
        lay.addWidget(self.box)
        load_faces(self, panel.jobs, panel.library, {"s": source, "t": target},
                   lambda f: (self.source.set_faces(f["s"]), self.target.set_faces(f["t"])))
