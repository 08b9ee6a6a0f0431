"""The split proposal: computed off the GUI thread, its parts shown as faces, or "this group looks like one
person" when the parts pass the grouping's same-person test."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QVBoxLayout

from app.people.faces import FaceStrip, decoded
from app.widgets import count_text
from app.workers import Job, while_alive

SHOWN = 40   # faces shown per part


def _proposal(library, group: int) -> dict:
    parts = library.propose_split(group)
    faces = {f.id: f for f in library.faces_of(group, with_crops=True)}
    test = library.compare_faces(parts[0], parts[1]) if len(parts) == 2 else None
    return {"parts": parts, "faces": [decoded([faces[i] for i in p[:SHOWN] if i in faces]) for p in parts],
            "test": test}


class SplitDialog(QDialog):
    """The app's proposal for splitting a group: its parts side by side; **Split** splits."""

    def __init__(self, panel, group: int, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Split this group")
        self.resize(860, 480)
        self.parts: list[list[int]] = []
        lay = QVBoxLayout(self)
        self.text = QLabel("Looking for the people in this group ...")
        self.text.setWordWrap(True)
        lay.addWidget(self.text)
        self.row = QHBoxLayout()
        lay.addLayout(self.row, 1)
        self.box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.split = self.box.addButton("Split", QDialogButtonBox.ButtonRole.AcceptRole)
        self.split.setEnabled(False)
        self.box.accepted.connect(self.accept)
        self.box.rejected.connect(self.reject)
        lay.addWidget(self.box)
        self.strips: list[FaceStrip] = []
        lib = panel.library
        job = Job(lambda: _proposal(lib, group), plain=True, name="split proposal")
        job.signals.result.connect(while_alive(self, self._show))
        job.signals.error.connect(while_alive(self, lambda e: self.text.setText(str(e))))
        panel.jobs.start(job)

    def _show(self, proposal: dict) -> None:
        self.parts = proposal["parts"]
        if len(self.parts) < 2:
            n = sum(len(p) for p in self.parts)
            self.text.setText(f"<b>This group looks like one person</b>: its {count_text(n)} do not fall into parts "
                              "that look like different people, so there is nothing to split. A face that is not "
                              "them: select it and press <i>Not this person</i>.")
            self.box.button(QDialogButtonBox.StandardButton.Cancel).setText("Close")
        else:
            t = proposal["test"]
            why = (f" (how alike the parts are: {t.score:.2f}; the same person from {t.threshold:.2f})"
                   if t else "")
            self.text.setText(f"The faces fall into {len(self.parts)} groups that look like different people{why}. "
                              "Each becomes a group of its own, marked as a different person; Undo puts them back "
                              "together.")
        for i, (part, faces) in enumerate(zip(self.parts, proposal["faces"])):
            strip = FaceStrip(f"<b>Part {i + 1}</b>: {count_text(len(part))}" if len(self.parts) > 1 else "")
            strip.set_faces(faces)
            self.row.addWidget(strip, 1)
            self.strips.append(strip)
        self.split.setEnabled(len(self.parts) > 1)
