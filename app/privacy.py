"""The window's side of faces at rest: asking for a passphrase (from whichever thread needs it), and offering
to encrypt a gallery an earlier version stored plain."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget


class PassphrasePrompt(QObject):
    """``prompt(folder, what)`` for :func:`core.storage.keys.set_prompt`: a password dialog on the GUI thread,
    also when a worker thread (loading the gallery) is the one that needs the passphrase; it waits for it."""

    _ask = Signal(object, str, object)

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.parent_widget = parent
        self._ask.connect(self._dialog)

    def __call__(self, folder, what: str) -> str | None:
        if QThread.currentThread() is self.thread():
            return self._run(folder, what)
        box: dict = {"done": threading.Event()}
        self._ask.emit(folder, what, box)
        box["done"].wait()
        return box.get("answer")

    def _dialog(self, folder, what: str, box: dict) -> None:
        try:
            box["answer"] = self._run(folder, what)
        finally:
            box["done"].set()

    def _run(self, folder, what: str) -> str | None:
        where = f"the {what} in {folder}" if folder is not None else f"the {what}"
        text, ok = QInputDialog.getText(self.parent_widget, "Passphrase", f"Passphrase of {where}:",
                                        QLineEdit.EchoMode.Password)
        return text if ok and text else None


def offer_encryption(parent: QWidget, gallery_root) -> bool:
    """Ask whether to encrypt a gallery stored plain (made by an earlier version); True to go ahead."""
    box = QMessageBox(parent)
    box.setWindowTitle("Encrypt your gallery?")
    box.setIcon(QMessageBox.Icon.Question)
    box.setText(f"<p>The gallery in <b>{gallery_root}</b> holds faces and their embeddings as plain files "
                "(an earlier version made it): anyone with a copy of the folder, a backup or a synced drive has "
                "them.</p><p>Encrypt it now? Its key stays on this computer (the system keyring, or a file "
                "readable only by you in the settings folder). It takes a few seconds; nothing is lost if it is "
                "interrupted.</p>")
    yes = box.addButton("Encrypt now", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Not now", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    return box.clickedButton() is yes


def install_prompt(window) -> None:
    """Let core ask the user for passphrases through the window."""
    from core.storage import set_prompt

    window.passphrase_prompt = PassphrasePrompt(window)
    set_prompt(window.passphrase_prompt)


def maybe_encrypt(window) -> None:
    """The window's gallery is stored plain: offer to encrypt it (and a plain photo library beside it), with the
    engine closed meanwhile, then load it again."""
    from app.workers import Job, while_alive
    from core.errors import describe
    from core.privacy import protect

    if not offer_encryption(window, window.gallery.root):
        return
    settings = window.gallery.settings.replace(gallery=str(window.gallery.root))
    library = window.people.library.root if window.people.library is not None else None
    window.close_engine()

    def work():
        return protect("encrypt", settings, library=library)  # every plain folder that holds faces

    job = Job(work, plain=True, name="encrypt gallery")
    job.signals.result.connect(while_alive(window, lambda _r: (
        window.statusBar().showMessage("The gallery is encrypted.", 8000), window.start_engine())))
    job.signals.error.connect(while_alive(window, lambda e: (QMessageBox.warning(window, "Encryption", describe(e)),
                                                             window.start_engine())))
    window.statusBar().showMessage("Encrypting the gallery ...")
    window.jobs.start(job)
