"""Face crops off the GUI thread (the People and Gallery tabs): the stores' JPEGs are read and decoded into scaled
``QImage`` s in a job; the GUI thread only turns the finished images into pixmaps (a copy, no decoding).

:class:`CropIcons` serves a model's ``DecorationRole``: the rows a view paints in one frame are loaded in one job,
cached as icons; until theirs arrive, a row shows its previous icon (a refresh never blinks) or an empty square.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from PySide6.QtCore import QAbstractItemModel, QObject, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QImage, QPixmap

from app.workers import Job, while_alive


def image_from_jpeg(data: bytes | None, size: int = 96) -> QImage:
    """A crop scaled to fit ``size`` (a grey square when there is none): safe on any thread, unlike a QPixmap."""
    img = QImage.fromData(data or b"")
    if img.isNull():
        img = QImage(size, size, QImage.Format.Format_RGB32)
        img.fill(QColor(Qt.GlobalColor.darkGray))
        return img
    return img.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)


def rows_changed(model: QAbstractItemModel, row_keys: list, keys: list) -> None:
    """Tell ``model``'s views that the icons of ``keys`` arrived (``row_keys``: the key of each row, in order)."""
    wanted = set(keys)
    at = [i for i, k in enumerate(row_keys) if k in wanted]
    if at:
        model.dataChanged.emit(model.index(min(at), 0), model.index(max(at), 0), [Qt.ItemDataRole.DecorationRole])


def icon_of(image: QImage) -> QIcon:
    """The icon of a decoded crop (on the GUI thread)."""
    return QIcon(QPixmap.fromImage(image))


class CropIcons(QObject):
    """Icons keyed by row id, loaded in batches by the panel's ``jobs``; ``loaded(keys)`` is called on the GUI
    thread when a batch is in (the model then says which rows changed)."""

    def __init__(self, jobs, loaded: Callable[[list], None], size: int = 96, parent=None):
        super().__init__(parent)
        self.jobs, self.loaded, self.size = jobs, loaded, size
        self.icons: dict[Hashable, QIcon] = {}
        self.stale: dict[Hashable, QIcon] = {}     # the icons before the last reset, shown until theirs arrive
        self._asked: dict[Hashable, Callable[[], bytes | None]] = {}
        self._loading: set = set()
        self._generation = 0
        blank = QPixmap(size, size)
        blank.fill(Qt.GlobalColor.transparent)
        self.blank = QIcon(blank)

    def icon(self, key: Hashable, jpeg: Callable[[], bytes | None]) -> QIcon:
        """The icon of ``key``; the first time, ``jpeg()`` is read in the next batch (on a worker thread)."""
        icon = self.icons.get(key)
        if icon is not None:
            return icon
        if key not in self._loading and key not in self._asked:
            if not self._asked:
                QTimer.singleShot(0, self, self._start)   # every row painted in this frame, in one job
            self._asked[key] = jpeg
        return self.stale.get(key, self.blank)

    def reset(self, keep: bool = True, present=None) -> None:
        """Forget the icons (the rows changed): they are loaded again when shown, the old ones shown meanwhile
        (unless not ``keep``: another library, whose ids mean other faces), and only for the keys still
        ``present`` when that is given (a forgotten person's face is not kept, even in memory)."""
        self._generation += 1
        old = (self.icons or self.stale) if keep else {}
        self.stale = old if present is None else {k: v for k, v in old.items() if k in present}
        self.icons, self._asked, self._loading = {}, {}, set()

    def _start(self) -> None:
        if not self._asked or self.jobs is None:
            return
        batch, self._asked = self._asked, {}
        self._loading |= set(batch)
        gen, size = self._generation, self.size

        def work() -> list:
            return [(k, image_from_jpeg(read(), size)) for k, read in batch.items()]

        def done(images: list) -> None:
            if gen != self._generation:
                return
            for k, img in images:
                self.icons[k] = icon_of(img)
                self._loading.discard(k)
            self.loaded([k for k, _ in images])

        def failed(_exc) -> None:   # the library was closed or replaced meanwhile: shown again, asked again
            if gen == self._generation:
                self._loading -= set(batch)

        job = Job(work, plain=True, name="face crops")
        job.signals.result.connect(while_alive(self, done))
        job.signals.error.connect(while_alive(self, failed))
        self.jobs.start(job)
