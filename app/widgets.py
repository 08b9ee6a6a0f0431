"""Small pieces every tab uses: face crops as pixmaps and cached icons, and counts in words (so the tabs stay
independent of each other)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap


def pixmap_from_jpeg(data: bytes | None, size: int = 96) -> QPixmap:
    img = QImage.fromData(data or b"")
    if img.isNull():
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.darkGray)
        return pm
    return QPixmap.fromImage(img).scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                                         Qt.TransformationMode.SmoothTransformation)


def count_text(n: int, noun: str = "face", plural: str | None = None) -> str:
    """``1 face``, ``2 faces``; ``1 person``, ``2 people`` with ``plural="people"``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
