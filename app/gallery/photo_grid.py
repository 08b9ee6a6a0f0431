"""A grid of photo tiles for enrolment: each photo with its faces boxed (the one to enrol in green), its file
name, its quality and what will happen (or happened) in words; clicking a face picks it."""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

TILE = 180
GOOD, OTHER, BAD = QColor(40, 170, 80), QColor(150, 150, 150), QColor(200, 60, 50)


class PhotoTile(QFrame):
    picked = Signal(str, int)   # path, face index

    def __init__(self, preview, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.preview = preview
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        self.picture = QLabel()
        self.picture.setFixedSize(TILE, TILE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setFixedWidth(TILE)
        lay.addWidget(self.picture)
        lay.addWidget(self.caption)
        self.scale, self.offset = 1.0, QPointF(0, 0)
        self.result: str | None = None
        self.update_preview(preview)

    def update_preview(self, preview, result: str | None = None, ok: bool | None = None) -> None:
        self.preview, self.result = preview, result
        self.setToolTip(preview.path)
        self.picture.setPixmap(self._pixmap())
        state = result or preview.words
        good = ok if ok is not None else preview.chosen is not None
        colour = "#1b7a3a" if good else "#b3261e"
        bold = QFont(self.caption.font())
        bold.setBold(True)
        name = QFontMetrics(bold).elidedText(preview.name, Qt.TextElideMode.ElideMiddle, TILE)  # whole in the tooltip
        self.caption.setText(f"<b>{html.escape(name)}</b><br><span style='color:{colour}'>{html.escape(state)}</span>")

    def _pixmap(self) -> QPixmap:
        img = self.preview.image
        if img is None:
            pm = QPixmap(TILE, TILE)
            pm.fill(QColor(60, 60, 60))
            return pm
        h, w = img.shape[:2]
        self.scale = TILE / max(h, w)
        rgb = np.ascontiguousarray(img)
        qimg = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
        pm = QPixmap.fromImage(qimg).scaled(int(w * self.scale), int(h * self.scale),
                                            Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self.offset = QPointF((TILE - pm.width()) / 2, (TILE - pm.height()) / 2)
        p = QPainter(pm)
        for i, (x, y, bw, bh) in enumerate(self.preview.boxes):
            chosen = i == self.preview.chosen
            p.setPen(QPen(GOOD if chosen else (OTHER if self.preview.chosen is not None else BAD), 3 if chosen else 2))
            p.drawRect(QRectF(x * self.scale, y * self.scale, bw * self.scale, bh * self.scale))
        p.end()
        return pm

    def face_at(self, pos: QPointF) -> int | None:
        """Index of the face under a click in the picture (widget coordinates), or None."""
        x = (pos.x() - self.offset.x()) / self.scale
        y = (pos.y() - self.offset.y()) / self.scale
        for i, (bx, by, bw, bh) in enumerate(self.preview.boxes):
            if bx <= x <= bx + bw and by <= y <= by + bh:
                return i
        return None

    def mousePressEvent(self, event) -> None:
        pos = self.picture.mapFrom(self, event.position().toPoint())
        i = self.face_at(QPointF(pos))
        if i is not None and len(self.preview.boxes) > 1:
            self.picked.emit(self.preview.path, i)

    def box_centre(self, i: int) -> QPointF:
        """Where face ``i`` is drawn, in this tile's coordinates (tests click there)."""
        x, y, bw, bh = self.preview.boxes[i]
        c = QPointF(self.offset.x() + (x + bw / 2) * self.scale, self.offset.y() + (y + bh / 2) * self.scale)
        return QPointF(self.picture.mapTo(self, c.toPoint()))


class PhotoGrid(QScrollArea):
    """The tiles in as many columns as the width holds (never a horizontal scroll bar)."""

    picked = Signal(str, int)

    def __init__(self, columns: int = 4, parent=None):
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.grid = QGridLayout(self.inner)
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setWidget(self.inner)
        self.columns = columns
        self.tiles: dict[str, PhotoTile] = {}

    def _fitting_columns(self) -> int:
        tile = max((t.sizeHint().width() for t in self.tiles.values()), default=TILE + 16)
        gap, m = max(0, self.grid.horizontalSpacing()), self.grid.contentsMargins()
        return max(1, (self.viewport().width() - m.left() - m.right() + gap) // (tile + gap))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        columns = self._fitting_columns()
        if columns != self.columns:
            self.columns = columns
            for n, tile in enumerate(self.tiles.values()):
                self.grid.removeWidget(tile)
                self.grid.addWidget(tile, n // columns, n % columns)

    def set_preview(self, preview) -> PhotoTile:
        tile = self.tiles.get(preview.path)
        if tile is None:
            tile = PhotoTile(preview)
            tile.picked.connect(self.picked.emit)
            n = len(self.tiles)
            self.grid.addWidget(tile, n // self.columns, n % self.columns)
            self.tiles[preview.path] = tile
        else:
            tile.update_preview(preview)
        return tile

    def clear(self) -> None:
        for t in self.tiles.values():
            t.setParent(None)
            t.deleteLater()
        self.tiles.clear()
