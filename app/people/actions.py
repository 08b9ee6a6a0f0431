"""What fixes a group, as the People tab's buttons run it: each is a core decision in a job (never on the GUI
thread); its result is said in words, the view refreshed, and the group acted on stays selected.

Questions are dialogs opened window-modal (``open``, kept in ``panel.dialog``), never nested event loops."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QInputDialog, QMessageBox

from app.people.models import UNSORTED, group_label
from app.widgets import count_text
from app.workers import Job, while_alive

if TYPE_CHECKING:
    from core.library import Group, Suggestion


class Decisions:
    """Mixed into :class:`app.people.panel.PeoplePanel` (uses its library, jobs, views and ``say``)."""

    def run_decision(self, fn: Callable, done: str | Callable[[dict], str], select: int | None = None,
                     on_error: Callable | None = None) -> None:
        """``fn(library)`` in a job; then ``done`` (or ``done(result)``) is said, ``select`` is selected and the
        view refreshed. A failure is shown in a message box (or given to ``on_error``)."""
        if self.library is None:
            return
        from core.errors import describe

        lib = self.library

        def ok(result) -> None:
            self.say(done(result) if callable(done) else done)
            if select is not None:
                self._want = select
            self.refresh()
            self.changed.emit()

        def failed(exc) -> None:
            if on_error is None or not on_error(exc):
                self.dialog = QMessageBox(QMessageBox.Icon.Warning, "People", describe(exc),
                                          QMessageBox.StandardButton.Ok, self)
                self.dialog.open()
                self.refresh()

        job = Job(lambda: fn(lib), plain=True, name="people decision")
        job.signals.result.connect(while_alive(self, ok))
        job.signals.error.connect(while_alive(self, failed))
        self.jobs.start(job)

    def undo(self) -> None:
        if self.btn_undo.isEnabled():
            self.btn_undo.setEnabled(False)     # one undo per click, however fast the clicks come
            self.run_decision(lambda lib: lib.undo(), lambda r: r.get("text") or "Undone.")

    # ------------------------------------------------------------ naming

    def name_group(self, text: str = "") -> None:
        from app.people.dialogs import NameDialog

        gid, lib = self.selected_group(), self.library
        if gid in (None, UNSORTED) or lib is None:
            return
        dlg = self.dialog = NameDialog([], text, self)
        dlg.accepted.connect(lambda: self._name(gid, dlg.name()))
        job = Job(lambda: lib.known_names(), plain=True, name="known names")
        job.signals.result.connect(while_alive(dlg, lambda names: dlg.set_names(names)))
        self.jobs.start(job)
        dlg.open()

    def _name(self, gid: int, name: str, join: bool = False) -> None:
        from core.errors import NameInUse

        def clash(exc) -> bool:
            if not isinstance(exc, NameInUse):
                return False
            self._name_conflict(gid, name, exc)
            return True

        self.run_decision(lambda lib: lib.name(gid, name, join=join),
                          f"Joined group {gid} with {name}." if join else f"Named group {gid} {name}.",
                          select=gid if not join else None, on_error=clash)

    def _name_conflict(self, gid: int, name: str, exc) -> None:
        from app.people.dialogs import NameConflictDialog

        dlg = self.dialog = NameConflictDialog(self, gid, name, exc, self)

        def chosen() -> None:
            if dlg.choice == "join":
                self._want = exc.existing_id if exc.existing_id >= 0 else gid
                self._name(gid, name, join=True)
            elif dlg.choice == "rename":
                self.name_group(name)

        dlg.accepted.connect(chosen)
        dlg.open()

    # ------------------------------------------------------------ merging and moving

    def _pick(self, title: str, exclude: int | None, then: Callable[[int], None]) -> None:
        from app.people.dialogs import GroupPicker

        dlg = self.dialog = GroupPicker(self.groups, title, exclude, self)
        dlg.accepted.connect(lambda: dlg.chosen() is not None and then(dlg.chosen()))
        dlg.open()

    def merge_into(self) -> None:
        gid = self.selected_group()
        if gid in (None, UNSORTED):
            return
        self._pick(f"Merge {group_label(self._row(gid))} into", gid,
                   lambda target: self.run_decision(lambda lib: lib.merge(gid, target),
                                                    f"Merged group {gid} into {self._label(target)}.",
                                                    select=target))

    def _merge_drop(self, source: int, target: int) -> None:
        from app.people.dialogs import MergeDialog

        dlg = self.dialog = MergeDialog(self, source, target, self)
        dlg.accepted.connect(lambda: self.run_decision(lambda lib: lib.merge(source, target),
                                                       f"Merged group {source} into {self._label(target)}.",
                                                       select=target))
        dlg.open()

    def move_faces(self) -> None:
        faces, gid = self.selected_faces(), self.selected_group()
        if faces:
            self._pick(f"Move {count_text(len(faces))} to", gid, lambda target: self.run_decision(
                lambda lib: lib.move(faces, target),
                f"Moved {count_text(len(faces))} to {self._label(target)}.", select=gid))

    def _row(self, gid: int) -> Group:
        from core.library import Group

        return next((r for r in self.groups.rows if r.id == gid), Group(gid, None, False, None, 0))

    def _label(self, gid: int) -> str:
        return group_label(self._row(gid))

    # ------------------------------------------------------------ splitting, hiding, rejecting

    def split_group(self) -> None:
        from app.people.split import SplitDialog

        gid = self.selected_group()
        if gid in (None, UNSORTED):
            return
        dlg = self.dialog = SplitDialog(self, gid, self)
        dlg.accepted.connect(lambda: self.run_decision(lambda lib: lib.split(gid, dlg.parts),
                                                       f"Split group {gid} into {len(dlg.parts)} groups.",
                                                       select=gid))
        dlg.open()

    def hide_group(self) -> None:
        gid = self.selected_group()
        self.run_decision(lambda lib: lib.ignore([gid]), "Hidden (Show hidden brings it back; Undo too).")

    def hide_all(self) -> None:
        dlg = self.dialog = QInputDialog(self)
        dlg.setWindowTitle("Hide unnamed groups")
        dlg.setLabelText("Hide every unnamed group of at most this many faces (strangers seen once or twice):")
        dlg.setInputMode(QInputDialog.InputMode.IntInput)
        dlg.setIntRange(1, 100000)
        dlg.setIntValue(3)
        dlg.intValueSelected.connect(lambda n: self.run_decision(lambda lib: lib.ignore(None, max_faces=n),
                                                                 f"Hid the unnamed groups of up to {n} faces."))
        dlg.open()

    def reject_faces(self) -> None:
        gid, faces = self.selected_group(), self.selected_faces()
        if faces and gid not in (None, UNSORTED):
            self.run_decision(lambda lib: lib.reject(faces, gid),
                              f"{count_text(len(faces))} will never be grouped with this person again.", select=gid)

    def not_faces(self) -> None:
        faces = self.selected_faces()
        if faces:
            self.run_decision(lambda lib: lib.not_a_face(faces),
                              f"{count_text(len(faces))} marked as not a face.", select=self.selected_group())

    def forget_group(self) -> None:
        gid = self.selected_group()
        row = next((r for r in self.groups.rows if r.id == gid), None)
        if row is None or gid == UNSORTED:
            return
        text = (f"Forget {group_label(row)}? Their {count_text(row.count)}, crops and embeddings are erased from "
                "this computer, in the photo library and the gallery; their photos stay. This cannot be undone.")
        from core.privacy import forget  # one forget for every entry point (the Gallery tab's Delete too)

        dlg = self.dialog = QMessageBox(QMessageBox.Icon.Question, "Forget", text,
                                        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        dlg.setDefaultButton(QMessageBox.StandardButton.No)
        def forgotten(_result) -> str:
            self.faces.icons.reset(keep=False)   # their crops are not kept, even in memory
            return f"Forgot {group_label(row)}."

        dlg.button(QMessageBox.StandardButton.Yes).clicked.connect(
            lambda: self.run_decision(lambda lib: forget(lib.settings, group=gid, library=lib), forgotten))
        dlg.open()

    def _answer(self, suggestion: Suggestion, yes: bool) -> None:
        person, item = suggestion.person, suggestion.id
        if not yes:
            self.run_decision(lambda lib: lib.reject_suggestion(suggestion), f"Noted: not {person}.")
        elif suggestion.kind == "group":
            self.run_decision(lambda lib: lib.name(item, person, join=True), f"Named {person}.")
        else:
            self.run_decision(lambda lib: lib.confirm_face(item, person), f"Added to {person}.")
