"""Names other tools stored in the photos (XMP face regions, read on scan and matched to our faces) turned into
the user's decisions: a group whose tagged faces agree is named, an unsorted tagged face joins its person, and
a group whose faces carry different names (or a name other than the one the user gave it) is left for review,
never merged or renamed silently."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from core.errors import FaceRecError, SidecarNotWritten
from core.fileutil import shown, text_path
from core.library import decisions as dec
from core.library.schema import LibFaceRow, PersonRow, PhotoRow, TagRow


@dataclass
class TagPlan:
    names: list[tuple[int, str]] = field(default_factory=list)   # (group, name) to name
    faces: list[tuple[int, str]] = field(default_factory=list)   # (unsorted face, name) to place
    conflicts: list[dict] = field(default_factory=list)          # groups left for review, with their names
    settled: list[int] = field(default_factory=list)             # tagged faces done with (applied or agreeing)


def plan(pending: list[tuple[int, str, int | None]], group_names: dict[int, str | None]) -> TagPlan:
    """What the pending tags ``(face id, name, group or None)`` do, given each group's current name."""
    out, by_group = TagPlan(), {}
    for fid, name, pid in pending:
        if pid is None:
            out.faces.append((fid, name))
            out.settled.append(fid)
        else:
            by_group.setdefault(pid, {}).setdefault(name, []).append(fid)
    for pid, names in sorted(by_group.items()):
        current = group_names.get(pid)
        only = next(iter(names)) if len(names) == 1 else None
        if only is not None and current in (None, only):
            if current is None:
                out.names.append((pid, only))
            out.settled += names[only]
        else:
            counts = {n: len(f) for n, f in names.items()}
            out.conflicts.append({"group": pid, "named": current, "names_in_photos": counts})
    return out


def apply(c: dec.Change, p: TagPlan) -> dict:
    """Carry out a plan inside one decision (one undo step)."""
    for pid, name in p.names:
        if c.s.get(dec.PersonRow, pid) is not None:     # an earlier naming in this plan may have joined it
            dec.name_group(c, pid, name)
    for fid, name in p.faces:
        dec.confirm_face(c, fid, name)
    return {"groups_named": len(p.names), "faces_placed": len(p.faces)}


# ----------------------------------------------------------------- the library's side: rows, decisions, sidecars

def pending(store) -> list[tuple[int, str, int | None]]:
    """(face id, the name a photo gives it, the face's group or None) of the tags not yet applied."""
    with store.Session() as s:
        q = (select(TagRow.face_id, TagRow.name, LibFaceRow.person_id).join(LibFaceRow, TagRow.face_id == LibFaceRow.id)
             .where(TagRow.applied.is_(False), LibFaceRow.not_face.is_(False)))
        return [tuple(r) for r in s.execute(q).all()]


def done(store, face_ids: list[int]) -> None:
    """These faces' tags are applied or answered: never asked about again."""
    with store.Session.begin() as s:
        s.execute(update(TagRow).where(TagRow.face_id.in_(face_ids)).values(applied=True))


def done_for_group(store, person_id: int, name: str) -> None:
    """A group answered "not NAME": the photos' tags of that name on its faces are done with."""
    with store.Session.begin() as s:
        ids = s.scalars(select(TagRow.face_id).join(LibFaceRow, TagRow.face_id == LibFaceRow.id)
                        .where(LibFaceRow.person_id == person_id, TagRow.name == name)).all()
        s.execute(update(TagRow).where(TagRow.face_id.in_(list(ids))).values(applied=True))


def apply_photo_names(lib) -> dict:
    """Names other tools stored in the photos (XMP face regions) become the user's decisions, as one decision
    (one undo): a group whose tagged faces all carry one name is named so (joining the person of that name: the
    user's own tool said so); an unsorted tagged face joins that person. A group whose faces carry two names is
    neither merged nor named: its faces are asked about in review. Each tag is applied once."""
    todo = pending(lib.store)
    if not todo:
        return {"named": 0, "conflicts": []}
    p = plan(todo, {g["id"]: g["name"] for g in lib.store.people()})
    decision = None
    if p.names or p.faces:
        decision = lib._decide("names_from_photos", {"groups": len(p.names), "faces": len(p.faces)},
                               lambda c: apply(c, p))["decision"]
    done(lib.store, p.settled)
    return {"named": len(p.names) + len(p.faces), "conflicts": p.conflicts, "decision": decision}


def photo_faces(store, person_ids: list[int] | None = None) -> dict[str, list[tuple[str, list]]]:
    """{photo path: [(name, [x, y, w, h] upright pixels)]} of the named people's faces (``person_ids``: only
    theirs)."""
    q = (select(PhotoRow.path, PersonRow.name, LibFaceRow.box).join(LibFaceRow, LibFaceRow.photo_id == PhotoRow.id)
         .join(PersonRow, LibFaceRow.person_id == PersonRow.id)
         .where(PersonRow.name.is_not(None), LibFaceRow.not_face.is_(False)))
    if person_ids is not None:
        q = q.where(PersonRow.id.in_(person_ids))
    out: dict[str, list] = {}
    with store.Session() as s:
        for path, name, box in s.execute(q).all():
            out.setdefault(text_path(path), []).append((name, box))
    return out


def write_names(lib, person_ids: list[int] | None = None) -> dict:
    """Write each named person's faces as MWG face regions to the photos' ``.xmp`` sidecars (merged with what is
    there; the photos are never touched), so other tools see the names. A photo whose sidecar cannot be written
    is reported, and the rest go on."""
    from core.library.xmp import probe, write_sidecar

    written, failed, faces = [], [], 0
    for path, named in photo_faces(lib.store, person_ids).items():
        try:
            try:
                size, orientation, _packet = probe(Path(path))
            except Exception as exc:  # noqa: BLE001 - a photo gone or unreadable: one sentence for that photo
                raise SidecarNotWritten(f"{shown(path)}: cannot be opened ({exc}).") from exc
            written.append(str(write_sidecar(path, named, size, orientation)))
            faces += len(named)
        except (FaceRecError, OSError) as exc:
            failed.append({"photo": shown(path), "reason": str(exc)})
    return {"sidecars": len(written), "faces": faces, "failed": failed, "written": written}
