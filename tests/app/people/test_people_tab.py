"""The People tab driven as a user would: scan, name, merge by drag and drop, "not this person", undo; an empty
tab, a missing folder, removing a folder, counts and labels, and the layout of a 1024x700 window."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QMimeData, QModelIndex, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from app.people.models import UNSORTED
from tests.app.people.conftest import (
    button,
    click_item,
    dialog,
    face_ids_of,
    key,
    people_ids,
    rows,
    select_group,
    wait_idle,
)

pytestmark = pytest.mark.slow


def drop_group(qtbot, panel, source: int, target: int) -> None:
    """Drag group ``source`` onto group ``target`` as the mouse does: enter, move over the target, drop."""
    ids = [r.id for r in panel.groups.rows]
    mime: QMimeData = panel.groups.mimeData([panel.groups.index(ids.index(source))])
    view, vp = panel.group_view, panel.group_view.viewport()
    at = QPointF(view.visualRect(panel.groups.index(ids.index(target))).center())
    move, buttons, mods = Qt.DropAction.MoveAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for ev in (QDragEnterEvent(at.toPoint(), move, mime, buttons, mods), QDragMoveEvent(at.toPoint(), move, mime,
                                                                                       buttons, mods)):
        QApplication.sendEvent(vp, ev)
    drop = QDropEvent(at, move, mime, buttons, mods)
    QApplication.sendEvent(vp, drop)


def test_scan_name_merge_reject_and_undo(panel, qtbot, samples):
    assert panel.pages.currentIndex() == 0 and "Add a folder of photos" in panel.empty_hint.text()
    assert not panel.btn_undo.isEnabled()                     # nothing to undo in a new library
    panel.scan([str(samples / "val")])
    assert not panel.btn_scan.isEnabled()                     # one scan at a time
    wait_idle(qtbot, panel)
    assert panel.pages.currentIndex() == 1
    people = people_ids(panel)
    assert len(people) == 5 and all(rows(panel)[g].count == 5 for g in people)
    assert "25 photos" in panel.status.text() and "5 unnamed groups" in panel.status.text()
    first, second = people[0], people[1]
    panel.run_decision(lambda lib: lib.name(first, "Ada"), "named")
    wait_idle(qtbot, panel)
    assert rows(panel)[first].name == "Ada" and "1 person named" in panel.status.text()

    drop_group(qtbot, panel, second, first)                   # drag the second group onto Ada
    dlg = dialog(qtbot, panel, __import__("app.people.dialogs", fromlist=["MergeDialog"]).MergeDialog)
    qtbot.waitUntil(lambda: dlg.source.faces_shown() == 5 and dlg.target.faces_shown() == 5)  # both groups' faces
    qtbot.mouseClick(dlg.merge, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, panel)
    assert rows(panel)[first].count == 10 and second not in rows(panel)
    assert panel.selected_group() == first                    # the merged group stays selected

    qtbot.waitUntil(lambda: panel.faces.rowCount() == 10)
    face = panel.faces.rows[0].id
    click_item(qtbot, panel.face_view, 0)
    key(qtbot, panel.face_view, Qt.Key.Key_Delete)        # "not this person"
    wait_idle(qtbot, panel)
    assert face not in face_ids_of(panel, first)

    assert "“not this person” for face" in panel.btn_undo.toolTip()
    qtbot.mouseClick(panel.btn_undo, Qt.MouseButton.LeftButton)   # the rejection
    wait_idle(qtbot, panel)
    assert face in face_ids_of(panel, first) and panel.notice.text().startswith("Undid “not this person”")
    key(qtbot, panel.face_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)   # the merge
    wait_idle(qtbot, panel)
    assert panel.notice.text().startswith(f"Undid merging group {second} into group {first}")
    assert rows(panel)[first].count == 5 and rows(panel)[second].count == 5


def test_undo_names_a_decision_of_an_earlier_session_and_is_off_when_nothing_is_left(qtbot, tmp_path,
                                                                                     val_library):
    from tests.app.people.conftest import close_panel, make_panel

    shutil.copytree(val_library, tmp_path / "lib")
    p = make_panel(qtbot, tmp_path / "lib", tmp_path / "gallery")
    gid = people_ids(p)[0]
    p.run_decision(lambda lib: lib.name(gid, "Ada", enrol=False), "named")
    wait_idle(qtbot, p)
    close_panel(p)
    p.close()
    again = make_panel(qtbot, tmp_path / "lib", tmp_path / "gallery")       # the next day
    try:
        assert again.btn_undo.isEnabled()
        assert f"naming group {gid} as “Ada”" in again.btn_undo.toolTip()
        qtbot.mouseClick(again.btn_undo, Qt.MouseButton.LeftButton)
        wait_idle(qtbot, again)
        assert again.notice.text().startswith(f"Undid naming group {gid} as “Ada”")
        assert rows(again)[gid].name is None
        assert not again.btn_undo.isEnabled() and again.btn_undo.toolTip() == "Nothing to undo"
    finally:
        close_panel(again)


def test_an_empty_folder_is_not_added_and_the_empty_tab_says_what_to_do(panel, qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    empty = tmp_path / "nothing here"
    empty.mkdir()
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(empty))
    assert panel.btn_empty_scan.isVisible() and not panel.btn_undo.isEnabled()
    qtbot.mouseClick(panel.btn_empty_scan, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, panel)
    assert "No photos in" in panel.notice.text() and "not added to the library" in panel.notice.text()
    assert panel.library.folders() == [] and panel.pages.currentIndex() == 0
    assert not panel.btn_rescan.isEnabled()


def test_a_missing_folder_is_reported_the_rest_scanned_and_a_folder_can_be_removed(panel, qtbot, tmp_path,
                                                                                   samples):
    from app.people.folders import FoldersDialog

    a, b = tmp_path / "a", tmp_path / "drive" / "b"
    shutil.copytree(samples / "val" / "madonna", a)
    shutil.copytree(samples / "val" / "elton_john", b)
    panel.scan([str(a), str(b)])
    wait_idle(qtbot, panel)
    assert panel.library.store.counts()["photos"] == 10
    (tmp_path / "drive").rename(tmp_path / "unplugged")          # the drive is unplugged
    shutil.copy(samples / "val" / "ben_afflek" / sorted(p.name for p in (samples / "val" / "ben_afflek")
                                                         .glob("*.jpg"))[0], a / "new.jpg")
    qtbot.mouseClick(panel.btn_rescan, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, panel)
    assert "Not found, so skipped" in panel.notice.text() and str(b) in panel.notice.text()
    assert panel.library.store.counts()["photos"] == 11          # the rest was scanned (the new photo)

    qtbot.mouseClick(panel.btn_folders, Qt.MouseButton.LeftButton)
    dlg = dialog(qtbot, panel, FoldersDialog)
    qtbot.waitUntil(lambda: len(dlg.folders) == 2)
    row = [f.path for f in dlg.folders].index(str(b))
    assert "not found" in dlg.list.item(row).text() and "5 photos" in dlg.list.item(row).text()
    assert not dlg.remove.isEnabled()
    click_item(qtbot, dlg.list, row)
    qtbot.mouseClick(dlg.remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dlg.confirm is not None and dlg.confirm.isVisible())
    qtbot.mouseClick(dlg.confirm.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, panel)
    assert panel.notice.text().startswith(f"Removed {b} from the library: 5 photos")
    assert panel.library.store.counts()["photos"] == 6 and [f.path for f in panel.library.folders()] == [str(a)]
    qtbot.waitUntil(lambda: len(dlg.folders) == 1)


def test_counts_match_what_is_shown_and_labels_are_whole(scanned_panel, qtbot):
    p = scanned_panel
    gid = people_ids(p)[-1]
    select_group(qtbot, p, gid)
    button(qtbot, p, "Hide")
    wait_idle(qtbot, p)
    shown = people_ids(p)
    assert gid not in shown and len(shown) == 4
    assert "4 unnamed groups" in p.status.text() and "1 group hidden" in p.status.text()
    qtbot.mouseClick(p.show_hidden, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, p)
    assert "5 unnamed groups" in p.status.text() and "1 of these hidden" in p.status.text()
    row = [r.id for r in p.groups.rows].index(gid)
    assert p.groups.index(row).data(Qt.ItemDataRole.DisplayRole).endswith("5 faces, hidden")

    long = "George Walker Bush Junior"
    p.run_decision(lambda lib: lib.name(shown[0], long, enrol=False), "named")
    wait_idle(qtbot, p)
    index = p.groups.index([r.id for r in p.groups.rows].index(shown[0]))
    assert index.data(Qt.ItemDataRole.ToolTipRole).startswith(long)          # the whole name, always
    assert p.group_view.wordWrap()                                              # words wrap before any elision
    fm = p.group_view.fontMetrics()
    assert all(fm.horizontalAdvance(w) < p.GROUP_GRID.width() for w in long.split())
    assert "1 person named" in p.status.text() and "(5 faces)" in p.title.text()


def test_a_1024_by_700_window_keeps_two_columns_of_groups_and_undo_does_not_move(scanned_panel, qtbot):
    p = scanned_panel
    p.resize(1024, 700)
    qtbot.wait(50)
    cols = p.group_view.viewport().width() // p.GROUP_GRID.width()
    assert cols >= 2, cols
    undo_at = p.btn_undo.mapTo(p, p.btn_undo.rect().topLeft())
    list_at = p.group_view.mapTo(p, p.group_view.rect().topLeft())
    p._set_busy(True)                      # as during a scan: Cancel and the progress bar appear
    qtbot.wait(50)
    assert p.btn_cancel.isVisible()
    assert p.btn_undo.mapTo(p, p.btn_undo.rect().topLeft()) == undo_at
    assert p.group_view.mapTo(p, p.group_view.rect().topLeft()) == list_at
    p._set_busy(False)


def test_a_long_group_opens_in_pages(scanned_panel, qtbot):
    p = scanned_panel
    biggest = max((r for r in p.groups.rows if r.id != UNSORTED), key=lambda r: r.count)
    p.faces.show_group(p.library, biggest.id)
    assert p.faces.rowCount() == biggest.count and not p.faces.canFetchMore(QModelIndex())


def test_forget_by_click_leaves_no_byte_of_the_person_in_any_folder(scanned_panel, qtbot, tmp_path):
    from PySide6.QtWidgets import QMessageBox

    from tests.core.storage.test_privacy import files_under, leaks

    p = scanned_panel
    gid = people_ids(p)[0]
    lib = p.library
    ids = [f.id for f in lib.faces_of(gid)]
    vectors = lib.store.embeddings_of(ids, lib.spec.embedding_size)
    crops = [lib.crop(i) for i in ids]
    p.run_decision(lambda lib: lib.name(gid, "Ada Lovelace"), "named")      # enrolled in the gallery too
    wait_idle(qtbot, p)
    select_group(qtbot, p, gid)
    button(qtbot, p, "Forget ...")
    dlg = p.dialog
    assert isinstance(dlg, QMessageBox) and dlg.isVisible()
    qtbot.mouseClick(dlg.button(QMessageBox.StandardButton.Yes), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, p)
    assert gid not in people_ids(p) and p.notice.text().startswith("Forgot")
    # nor in the window's memory: no cover of the group, no crop of their faces waits to be shown again
    assert gid not in p.groups.icons.stale and gid not in p.groups.icons.icons
    assert not set(ids) & (set(p.faces.icons.stale) | set(p.faces.icons.icons))
    folders = [lib.root, lib.settings.gallery_dir()]
    assert leaks(files_under(*folders), vectors, [b"Ada Lovelace"], [c for c in crops if c]) == []


def test_write_names_to_photos_by_click_writes_sidecars_beside_them(panel, qtbot, samples, tmp_path):
    import shutil

    from app.people.folders import FoldersDialog

    photos = tmp_path / "photos"
    shutil.copytree(samples / "val" / "madonna", photos)
    before = {p.name: p.read_bytes() for p in photos.iterdir()}
    panel.scan([str(photos)])
    wait_idle(qtbot, panel)
    gid = people_ids(panel)[0]
    panel.run_decision(lambda lib: lib.name(gid, "Madonna", enrol=False), "named")
    wait_idle(qtbot, panel)
    qtbot.mouseClick(panel.btn_folders, Qt.MouseButton.LeftButton)
    dlg = dialog(qtbot, panel, FoldersDialog)
    qtbot.mouseClick(dlg.write, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, panel)
    assert panel.notice.text().startswith("Wrote 5 named faces to 5 sidecars")
    assert sorted(p.name for p in photos.glob("*.xmp")) == sorted(n.rsplit(".", 1)[0] + ".xmp" for n in before)
    assert all(b"Madonna" in p.read_bytes() for p in photos.glob("*.xmp"))
    assert {p.name: p.read_bytes() for p in photos.iterdir() if p.suffix != ".xmp"} == before  # photos untouched


def test_f2_names_the_selected_group(scanned_panel, qtbot):
    from app.people.dialogs import NameDialog

    p = scanned_panel
    gid = people_ids(p)[0]
    select_group(qtbot, p, gid)
    key(qtbot, p.group_view, Qt.Key.Key_F2)
    assert isinstance(p.dialog, NameDialog) and p.dialog.isVisible()


def test_hide_all_unnamed_groups_asks_how_small_and_hides_only_those(scanned_panel, qtbot):
    from PySide6.QtWidgets import QDialogButtonBox, QInputDialog, QSpinBox

    p = scanned_panel
    ada, big, joined, *small = people_ids(p)
    p.run_decision(lambda lib: lib.name(ada, "Ada", enrol=False), "named")
    wait_idle(qtbot, p)
    p.run_decision(lambda lib: lib.merge(joined, big), "merged")         # an unnamed group of 10 faces
    wait_idle(qtbot, p)
    assert rows(p)[big].count == 10 and len(small) == 2 and all(rows(p)[g].count == 5 for g in small)

    def ask() -> QInputDialog:
        qtbot.mouseClick(p.btn_hide_all, Qt.MouseButton.LeftButton)
        dlg = dialog(qtbot, p, QInputDialog)
        assert dlg.intValue() == 3 and "at most this many faces" in dlg.labelText()
        return dlg

    dlg = ask()
    qtbot.mouseClick(dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel),
                     Qt.MouseButton.LeftButton)                           # changed one's mind: nothing hidden
    wait_idle(qtbot, p)
    assert not any(g.hidden for g in p.library.groups()) and not dlg.isVisible()

    dlg = ask()
    spin = dlg.findChild(QSpinBox)
    spin.selectAll()
    qtbot.keyClicks(spin, "5")                                           # groups of up to 5 faces
    qtbot.mouseClick(dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    wait_idle(qtbot, p)
    hidden = {g.id: g.hidden for g in p.library.groups() if g.count}
    assert hidden == {ada: False, big: False, **{g: True for g in small}}   # named and larger groups stay
    assert people_ids(p) == [ada, big] and p.notice.text() == "Hid the unnamed groups of up to 5 faces."
    assert "2 groups hidden" in p.status.text()


def test_face_crops_are_decoded_off_the_gui_thread_and_a_refresh_never_blanks_them(scanned_panel, qtbot,
                                                                                    monkeypatch):
    import threading

    import app.crops as crops

    p = scanned_panel
    threads = set()
    decode = crops.image_from_jpeg

    def spy(data, size=96):
        threads.add(threading.current_thread())
        return decode(data, size)

    monkeypatch.setattr(crops, "image_from_jpeg", spy)

    def a_face(model, row: int) -> bool:
        image = model.index(row).data(Qt.ItemDataRole.DecorationRole).pixmap(96, 96).toImage()
        return len({image.pixelColor(x, y).name() for x in range(8, 88, 10) for y in range(8, 88, 10)}) > 20

    p.refresh()                                            # the covers are read again
    wait_idle(qtbot, p)
    select_group(qtbot, p, people_ids(p)[1])
    qtbot.waitUntil(lambda: a_face(p.groups, 0) and a_face(p.faces, 0))
    assert threads and threading.main_thread() not in threads
    p.groups.set_rows(p.library.groups(), 0)               # new rows: the old faces stay until theirs arrive
    assert a_face(p.groups, 0)


def test_double_clicking_a_face_opens_its_photo_decoded_off_the_gui_thread(scanned_panel, qtbot, monkeypatch, tmp_path):
    import threading

    import app.people.review as review
    from app.people.review import PhotoDialog

    p = scanned_panel
    threads, mark = set(), review.marked_photo
    monkeypatch.setattr(review, "marked_photo", lambda *a: threads.add(threading.current_thread()) or mark(*a))
    select_group(qtbot, p, people_ids(p)[0])
    click_item(qtbot, p.face_view, 0, double=True)
    d = dialog(qtbot, p, PhotoDialog)
    qtbot.waitUntil(lambda: d.label.pixmap() is not None and not d.label.pixmap().isNull(), timeout=30_000)
    assert d.windowTitle() == p.faces.rows[0].photo and d.label.pixmap().width() > 200
    assert threads and threading.main_thread() not in threads
    d.close()
    gone = tmp_path / "gone.jpg"                 # a photo removed since the scan: one sentence, no traceback
    d = PhotoDialog(str(gone), (0, 0, 10, 10), p.jobs, p)
    qtbot.waitUntil(lambda: "no such file" in d.label.text(), timeout=30_000)

