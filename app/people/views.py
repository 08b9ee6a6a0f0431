"""The People tab's icon views: faces in a grid that never moves them about, and the groups' view on which a
group dropped onto another asks to merge them (its own drop handling: Qt's icon mode would otherwise move the
dropped icon, or, in a static grid, ignore a drop onto an item)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QAbstractItemView, QListView

from app.people.models import ID_ROLE, MIME, UNSORTED


def setup_icons(v: QListView, icon: int, grid: QSize) -> QListView:
    v.setViewMode(QListView.ViewMode.IconMode)
    v.setMovement(QListView.Movement.Static)
    v.setIconSize(QSize(icon, icon))
    v.setGridSize(grid)
    v.setResizeMode(QListView.ResizeMode.Adjust)
    v.setUniformItemSizes(True)
    v.setWordWrap(True)
    v.setTextElideMode(Qt.TextElideMode.ElideRight)
    v.setLayoutMode(QListView.LayoutMode.Batched)
    return v


def icon_view(model, icon: int, grid: QSize) -> QListView:
    v = QListView()
    v.setModel(model)
    return setup_icons(v, icon, grid)


class GroupView(QListView):
    """Groups as faces; drag one onto another to merge them (the model's ``drop_merge`` asks first)."""

    def __init__(self, model, icon: int, grid: QSize, parent=None):
        super().__init__(parent)
        self.setModel(model)
        setup_icons(self, icon, grid)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDropIndicatorShown(True)
        self.viewport().setAcceptDrops(True)    # a static grid turns drops off on its viewport: turn them on

    def _target(self, event):
        """The group under the pointer that the dragged group may be merged into, or None."""
        if not event.mimeData().hasFormat(MIME):
            return None
        index = self.indexAt(event.position().toPoint())
        if not index.isValid() or index.data(ID_ROLE) in (UNSORTED, None):
            return None
        if str(index.data(ID_ROLE)) == bytes(event.mimeData().data(MIME)).decode():
            return None
        return index

    def dragEnterEvent(self, event):
        if event.mimeData().hasFormat(MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event):
        if not event.mimeData().hasFormat(MIME):
            return super().dragMoveEvent(event)
        if self._target(event) is not None:
            event.setDropAction(Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event):
        if not event.mimeData().hasFormat(MIME):
            return super().dropEvent(event)
        index = self._target(event)
        if index is not None:
            self.model().dropMimeData(event.mimeData(), Qt.DropAction.MoveAction, -1, -1, index)
        event.setDropAction(Qt.DropAction.IgnoreAction)   # nothing is moved or removed: the panel asks, then merges
        event.accept()
        self.setState(QAbstractItemView.State.NoState)
        self.viewport().update()
