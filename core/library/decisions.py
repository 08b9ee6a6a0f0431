"""User decisions on the library's groups, each recorded with what undoing it restores.

Every decision runs in one transaction and records a :class:`DecisionRow`: the faces it moved (their previous
group, pinned and not-a-face flags), the groups it created, deleted or changed, and the constraints it added or
removed. Acting on a group pins its faces (the user looked at it and kept them), so a decision survives every
later regrouping and re-scan. ``undo`` reverses the newest decision not yet undone.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from core.errors import NotInLibrary, UsageError
from core.gallery.store import clean_name  # one rule for a person's name, in the gallery and the library
from core.library.schema import ApartRow, DecisionRow, LibFaceRow, PersonRow, RejectionRow

PERSON_FIELDS = ("id", "name", "hidden", "gallery_name")


class Change:
    """What one decision does, recorded as it is done (inside the decision's session)."""

    def __init__(self, session, kind: str, summary: dict):
        self.s, self.kind, self.summary = session, kind, summary
        self.undo: dict = {"faces": {}, "people_created": [], "people_deleted": [], "people_updated": {},
                           "rejections_added": [], "rejections_removed": [], "apart_added": [], "apart_removed": []}

    # ---------------------------------------------------------------- primitives
    def face(self, face_id: int) -> LibFaceRow:
        row = self.s.get(LibFaceRow, face_id)
        if row is None or row.not_face and self.kind != "undo":
            raise NotInLibrary(f"No face with id {face_id} in the photo library.")
        return row

    def person(self, person_id: int) -> PersonRow:
        row = self.s.get(PersonRow, person_id)
        if row is None:
            raise NotInLibrary(f"No person or group with id {person_id} in the photo library.")
        return row

    def set_face(self, row: LibFaceRow, **values) -> None:
        self.undo["faces"].setdefault(str(row.id), [row.person_id, row.pinned, row.not_face])
        for k, v in values.items():
            setattr(row, k, v)

    def set_person(self, row: PersonRow, **values) -> None:
        if row.id not in self.undo["people_created"]:
            self.undo["people_updated"].setdefault(str(row.id), {k: getattr(row, k) for k in PERSON_FIELDS})
        for k, v in values.items():
            setattr(row, k, v)

    def new_person(self, name: str | None = None) -> PersonRow:
        row = PersonRow(name=name)
        self.s.add(row)
        self.s.flush()
        self.undo["people_created"].append(row.id)
        return row

    def delete_person(self, row: PersonRow) -> None:
        for f in self.s.scalars(select(LibFaceRow).where(LibFaceRow.person_id == row.id)):
            self.set_face(f, person_id=None, pinned=False)
        for f, p in self.s.execute(select(RejectionRow.face_id, RejectionRow.person_id)
                                   .where(RejectionRow.person_id == row.id)).all():
            self.undo["rejections_removed"].append([f, p])
        for a, b in self.s.execute(select(ApartRow.a, ApartRow.b).where((ApartRow.a == row.id) |
                                                                        (ApartRow.b == row.id))).all():
            self.undo["apart_removed"].append([a, b])
        self.undo["people_deleted"].append({k: getattr(row, k) for k in PERSON_FIELDS})
        self.s.flush()
        self.s.delete(row)

    def reject(self, face_id: int, person_id: int) -> None:
        if self.s.get(RejectionRow, (face_id, person_id)) is None:
            self.s.add(RejectionRow(face_id=face_id, person_id=person_id))
            self.undo["rejections_added"].append([face_id, person_id])

    def unreject(self, face_id: int, person_id: int) -> None:
        row = self.s.get(RejectionRow, (face_id, person_id))
        if row is not None:
            self.s.delete(row)
            self.undo["rejections_removed"].append([face_id, person_id])

    def apart(self, a: int, b: int) -> None:
        a, b = min(a, b), max(a, b)
        if a != b and self.s.get(ApartRow, (a, b)) is None:
            self.s.add(ApartRow(a=a, b=b))
            self.undo["apart_added"].append([a, b])

    def pin_group(self, person_id: int, except_face: int | None = None) -> int:
        """Pin a group's current faces (acting on a group keeps what the user saw in it)."""
        n = 0
        for f in self.s.scalars(select(LibFaceRow).where(LibFaceRow.person_id == person_id,
                                                         LibFaceRow.not_face.is_(False))):
            if f.id != except_face and not f.pinned:
                self.set_face(f, pinned=True)
                n += 1
        return n

    def members(self, person_id: int) -> list[LibFaceRow]:
        return list(self.s.scalars(select(LibFaceRow).where(LibFaceRow.person_id == person_id,
                                                            LibFaceRow.not_face.is_(False))))

    def record(self) -> int:
        row = DecisionRow(kind=self.kind, summary=self.summary, undo=self.undo)
        self.s.add(row)
        self.s.flush()
        return row.id


# -------------------------------------------------------------------- decisions

def name_group(c: Change, person_id: int, name: str) -> int:
    """Name a group; a group named like an existing person joins that person. Returns the person's id."""
    name = clean_name(name)
    row = c.person(person_id)
    other = c.s.scalar(select(PersonRow).where(PersonRow.name == name, PersonRow.id != person_id))
    if other is not None:
        merge_groups(c, person_id, other.id)
        return other.id
    c.pin_group(person_id)
    c.set_person(row, name=name, hidden=False)
    return person_id


def merge_groups(c: Change, source: int, target: int) -> None:
    """All faces of ``source`` join ``target`` (pinned); its rejections and separations move to ``target``."""
    if source == target:
        raise UsageError("A group cannot be merged with itself.")
    src, dst = c.person(source), c.person(target)
    if c.s.get(ApartRow, (min(source, target), max(source, target))) is not None:
        raise UsageError(f"Groups {source} and {target} were marked as different people; undo that first.")
    c.pin_group(target)
    for f in c.members(source):
        if c.s.get(RejectionRow, (f.id, target)) is not None:
            c.set_face(f, person_id=None, pinned=False)  # "not this person" holds for good
        else:
            c.set_face(f, person_id=target, pinned=True)
    for f, _p in c.s.execute(select(RejectionRow.face_id, RejectionRow.person_id)
                             .where(RejectionRow.person_id == source)).all():
        c.reject(f, target)
    for a, b in c.s.execute(select(ApartRow.a, ApartRow.b).where((ApartRow.a == source) | (ApartRow.b == source))).all():
        c.apart(target, b if a == source else a)
    if dst.name is None and src.name is not None:
        c.set_person(dst, name=src.name)
    c.delete_person(src)


def split_group(c: Change, person_id: int, parts: list[list[int]]) -> list[int]:
    """Split a group into ``parts`` (lists of face ids; faces left out stay in the first part). The first part
    keeps the group; each other part becomes a new group; all are marked as different people."""
    members = {f.id: f for f in c.members(person_id)}
    if len(parts) < 2 or any(not p for p in parts):
        raise UsageError("A split needs at least two non-empty parts.")
    unknown = [f for p in parts for f in p if f not in members]
    if unknown:
        raise UsageError(f"Faces {unknown[:5]} are not in group {person_id}.")
    ids = [person_id]
    for f in members.values():
        c.set_face(f, pinned=True)
    for part in parts[1:]:
        new = c.new_person()
        ids.append(new.id)
        for fid in part:
            c.set_face(members[fid], person_id=new.id, pinned=True)
    for i, a in enumerate(ids):
        for b in ids[i + 1:]:
            c.apart(a, b)
    return ids


def move_face(c: Change, face_id: int, person_id: int) -> None:
    f = c.face(face_id)
    c.person(person_id)
    c.unreject(face_id, person_id)
    c.set_face(f, person_id=person_id, pinned=True)


def reject_face(c: Change, face_id: int, person_id: int) -> None:
    """"Not this person": the face leaves the person for good; the person keeps the faces the user saw."""
    f = c.face(face_id)
    c.person(person_id)
    c.pin_group(person_id, except_face=face_id)
    c.reject(face_id, person_id)
    if f.person_id == person_id:
        c.set_face(f, person_id=None, pinned=False)


def mark_not_face(c: Change, face_id: int) -> None:
    c.set_face(c.face(face_id), person_id=None, pinned=False, not_face=True)


def person_named(c: Change, name: str) -> PersonRow:
    """The library's person called ``name``, created (without faces) for a gallery person not in the library."""
    name = clean_name(name)
    row = c.s.scalar(select(PersonRow).where(PersonRow.name == name))
    return row if row is not None else c.new_person(name)


def confirm_face(c: Change, face_id: int, name: str) -> int:
    """A suggestion confirmed: the face is ``name``'s."""
    person = person_named(c, name)
    move_face(c, face_id, person.id)
    return person.id


def reject_suggestion(c: Change, kind: str, item: int, name: str) -> None:
    """A suggestion rejected: that group, or that face, is not ``name`` (and is not suggested again)."""
    person = person_named(c, name)
    if kind == "group":
        c.pin_group(item)
        c.apart(item, person.id)
    else:
        c.reject(item, person.id)


def hide_groups(c: Change, person_ids: list[int]) -> int:
    for pid in person_ids:
        c.pin_group(pid)
        c.set_person(c.person(pid), hidden=True)
    return len(person_ids)


def undo_last(session) -> dict:
    """Reverse the newest decision not yet undone; returns what it was."""
    row = session.scalar(select(DecisionRow).where(DecisionRow.undone.is_(False)).order_by(DecisionRow.id.desc()))
    if row is None:
        raise UsageError("There is no decision to undo.")
    u = row.undo
    for p in u["people_deleted"]:
        if session.get(PersonRow, p["id"]) is None:
            session.add(PersonRow(**p))
    session.flush()
    for pid, values in u["people_updated"].items():
        prow = session.get(PersonRow, int(pid))
        if prow is not None:
            for k, v in values.items():
                setattr(prow, k, v)
    for fid, (person, pinned, not_face) in u["faces"].items():
        frow = session.get(LibFaceRow, int(fid))
        if frow is not None:
            frow.person_id = person if person is None or session.get(PersonRow, person) is not None else None
            frow.pinned, frow.not_face = pinned, not_face
    for f, p in u["rejections_added"]:
        session.execute(delete(RejectionRow).where(RejectionRow.face_id == f, RejectionRow.person_id == p))
    for a, b in u["apart_added"]:
        session.execute(delete(ApartRow).where(ApartRow.a == a, ApartRow.b == b))
    session.flush()
    for f, p in u["rejections_removed"]:
        if session.get(RejectionRow, (f, p)) is None and session.get(LibFaceRow, f) and session.get(PersonRow, p):
            session.add(RejectionRow(face_id=f, person_id=p))
    for a, b in u["apart_removed"]:
        if session.get(ApartRow, (a, b)) is None and session.get(PersonRow, a) and session.get(PersonRow, b):
            session.add(ApartRow(a=a, b=b))
    for pid in u["people_created"]:
        session.execute(delete(PersonRow).where(PersonRow.id == pid))
    row.undone = True
    return {"undone": row.id, "kind": row.kind, "summary": row.summary, "at": row.at.isoformat(),
            "text": f"Undid {describe(row.kind, row.summary, row.at)}."}


def last_undoable(session) -> dict | None:
    """What :func:`undo_last` would reverse now (None: nothing)."""
    row = session.scalar(select(DecisionRow).where(DecisionRow.undone.is_(False)).order_by(DecisionRow.id.desc()))
    if row is None:
        return None
    return {"decision": row.id, "kind": row.kind, "summary": row.summary, "at": row.at.isoformat(),
            "text": describe(row.kind, row.summary, row.at)}


def _faces(face) -> str:
    return f"{len(face)} faces" if isinstance(face, list) else f"face {face}"


def describe(kind: str, summary: dict, at=None) -> str:
    """A decision in words ("naming group 12 as “Ada” (2026-12-03 14:02)"), for undo's message and tooltip."""
    s = summary
    words = {
        "name": lambda: f"naming group {s.get('group')} as “{s.get('name')}”",
        "merge": lambda: f"merging group {s.get('source')} into group {s.get('target')}",
        "split": lambda: f"splitting group {s.get('group')} into {len(s.get('parts', []))} groups",
        "move": lambda: f"moving {_faces(s.get('face'))} to group {s.get('to')}",
        "reject": lambda: f"“not this person” for {_faces(s.get('face'))} in group {s.get('person')}",
        "not_face": lambda: f"marking {_faces(s.get('face'))} as not a face",
        "ignore": lambda: f"hiding {s.get('groups')} group{'' if s.get('groups') == 1 else 's'}",
        "confirm": lambda: f"confirming face {s.get('face')} as “{s.get('name')}”",
        "not_them": lambda: f"“not {s.get('name')}” for {s.get('kind')} {s.get('id')}",
        "names_from_photos": lambda: (f"the names found in the photos ({s.get('groups', 0)} groups, "
                                      f"{s.get('faces', 0)} faces)"),
    }
    text = words[kind]() if kind in words else kind.replace("_", " ")
    if at is not None:
        from datetime import timezone

        local = at.replace(tzinfo=at.tzinfo or timezone.utc).astimezone()
        text += f" ({local:%Y-%m-%d %H:%M})"
    return text
