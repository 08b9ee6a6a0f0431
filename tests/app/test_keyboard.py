"""The main window's keyboard, driven as a user does: keys on the window and its lists, clicks on its buttons.

QKeySequence.Preferences is empty on X11 without KDE (and on the offscreen platform the tests use), so these
tests also prove that the window's own Ctrl+, works wherever the platform gives none."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QStyleOptionViewItem,
    QWidget,
)

from tests.app import test_gui
from tests.conftest import ROOT

window = test_gui.window   # the same window fixture: the real engine and a two-person gallery

CTRL = Qt.KeyboardModifier.ControlModifier


def when_modal(qtbot, act, kind=QWidget):
    """Run ``act(dialog)`` on the next modal dialog of ``kind`` once it is shown (the caller then opens it)."""
    seen = []

    def poll(tries=200):
        dlg = QApplication.activeModalWidget()
        if isinstance(dlg, kind) and dlg.isVisible():
            seen.append(dlg)
            act(dlg)
        elif tries:
            QTimer.singleShot(25, lambda: poll(tries - 1))

    QTimer.singleShot(0, poll)
    return seen


def activate(qtbot, win) -> None:
    """Make the window the active one, as a window manager does after a dialog closes (the offscreen platform and
    a bare Xvfb do not), so that its shortcuts apply."""
    win.activateWindow()
    qtbot.waitUntil(win.isActiveWindow, timeout=5_000)


def item_centre(view, row: int) -> QPoint:
    return view.visualRect(view.model().index(row, 0)).center()


def test_keys_open_settings_rename_delete_and_quit(window, qtbot):
    bar = window.tabs.tabBar()
    assert window.focusWidget() is bar                        # the focus starts on the tabs, not inside a page
    activate(qtbot, window)
    seen = when_modal(qtbot, lambda d: d.reject())
    qtbot.keyClick(window, Qt.Key.Key_Comma, CTRL)            # Ctrl+, (documented) opens Settings
    assert [type(d).__name__ for d in seen] == ["SettingsDialog"]
    assert window.focusWidget() is bar                        # back where it was
    activate(qtbot, window)

    qtbot.keyClick(bar, Qt.Key.Key_Right)                      # tab bar -> Gallery; Tab goes into it
    assert window.tabs.currentWidget() is window.gallery_panel
    qtbot.keyClick(bar, Qt.Key.Key_Tab)
    panel = window.gallery_panel
    assert window.focusWidget() is panel.search

    view = panel.view
    row = [view.model().index(r, 0).data(Qt.ItemDataRole.UserRole + 1) for r in range(2)].index("jerry_seinfeld")
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=item_centre(view, row))
    assert panel.selected_names() == ["jerry_seinfeld"]
    long_name = "Jerry Seinfeld of the Upper West Side"

    def type_name(dlg):
        edit = dlg.findChild(QLineEdit)
        edit.selectAll()
        qtbot.keyClicks(edit, long_name)
        qtbot.keyClick(edit, Qt.Key.Key_Return)

    seen = when_modal(qtbot, type_name, QInputDialog)
    qtbot.keyClick(view, Qt.Key.Key_F2)                        # F2 renames the selected person
    assert seen
    qtbot.waitUntil(lambda: long_name in [r["name"] for r in panel.model.rows], timeout=30_000)
    activate(qtbot, window)

    # a long name is shown whole (wrapped), with its tooltip; the count says what it counts
    row = [r["name"] for r in panel.model.rows].index(long_name)
    index = panel.proxy.mapFromSource(panel.model.index(row, 0))
    opt = QStyleOptionViewItem()
    view.initViewItemOption(opt)
    need = view.itemDelegate().sizeHint(opt, index)
    assert need.height() <= view.gridSize().height() and need.width() <= view.gridSize().width()
    assert long_name in index.data(Qt.ItemDataRole.ToolTipRole)
    assert panel.summary.text().startswith("2 people enrolled for recognition (")

    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.visualRect(index).center())
    seen = when_modal(qtbot, lambda d: d.button(QMessageBox.StandardButton.Yes).click(), QMessageBox)
    qtbot.keyClick(view, Qt.Key.Key_Delete)                    # Delete, after a confirmation
    assert seen
    qtbot.waitUntil(lambda: len(panel.model.rows) == 1, timeout=30_000)
    activate(qtbot, window)
    from core.errors import IdentityNotFound
    from core.privacy import audit

    with pytest.raises(IdentityNotFound):           # Delete is the one forget: nothing of them left anywhere
        audit(long_name, window.gallery.settings.replace(gallery=str(window.gallery.root)))
    assert panel.summary.text().startswith("1 person enrolled for recognition (")   # never "1 people"
    assert "1 person" in window.lbl_gallery.text()

    qtbot.keyClick(view, Qt.Key.Key_Tab, CTRL)                # Ctrl+Tab: the next tab, from inside a page
    assert window.tabs.currentWidget() is window.people
    qtbot.keyClick(window.tabs.currentWidget(), Qt.Key.Key_Backtab, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert window.tabs.currentWidget() is panel

    qtbot.keyClick(window, Qt.Key.Key_Q, CTRL)                # Ctrl+Q quits
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=30_000)


def test_the_documented_keys_are_the_windows(window):
    """docs/gui.md's keyboard table lists the keys the window's actions have, and no others of theirs."""
    from PySide6.QtGui import QAction

    doc = (ROOT / "docs" / "gui.md").read_text().split("## Keyboard", 1)[1].split("\n## ", 1)[0]
    listed = {k.strip() for line in doc.splitlines() if line.startswith("| ") and "key" not in line.split("|")[1]
              for k in re.split(r",\s+", line.split("|")[1].strip())}
    portable = QKeySequence.SequenceFormat.PortableText
    have = {q.toString(portable) for a in window.findChildren(QAction) for q in a.shortcuts()}
    for key in ("Ctrl+O", "Space", "Ctrl+,", "Ctrl+Q", "F2", "F5"):
        assert key in have and key in listed, key
