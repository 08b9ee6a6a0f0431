"""The People tab's fixtures: a panel on a fresh library, or on a copy of one scanned once per session, and helpers
that drive it as a person would (wait for its jobs, click a group, find the dialog it opened)."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt

from app.people.models import ID_ROLE, UNSORTED


@pytest.fixture(scope="session")
def val_library(tmp_path_factory, samples):
    """A library scanned once from the 5-celebrity val photos (25 photos, 5 people of 5 faces), copied per test."""
    from tests.conftest import scanned_library

    return scanned_library(tmp_path_factory.mktemp("people-tab"), samples / "val")


def make_panel(qtbot, library_dir, gallery_dir):
    from app.people import PeoplePanel
    from app.workers import JobRegistry
    from core.config import Settings
    from core.library import Library

    jobs = JobRegistry()
    p = PeoplePanel(jobs)
    qtbot.addWidget(p)
    p.resize(1024, 700)
    p.set_library(Library(library_dir, settings=Settings(gallery=str(gallery_dir))))
    p.show()
    qtbot.waitExposed(p)
    wait_idle(qtbot, p)
    return p


def close_panel(p) -> None:
    p.jobs.shutdown(30)
    if p.library is not None:
        p.library.close()


@pytest.fixture
def panel(qtbot, tmp_path):
    """A panel on a new, empty library."""
    p = make_panel(qtbot, tmp_path / "lib", tmp_path / "gallery")
    yield p
    close_panel(p)


@pytest.fixture
def scanned_panel(qtbot, tmp_path, val_library):
    """A panel on a copy of the scanned val library (5 unnamed groups)."""
    shutil.copytree(val_library, tmp_path / "lib")
    p = make_panel(qtbot, tmp_path / "lib", tmp_path / "gallery")
    yield p
    close_panel(p)


def wait_idle(qtbot, panel, timeout=300_000):
    qtbot.waitUntil(lambda: panel.jobs.running() == 0 and panel.scan_job is None, timeout=timeout)
    qtbot.wait(30)
    qtbot.waitUntil(lambda: panel.jobs.running() == 0, timeout=timeout)   # a refresh started by the last result


def rows(panel) -> dict:
    return {r.id: r for r in panel.groups.rows}


def people_ids(panel) -> list[int]:
    return [r.id for r in panel.groups.rows if r.id != UNSORTED]


def click_item(qtbot, view, row: int, double: bool = False) -> None:
    """Click (or double-click) the item in ``row`` of an item view where a person would: its centre."""
    index = view.model().index(row, 0)
    view.scrollTo(index)
    centre = view.visualRect(index).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    if double:
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def select_group(qtbot, panel, gid: int) -> None:
    click_item(qtbot, panel.group_view, [r.id for r in panel.groups.rows].index(gid))
    assert panel.selected_group() == gid
    qtbot.waitUntil(lambda: panel.faces.rowCount() > 0 or gid == UNSORTED)


def button(qtbot, panel, label: str) -> None:
    qtbot.mouseClick(panel.buttons[label], Qt.MouseButton.LeftButton)


def dialog(qtbot, panel, kind):
    """The dialog the panel opened last, once it is a ``kind`` and visible."""
    qtbot.waitUntil(lambda: isinstance(panel.dialog, kind) and panel.dialog.isVisible())
    return panel.dialog


def face_ids_of(panel, gid: int) -> set[int]:
    return {f["id"] for f in panel.library.store.faces_of(gid)}


__all__ = ["ID_ROLE", "key", "button", "click_item", "dialog", "face_ids_of", "people_ids", "rows", "select_group",
           "wait_idle"]


def key(qtbot, widget, k, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """Press a key in ``widget`` of the active window (shortcuts only reach the active window)."""
    window = widget.window()
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(lambda: window.isActiveWindow())
    qtbot.keyClick(widget, k, modifier)
