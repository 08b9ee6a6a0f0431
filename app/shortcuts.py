"""The window's keyboard: explicit key sequences (a platform's standard binding can be empty: on X11 without KDE,
``QKeySequence.Preferences`` has none, so Ctrl+, is always given), Ctrl+Q, and where the focus starts."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

# what docs/gui.md lists (tests check both against the window)
SETTINGS_KEYS = ("Ctrl+,", QKeySequence.StandardKey.Preferences)
QUIT_KEYS = ("Ctrl+Q", QKeySequence.StandardKey.Quit)


def key_sequences(*keys) -> list[QKeySequence]:
    """Each of ``keys`` (a string such as "Ctrl+," or a ``QKeySequence.StandardKey``) as key sequences, the
    platform's bindings of a standard key included, without empties or repeats."""
    out: list[QKeySequence] = []
    for k in keys:
        seqs = QKeySequence.keyBindings(k) if isinstance(k, QKeySequence.StandardKey) else [QKeySequence(k)]
        out += [s for s in seqs if not s.isEmpty() and s not in out]
    return out


def set_keys(action: QAction, *keys) -> QAction:
    """Give ``action`` its key sequences and name the first in its tooltip ("Settings (Ctrl+,)")."""
    seqs = key_sequences(*keys)
    action.setShortcuts(seqs)
    if seqs:
        shown = seqs[0].toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{action.text().rstrip(' .')} ({shown})")
    return action


def install_window_keys(win) -> None:
    """Ctrl+Q closes the window (and so quits); the focus starts on the tab bar, not inside a tab's page."""
    quit_action = set_keys(QAction("Quit", win), *QUIT_KEYS)
    quit_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    quit_action.triggered.connect(win.close)
    win.addAction(quit_action)
    win.act_quit = quit_action
    bar = win.tabs.tabBar()
    bar.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
    bar.setFocus(Qt.FocusReason.OtherFocusReason)
