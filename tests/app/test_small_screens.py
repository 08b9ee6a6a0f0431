"""The window at its smallest (1024x700), driven as a user does: nothing cut, nothing in one column, and a still
image says so rather than "0.0 fps"."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QAbstractButton, QFileDialog, QLabel, QLineEdit, QToolBar, QWidget

from tests.app import test_gui
from tests.app.test_keyboard import when_modal

window = test_gui.window   # the same window fixture: the real engine and a two-person gallery


def assert_nothing_cut(win) -> None:
    """Every visible button, label and field of the window lies inside it, buttons and plain labels as wide as
    their text; an elided label has its whole text in its tooltip."""
    frame = win.rect()
    for w in win.findChildren(QWidget):
        if not w.isVisible() or not isinstance(w, (QAbstractButton, QLabel, QLineEdit)):
            continue
        where = w.mapTo(win, QPoint(0, 0))
        assert frame.contains(where) and frame.contains(where + QPoint(w.width() - 1, w.height() - 1)), w
        text = w.text() if hasattr(w, "text") else ""
        if isinstance(w, QAbstractButton) and text:
            assert w.width() >= w.sizeHint().width() - 1, (text, w.width(), w.sizeHint().width())
        elif isinstance(w, QLabel) and text and not w.wordWrap() and "<" not in text:
            shown = QLabel.text(w)
            if shown != text:                                  # elided: the whole text is in its tooltip
                assert text in w.toolTip(), text
            else:
                assert w.width() >= w.fontMetrics().horizontalAdvance(shown), (shown, w.width())


def test_at_1024x700_nothing_is_cut_and_a_still_image_says_so(window, qtbot, val_people):
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == (1024, 700), timeout=5_000)
    for tab in (window.live, window.gallery_panel):
        qtbot.mouseClick(window.tabs.tabBar(), Qt.MouseButton.LeftButton,
                         pos=window.tabs.tabBar().tabRect(window.tabs.indexOf(tab)).center())
        assert window.tabs.currentWidget() is tab
        qtbot.wait(50)
        assert_nothing_cut(window)
    view = window.gallery_panel.view                          # the people side by side, not one column
    first, second = (view.visualRect(view.model().index(r, 0)) for r in (0, 1))
    assert first.top() == second.top() and second.left() > first.right()

    qtbot.mouseClick(window.tabs.tabBar(), Qt.MouseButton.LeftButton, pos=window.tabs.tabBar().tabRect(0).center())
    photo = str(val_people["elton_john"][0])

    def choose(dlg):
        dlg.selectFile(photo)
        dlg.accept()

    seen = when_modal(qtbot, choose, QFileDialog)
    toolbar = window.findChild(QToolBar)
    button = next(b for b in toolbar.findChildren(QAbstractButton) if b.text().startswith("Open image"))
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert seen
    qtbot.waitUntil(lambda: bool(window.view.faces) and window.view.faces[0].name == "elton_john", timeout=60_000)
    qtbot.wait(600)                                            # the status bar's timer has run
    assert window.lbl_fps.text() == window.view.rate_text() == "still image"
    assert window.lbl_fps.width() >= window.lbl_fps.fontMetrics().horizontalAdvance("view 30.0 fps | names 30.0/s")
    assert_nothing_cut(window)


def test_the_enrol_grid_fills_the_width_without_a_sideways_scroll(qtbot):
    from app.gallery.photo_grid import PhotoGrid

    grid = PhotoGrid()
    qtbot.addWidget(grid)
    for i in range(10):
        grid.set_preview(SimpleNamespace(path=f"/photos/{'a_very_long_file_name_' * 3}{i}.jpg", name=f"{'x' * 60}{i}.jpg",
                                         image=np.zeros((40, 30, 3), np.uint8), boxes=[], chosen=None, words="no face"))
    grid.show()
    columns = {}
    for width in (560, 860, 1900):
        grid.resize(width, 500)
        qtbot.waitUntil(lambda w=width: grid.viewport().width() > w - 60, timeout=5_000)
        columns[width] = grid.columns
        assert grid.inner.width() <= grid.viewport().width()
        for tile in grid.tiles.values():                     # a long file name is elided, whole in the tooltip
            assert tile.caption.sizeHint().width() <= tile.caption.width() and tile.toolTip().endswith(".jpg")
    assert columns[560] < columns[860] < columns[1900]
