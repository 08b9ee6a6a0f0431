"""The People tab driven as a user would: scan, name, merge by drag and drop, "not this person", undo."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QMessageBox

from app.people.models import ID_ROLE, UNSORTED

pytestmark = pytest.mark.slow


@pytest.fixture
def panel(qtbot, tmp_path):
    from app.people import PeoplePanel
    from app.workers import JobRegistry
    from core.config import Settings
    from core.library import Library

    jobs = JobRegistry()
    p = PeoplePanel(jobs)
    qtbot.addWidget(p)
    p.set_library(Library(tmp_path / "lib", settings=Settings(gallery=str(tmp_path / "gallery"))))
    p.show()
    yield p
    jobs.shutdown(30)
    p.library.close()


def wait_idle(qtbot, panel):
    qtbot.waitUntil(lambda: panel.jobs.running() == 0 and panel.scan_job is None, timeout=300_000)
    qtbot.wait(50)


def rows(panel):
    return {r["id"]: r for r in panel.groups.rows}


def test_scan_name_merge_reject_and_undo(panel, qtbot, samples, monkeypatch):
    panel.scan([str(samples / "val")])
    assert not panel.btn_scan.isEnabled()          # one scan at a time
    wait_idle(qtbot, panel)
    people = [r for r in panel.groups.rows if r["id"] != UNSORTED]
    assert len(people) == 5 and all(r["faces"] == 5 for r in people)
    assert "25 photos" in panel.status.text()

    first, second = people[0]["id"], people[1]["id"]
    panel._decide(lambda lib: lib.name(first, "Ada"), "named")
    wait_idle(qtbot, panel)
    assert rows(panel)[first]["name"] == "Ada"
    assert "Ada" in panel.groups.data(panel.groups.index(0))

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    mime = panel.groups.mimeData([panel.groups.index([r["id"] for r in panel.groups.rows].index(second))])
    target = panel.groups.index([r["id"] for r in panel.groups.rows].index(first))
    panel.groups.dropMimeData(mime, None, -1, -1, target)     # drag the second group onto Ada
    wait_idle(qtbot, panel)
    assert rows(panel)[first]["faces"] == 10 and second not in rows(panel)

    panel.group_view.setCurrentIndex(panel.groups.index([r["id"] for r in panel.groups.rows].index(first)))
    qtbot.waitUntil(lambda: panel.faces.rowCount() == 10)
    face = panel.faces.index(0).data(ID_ROLE)
    panel.face_view.selectionModel().select(panel.faces.index(0), panel.face_view.selectionModel().SelectionFlag.Select)
    panel.reject_faces()
    wait_idle(qtbot, panel)
    assert face not in {f["id"] for f in panel.library.store.faces_of(first)}

    panel.btn_undo.click()                                      # the rejection
    wait_idle(qtbot, panel)
    assert face in {f["id"] for f in panel.library.store.faces_of(first)}
    panel.btn_undo.click()                                      # the merge
    wait_idle(qtbot, panel)
    assert rows(panel)[first]["faces"] == 5 and rows(panel)[second]["faces"] == 5


def test_a_long_group_opens_in_pages(panel, qtbot, samples):
    panel.scan([str(samples / "train")])
    wait_idle(qtbot, panel)
    biggest = max((r for r in panel.groups.rows if r["id"] != UNSORTED), key=lambda r: r["faces"])
    panel.faces.show_group(panel.library, biggest["id"])
    assert panel.faces.rowCount() == biggest["faces"] and not panel.faces.canFetchMore(QModelIndex())
