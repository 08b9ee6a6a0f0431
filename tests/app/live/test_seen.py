"""The Live tab's list of who was seen: rows follow the log, an unknown row offers enrolment, the log saves."""

from __future__ import annotations

import numpy as np

from core.live.appearances import AppearanceLog


def test_seen_list_follows_the_log_and_offers_to_enroll_strangers(qtbot, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QFileDialog, QMessageBox

    from app.live.seen import SeenPanel

    panel = SeenPanel()
    qtbot.addWidget(panel)
    log = AppearanceLog()
    face = np.full((60, 50, 3), 128, np.uint8)
    log.seen(1, 0.0, "ada", 0.71).offer_face(0.9, face)
    log.seen(2, 0.5, None, 0.21).offer_face(0.8, face)
    panel.refresh(log)
    assert panel.list.count() == 2 and panel.list.item(0).text().startswith("ada")
    log.seen(2, 1.5, None, 0.25)
    log.end([2])
    panel.refresh(log)
    assert "unknown (gone)" in panel.list.item(1).text() and "2 frames" in panel.list.item(1).text()
    panel.list.setCurrentRow(0)
    assert not panel.enroll.isEnabled()             # a named person is not offered
    panel.list.setCurrentRow(1)
    assert panel.enroll.isEnabled()
    with qtbot.waitSignal(panel.enrollRequested) as got:
        panel.enroll.click()
    assert len(got.args[0]) == 1 and got.args[0][0].shape == (60, 50, 3)
    # Save log ...: clicked, the file dialog answered with a path (JSON, then CSV by the name's ending)
    for name in ("seen.json", "seen.csv"):
        out = tmp_path / name
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, _o=out, **k: (str(_o), ""))
        panel.save.click()
        assert out.exists()
    assert '"people": [' in (tmp_path / "seen.json").read_text()
    rows = (tmp_path / "seen.csv").read_text().splitlines()
    assert len(rows) == 3 and "ada" in rows[1]
    # a place that cannot be written (its "folder" is a file): a message, no traceback, nothing lost
    (tmp_path / "afile").write_text("")
    told = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: told.append(text))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(tmp_path / "afile" / "x.csv"), ""))
    panel.save.click()
    assert told and "Could not save" in told[0] and panel.list.count() == 2


def test_save_log_waits_for_someone_to_be_seen(qtbot):
    from app.live.seen import SeenPanel

    panel = SeenPanel()
    qtbot.addWidget(panel)
    assert not panel.save.isEnabled()
    panel.refresh(AppearanceLog())
    assert not panel.save.isEnabled()
    log = AppearanceLog()
    log.seen(1, 0.0, "ada", 0.7)
    panel.refresh(log)
    assert panel.save.isEnabled()


def test_the_window_lists_who_was_seen_and_enrolls_a_stranger_from_it(qtbot, two_people_gallery, val_people,
                                                                       tmp_path):
    """A clip of jerry (enrolled) then madonna (not): the list shows both tracks as the video runs; madonna's row
    opens the enrol dialog with her best faces from the video."""
    import shutil

    from app.gallery.enroll_dialog import EnrollLiveDialog
    from app.main_window import MainWindow
    from tests.conftest import make_clip

    gal = tmp_path / "gallery"
    shutil.copytree(two_people_gallery, gal)
    clip = make_clip(tmp_path / "two.avi", [val_people["jerry_seinfeld"][0], val_people["madonna"][0]], 25)
    win = MainWindow(gallery_dir=str(gal))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.recognizer is not None, timeout=180_000)
    seen = win.live.seen
    try:
        assert win.open_source(str(clip))
        qtbot.waitUntil(lambda: seen.list.count() >= 2 and not seen.list.item(seen.list.count() - 1).text()
                        .startswith("jerry"), timeout=120_000)
        assert seen.list.item(0).text().startswith("jerry_seinfeld")
        stranger = seen.list.count() - 1
        assert seen.list.item(stranger).text().startswith("unknown")
        seen.list.setCurrentRow(stranger)
        assert seen.enroll.isEnabled()
        seen.enroll.click()
        dialogs = [w for w in win.findChildren(EnrollLiveDialog) if w.isVisible()]
        assert len(dialogs) == 1 and 1 <= len(dialogs[0].captures) <= 3
        dialogs[0].close()
    finally:
        win.close()
