"""The status bar's permanent labels: short words that elide (the whole text in their tooltip) rather than push
the bar's messages off a small window; the rate label always has room for what it says."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar

RATE_SAMPLE = "view 30.0 fps | names 30.0/s"   # the widest the rate label says


class ElidedLabel(QLabel):
    """A one-line label that elides its text on the right when narrower than it, with the whole text (or
    ``tip``) as its tooltip."""

    def __init__(self, text: str = "", min_width: int = 60, parent=None):
        super().__init__(parent)
        self._full = ""
        self._tip: str | None = None
        self.cap: int | None = None   # the widest it asks to be (the bar's message needs the room)
        self.setMinimumWidth(min_width)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def text(self) -> str:
        return self._full

    def setText(self, text: str, tip: str | None = None) -> None:  # noqa: N802 - Qt's name
        self._full, self._tip = text, tip
        self.setToolTip(tip or text)
        self._elide()
        self.updateGeometry()

    def sizeHint(self):  # noqa: N802 - Qt's name
        hint = super().sizeHint()
        hint.setWidth(max(self.minimumWidth(), min(self.full_width(), self.cap or 1 << 20)))
        return hint

    def full_width(self) -> int:
        return self.fontMetrics().horizontalAdvance(self._full) + 2 * self.margin() + 4

    def minimumSizeHint(self):  # noqa: N802 - Qt's name
        hint = super().minimumSizeHint()
        hint.setWidth(self.minimumWidth())
        return hint

    def is_elided(self) -> bool:
        return super().text() != self._full

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        room = self.contentsRect().width() - 2 * self.margin()
        fm = self.fontMetrics()
        shown = self._full if fm.horizontalAdvance(self._full) <= room else \
            fm.elidedText(self._full, Qt.TextElideMode.ElideRight, max(room, 0))
        QLabel.setText(self, shown)


def rate_label() -> QLabel:
    """The live view's rates (or "still image", "paused" ...): as wide as its widest text, never cut."""
    lbl = QLabel("no source")
    lbl.setMinimumWidth(lbl.fontMetrics().horizontalAdvance(RATE_SAMPLE) + 8)
    lbl.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    lbl.setToolTip("Frames shown per second, and faces named per second, in the live view.")
    return lbl


def gallery_words(people: int, faces: int, encrypted: bool) -> tuple[str, str]:
    """The gallery label's text and tooltip: "2 people enrolled, encrypted"."""
    lock = "encrypted" if encrypted else "NOT encrypted"
    who = "1 person" if people == 1 else f"{people:,} people"
    return (f"gallery: {who}, {lock}",
            f"The gallery (the people recognised): {who} enrolled with {faces:,} face{'' if faces == 1 else 's'}; "
            f"{'encrypted at rest' if encrypted else 'stored without encryption'}.")


def install_status_bar(win) -> None:
    """The window's permanent labels: device, model, gallery (elided under pressure) and the rates."""
    sb = win.statusBar()
    win.lbl_device = ElidedLabel("device: loading ...")
    win.lbl_model = ElidedLabel("model: loading ...")
    win.lbl_gallery = ElidedLabel("gallery: -", min_width=120)
    win.lbl_fps = rate_label()
    for w in (win.lbl_device, win.lbl_model, win.lbl_gallery, win.lbl_fps):
        sb.addPermanentWidget(w)
    win._status_room = RoomKeeper(sb, (win.lbl_device, win.lbl_model, win.lbl_gallery), win.lbl_fps)
    sb.showMessage("Loading the face models in the background ...")


class RoomKeeper(QObject):
    """While the bar shows a message too long for the room its labels leave, the labels give up room (they elide,
    in proportion to their text) so that the message is read whole where it can be; again on every resize."""

    def __init__(self, sb: QStatusBar, labels, fixed: QLabel):
        super().__init__(sb)
        self.sb, self.labels, self.fixed = sb, labels, fixed
        sb.messageChanged.connect(lambda _m: self.fit())
        sb.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.Resize:
            self.fit()
        return False

    def fit(self) -> None:
        message = self.sb.currentMessage()
        free = self.sb.width() - self.fixed.minimumWidth() - 40 - self.sb.fontMetrics().horizontalAdvance(message)
        want = sum(lbl.full_width() for lbl in self.labels)
        for lbl in self.labels:
            lbl.cap = None if want <= free else max(lbl.minimumWidth(), int(free * lbl.full_width() / max(want, 1)))
            lbl.updateGeometry()
