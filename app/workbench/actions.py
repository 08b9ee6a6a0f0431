"""The workbench's actions: short labels with tooltips on buttons that wrap onto a second row when the window is
narrow (the window fits a 1024 px screen, and no label is ever cut), each enabled only when the selection allows it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QLayout, QLayoutItem, QToolButton, QWidget

# (name of the workbench's method, label, tooltip: a sentence that says what it does); None is a separator
ACTIONS: tuple[tuple[str, str, str] | None, ...] = (
    ("new_training", "New training", "Train a model: data, backbone or pretrained model, head, steps, learning rates."),
    ("evaluate", "Evaluate", "Evaluate a model or the selected run's checkpoint on .bin files, LFW, folders of "
                             "people or the open-set protocol."),
    ("benchmark", "Benchmark", "Measure embedding, detection, photo pipeline, gallery search or training speed "
                               "on this machine."),
    ("finetune", "Fine-tune", "Fine-tune on my people: train a new version of a pretrained model on the gallery's "
                              "enrolled people, with before/after figures."),
    None,
    ("resume", "Resume", "Go on training the selected run from its last checkpoint."),
    ("cancel", "Cancel", "Stop the selected running job (a training run saves a checkpoint first)."),
    ("export_use", "Export and use", "Export the selected training run as a model, register it and switch the "
                                     "app to it."),
    ("use_selected_model", "Use model", "Use this model: switch the app to the selected fine-tune's model, or "
                                        "back to the model it started from."),
    ("rename", "Rename", "Rename the selected run (F2)."),
    ("delete", "Delete", "Delete the selected runs and their folders (Delete)."),
    ("open_folder", "Open folder", "Open the selected run's folder."),
)
STARTERS = ("new_training", "evaluate", "benchmark", "finetune")
RUN_ACTIONS = tuple(spec[0] for spec in ACTIONS if spec and spec[0] not in STARTERS)  # also the table's context menu
# keys in the runs table; made into QKeySequences only once the application exists (a standard key needs it)
KEYS = {"rename": Qt.Key.Key_F2, "delete": QKeySequence.StandardKey.Delete}


def enabled_states(runs: list[dict], active: set[int]) -> dict[str, bool]:
    """Which actions the selection ``runs`` allows, given the ids of the jobs running now."""
    one = runs[0] if len(runs) == 1 else None
    idle_one = one is not None and one["id"] not in active
    s = (one or {}).get("summary") or {}
    return {
        **{name: True for name in STARTERS},
        "resume": idle_one and one["kind"] == "train",
        "cancel": bool(active),  # the selected running jobs, or the one running when none is selected
        "export_use": idle_one and one["kind"] == "train",
        "use_selected_model": idle_one and one["kind"] == "finetune" and bool(s.get("model") or s.get("init")),
        "rename": one is not None,
        "delete": bool(runs) and not any(r["id"] in active for r in runs),
        "open_folder": one is not None and bool(one["path"]) and one["path"] != ".",
    }


class FlowLayout(QLayout):
    """Widgets left to right, wrapping onto the next row when the width runs out."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 4):
        super().__init__(parent)
        self.items: list[QLayoutItem] = []
        self.setSpacing(spacing)
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self.items.append(item)

    def count(self) -> int:
        return len(self.items)

    def itemAt(self, i: int) -> QLayoutItem | None:
        return self.items[i] if 0 <= i < len(self.items) else None

    def takeAt(self, i: int) -> QLayoutItem | None:
        return self.items.pop(i) if 0 <= i < len(self.items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self) -> QSize:  # one row
        hints = [i.sizeHint() for i in self.items]
        m = self.contentsMargins()
        return QSize(sum(h.width() for h in hints) + self.spacing() * max(0, len(hints) - 1) + m.left() + m.right(),
                     max((h.height() for h in hints), default=0) + m.top() + m.bottom())

    def minimumSize(self) -> QSize:  # the widest item: the rest wraps
        m = self.contentsMargins()
        return QSize(max((i.minimumSize().width() for i in self.items), default=0) + m.left() + m.right(),
                     max((i.minimumSize().height() for i in self.items), default=0) + m.top() + m.bottom())

    def _place(self, rect: QRect, move: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, row_h = area.x(), area.y(), 0
        for item in self.items:
            size = item.sizeHint()
            if x > area.x() and x + size.width() > area.right() + 1:
                x, y, row_h = area.x(), y + row_h + self.spacing(), 0
            if move:
                item.setGeometry(QRect(QPoint(x, y), size))
            x += size.width() + self.spacing()
            row_h = max(row_h, size.height())
        return y + row_h - rect.y() + m.bottom()


def build_actions(parent: QWidget, handlers: dict[str, Callable[[], object]]
                  ) -> tuple[QWidget, dict[str, QAction], dict[str, QToolButton]]:
    """A bar of framed text buttons, one per action (wrapping when narrow); each action calls its handler with no
    arguments, so a button's ``triggered(bool)`` never reaches a handler's optional parameter."""
    bar = QWidget(parent)
    flow = FlowLayout(bar)
    actions: dict[str, QAction] = {}
    buttons: dict[str, QToolButton] = {}
    for spec in ACTIONS:
        if spec is None:
            line = QFrame(bar)
            line.setFrameShape(QFrame.Shape.VLine)
            line.setFrameShadow(QFrame.Shadow.Sunken)
            flow.addWidget(line)
            continue
        name, label, tip = spec
        act = QAction(label, parent)
        act.setToolTip(tip)
        act.setStatusTip(tip)
        if name in KEYS:
            act.setShortcut(QKeySequence(KEYS[name]))
            act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)  # where the runs table has the focus
        act.triggered.connect(lambda *_, f=handlers[name]: f())  # `f` is keyword-only: no signal argument reaches it
        button = QToolButton(bar)
        button.setDefaultAction(act)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setObjectName(f"workbench-{name}")
        flow.addWidget(button)
        actions[name], buttons[name] = act, button
    return bar, actions, buttons
