"""The People tab's questions driven with mouse and keyboard: naming with a name someone already has (both
faces side by side, Join or another name), names completed as typed, the merge picker (faces, nothing chosen
until clicked), the split proposal (real crops, or "looks like one person"), and the review queue's answers."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from app.people.dialogs import GroupPicker, NameConflictDialog, NameDialog
from app.people.split import SplitDialog
from tests.app.people.conftest import button, click_item, dialog, key, people_ids, rows, select_group, wait_idle

pytestmark = pytest.mark.slow


def type_name(qtbot, dlg: NameDialog, text: str) -> None:
    dlg.edit.selectAll()
    qtbot.keyClicks(dlg.edit, text)


def name_via_dialog(qtbot, panel, gid: int, text: str) -> None:
    select_group(qtbot, panel, gid)
    button(qtbot, panel, "Name ...")
    dlg = dialog(qtbot, panel, NameDialog)
    type_name(qtbot, dlg, text)
    key(qtbot, dlg.edit, Qt.Key.Key_Return)


def test_a_name_in_use_shows_both_people_and_joins_only_when_asked(scanned_panel, qtbot):
    p = scanned_panel
    ada, other, third = people_ids(p)[:3]
    name_via_dialog(qtbot, p, ada, "Ada Lovelace")
    wait_idle(qtbot, p)
    assert rows(p)[ada].name == "Ada Lovelace" and p.notice.text() == f"Named group {ada} Ada Lovelace."

    select_group(qtbot, p, other)                             # a different person, given the same name
    button(qtbot, p, "Name ...")
    dlg = dialog(qtbot, p, NameDialog)
    qtbot.waitUntil(lambda: dlg.completer.model().stringList() == ["Ada Lovelace"])
    qtbot.keyClicks(dlg.edit, "ada")
    assert dlg.completer.currentCompletion() == "Ada Lovelace"            # completed as it is typed
    type_name(qtbot, dlg, "Ada Lovelace")
    assert "already someone" in dlg.hint.text()
    qtbot.mouseClick(dlg.box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    clash = dialog(qtbot, p, NameConflictDialog)
    qtbot.waitUntil(lambda: clash.theirs.faces_shown() == 5 and clash.mine.faces_shown() == 5)
    assert "These look like different people" in clash.verdict.text()
    assert clash.other.isDefault() and rows(p)[other].name is None        # nothing merged silently
    qtbot.mouseClick(clash.other, Qt.MouseButton.LeftButton)              # choose another name
    dlg = dialog(qtbot, p, NameDialog)
    assert dlg.edit.text() == "Ada Lovelace"
    type_name(qtbot, dlg, "Bob")
    qtbot.mouseClick(dlg.box.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    wait_idle(qtbot, p)
    assert rows(p)[other].name == "Bob" and rows(p)[ada].count == 5

    name_via_dialog(qtbot, p, third, "Ada Lovelace")                      # joining, when the user says so
    clash = dialog(qtbot, p, NameConflictDialog)
    qtbot.waitUntil(lambda: clash.mine.faces_shown() == 5)
    qtbot.mouseClick(clash.join, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, p)
    assert rows(p)[ada].count == 10 and third not in rows(p) and p.selected_group() == ada


def test_merge_into_shows_faces_and_nothing_is_chosen_until_clicked(scanned_panel, qtbot):
    p = scanned_panel
    source, *others = people_ids(p)
    select_group(qtbot, p, source)
    button(qtbot, p, "Merge into ...")
    dlg = dialog(qtbot, p, GroupPicker)
    assert dlg.proxy.rowCount() == len(others)                       # not itself, not the unsorted faces
    assert all(not dlg.proxy.index(r, 0).data(Qt.ItemDataRole.DecorationRole).isNull()
               for r in range(dlg.proxy.rowCount()))                 # each candidate as a face
    assert dlg.chosen() is None and not dlg.ok.isEnabled()
    key(qtbot, dlg.view, Qt.Key.Key_Return)                           # Enter merges into nobody
    assert dlg.isVisible() and rows(p)[source].count == 5
    target_row = 2
    target = dlg.proxy.index(target_row, 0).data(Qt.ItemDataRole.UserRole + 1)
    click_item(qtbot, dlg.view, target_row)
    assert dlg.chosen() == target and dlg.ok.isEnabled()
    qtbot.mouseClick(dlg.ok, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, p)
    assert rows(p)[target].count == 10 and source not in rows(p)
    assert p.selected_group() == target                                  # the merged group stays selected


def test_split_shows_real_faces_or_says_the_group_is_one_person(scanned_panel, qtbot):
    p = scanned_panel
    a, b = people_ids(p)[:2]
    select_group(qtbot, p, a)
    button(qtbot, p, "Split ...")
    dlg = dialog(qtbot, p, SplitDialog)
    qtbot.waitUntil(lambda: "looks like one person" in dlg.text.text())
    assert not dlg.split.isEnabled()
    dlg.reject()

    p.run_decision(lambda lib: lib.merge(b, a), "merged")             # a wrong merge (two people in one group)
    wait_idle(qtbot, p)
    select_group(qtbot, p, a)
    button(qtbot, p, "Split ...")
    dlg = dialog(qtbot, p, SplitDialog)
    qtbot.waitUntil(lambda: len(dlg.strips) == 2)
    assert sorted(len(x) for x in dlg.parts) == [5, 5] and dlg.split.isEnabled()
    assert [s.faces_shown() for s in dlg.strips] == [5, 5]           # real crops, not empty boxes
    assert dlg.strips[0].list.iconSize().width() >= 96
    image = dlg.strips[0].list.item(0).icon().pixmap(96, 96).toImage()
    assert image.width() == 96 and len({image.pixelColor(x, y).name() for x in range(8, 96, 11)
                                        for y in range(8, 96, 11)}) > 20          # a face, not a grey box
    qtbot.mouseClick(dlg.split, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, p)
    assert sorted(r.count for r in p.groups.rows if r.id != -1) == [5, 5, 5, 5, 5]


def test_the_review_queue_asks_about_the_person_just_named_and_says_likely_only_above_the_threshold(
        panel, qtbot, samples):
    p = panel
    p.scan([str(samples / "train")])       # 93 photos: a few faces stay unsorted, some near a named person
    wait_idle(qtbot, p)
    ids = people_ids(p)
    for gid, name in zip(ids, ("Ada", "Bob", "Cy", "Di", "Ed")):
        p.run_decision(lambda lib, gid=gid, name=name: lib.name(gid, name, enrol=False), "named")
        wait_idle(qtbot, p)
    assert p.review.items, "the train photos have unsorted faces near the named people"
    for s in p.review.items:
        assert s.kind == "face" or s.score >= s.threshold    # a whole group only when likely
        assert s.score >= s.floor and s.likely == (s.score >= s.threshold)
    s = p.review.items[0]
    assert ("likely" if s.likely else "perhaps") in p.review.question.text()
    assert not p.review.face.pixmap().isNull()
    key(qtbot, p.review.no, Qt.Key.Key_N)                              # "no": not asked again
    wait_idle(qtbot, p)
    assert p.notice.text() == f"Noted: not {s.person}."
    assert (s.id, s.person) not in {(x.id, x.person) for x in p.review.items}
