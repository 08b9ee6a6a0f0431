"""The window and faces at rest: a plain gallery from an earlier version is offered encryption; a gallery behind
a passphrase asks for it (from the worker thread that opens it) and loads."""

import os

import pytest

from core.config import Settings
from core.gallery import Gallery

pytestmark = pytest.mark.slow


def test_a_plain_gallery_is_offered_encryption_and_stays_whole(qtbot, tmp_path, train_people, monkeypatch):
    from app import privacy
    from app.main_window import MainWindow

    gal = tmp_path / "plain"
    with Gallery(gal, settings=Settings(encrypt=False)) as g:
        g.enroll("jerry_seinfeld", train_people["jerry_seinfeld"][:4])
        want = g.count()
    asked = []
    monkeypatch.setattr(privacy, "offer_encryption", lambda parent, root: asked.append(root) or True)
    win = MainWindow(gallery_dir=str(gal))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: bool(asked) and win.gallery is not None and win.gallery.store.key is not None,
                    timeout=300_000)
    assert win.gallery.count() == want and "encrypted" in win.lbl_gallery.text()
    assert (gal / "vault.json").is_file()
    win.close()


def test_a_passphrase_gallery_asks_in_the_window(qtbot, tmp_path, train_people, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from app.main_window import MainWindow

    gal = tmp_path / "locked"
    monkeypatch.setenv("FACEREC_PASSPHRASE", "open sesame")
    with Gallery(gal, settings=Settings()) as g:
        g.enroll("madonna", train_people["madonna"][:3])
        assert g.store.vault.protection == "passphrase"
    monkeypatch.delenv("FACEREC_PASSPHRASE")
    asked = []
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: (asked.append(a[2]) or "open sesame", True))
    win = MainWindow(gallery_dir=str(gal))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.gallery is not None, timeout=300_000)
    assert asked and "gallery" in asked[0] and win.gallery.names() == ["madonna"]
    assert "FACEREC_PASSPHRASE" not in os.environ
    win.close()
