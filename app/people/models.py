"""Qt item models over the photo library: groups (a face, a name or "Unnamed", a count) and one group's faces.

Both are thin adapters: rows are :class:`core.library.Group` and :class:`core.library.Face` from the
:class:`core.library.Library` facade; face crops are read and decoded off the GUI thread when a row is first shown
(:mod:`app.people.crops`), for the rows painted, and cached; a group's faces come in pages (``fetchMore``), so a
person with thousands of photos or a library of 100,000 faces opens at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QSize, Qt
from PySide6.QtGui import QColor

from app.crops import CropIcons, rows_changed
from app.widgets import count_text

if TYPE_CHECKING:
    from core.library import Face, Group

ID_ROLE = Qt.ItemDataRole.UserRole + 1
UNSORTED = -1          # the row standing for the unsorted faces
MIME = "application/x-facerec-group"
PAGE = 200
ITEM = QSize(132, 166)  # a group's face (88 px) and its label


def group_label(row: Group) -> str:
    return "Unsorted faces" if row.id == UNSORTED else row.name or f"Unnamed #{row.id}"


class GroupsModel(QAbstractListModel):
    """People and unnamed groups (named first, then by size), and a last row for the unsorted faces."""

    def __init__(self, jobs=None, parent=None):
        super().__init__(parent)
        self.library = None
        self.rows: list[Group] = []
        self.show_hidden = False
        self.hidden = 0
        self.icons = CropIcons(jobs, lambda keys: rows_changed(self, [r.id for r in self.rows], keys), parent=self)
        self.drop_merge = None        # callable(source id, target id), set by the panel

    def set_rows(self, rows: list[Group], unsorted: int) -> None:
        from core.library import Group

        self.beginResetModel()
        listed = [r for r in rows if r.count or r.name]
        self.rows = [r for r in listed if self.show_hidden or not r.hidden]
        self.hidden = sum(1 for r in listed if r.hidden)          # hidden groups (shown or not)
        if unsorted:
            self.rows.append(Group(id=UNSORTED, name=None, hidden=False, gallery_name=None, count=unsorted))
        # a cover may have changed: read again, the old one shown meanwhile (a forgotten group's is dropped)
        self.icons.reset(present={r.id for r in self.rows})
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            # the name on its own line (the view wraps it, and elides only a very long one: the tooltip has it all)
            return f"{group_label(r)}\n{count_text(r.count)}" + (", hidden" if r.hidden else "")
        if role == Qt.ItemDataRole.DecorationRole and self.library is not None:
            lib, group = self.library, None if r.id == UNSORTED else r.id
            return self.icons.icon(r.id, lambda: lib.cover(group))
        if role == Qt.ItemDataRole.ForegroundRole and (r.name is None or r.hidden):
            return QColor(110, 110, 110)
        if role == Qt.ItemDataRole.SizeHintRole:
            return ITEM       # room for a name of three lines and the count under the face: wrapped, not cut
        if role == ID_ROLE:
            return r.id
        return None

    # drag a group onto another to merge them
    def flags(self, index):
        f = super().flags(index)
        if index.isValid() and self.rows[index.row()].id != UNSORTED:
            f |= Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemIsDropEnabled
        return f

    def supportedDropActions(self):
        return Qt.DropAction.MoveAction

    def mimeTypes(self):
        return [MIME]

    def mimeData(self, indexes):
        m = QMimeData()
        m.setData(MIME, str(self.rows[indexes[0].row()].id).encode())
        return m

    def dropMimeData(self, data, action, row, column, parent):
        if not data.hasFormat(MIME) or not parent.isValid() or self.drop_merge is None:
            return False
        source, target = int(bytes(data.data(MIME)).decode()), self.rows[parent.row()].id
        if target == UNSORTED or source == target:
            return False
        self.drop_merge(source, target)
        return False  # the panel refreshes the rows itself


class FacesModel(QAbstractListModel):
    """One group's faces (or the unsorted ones), best first, in pages."""

    def __init__(self, jobs=None, parent=None):
        super().__init__(parent)
        self.library, self.group = None, None
        self.rows: list[Face] = []
        self._more = False
        self.icons = CropIcons(jobs, lambda keys: rows_changed(self, [r.id for r in self.rows], keys), parent=self)

    def show_group(self, library, group: int | None) -> None:
        self.beginResetModel()
        self.icons.reset(keep=library is self.library)
        self.library, self.group = library, group
        self.rows = []
        self._more = library is not None
        self.endResetModel()
        if self._more:
            self.fetchMore(QModelIndex())

    def canFetchMore(self, parent=QModelIndex()) -> bool:
        return not parent.isValid() and self._more

    def fetchMore(self, parent=QModelIndex()) -> None:
        if not self._more:
            return
        page = self.library.faces_of(None if self.group == UNSORTED else self.group, limit=PAGE,
                                           offset=len(self.rows))
        self._more = len(page) == PAGE
        if page:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(page) - 1)
            self.rows.extend(page)
            self.endInsertRows()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        f = self.rows[index.row()]
        if role == Qt.ItemDataRole.DecorationRole and self.library is not None:
            lib = self.library
            return self.icons.icon(f.id, lambda: lib.crop(f.id))
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{f.photo}\n{f.taken or 'no date'}; quality {f.quality:.2f}" + \
                ("; placed by you" if f.pinned else "")
        if role == ID_ROLE:
            return f.id
        return None
