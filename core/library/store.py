"""The photo library's rows: photos and their faces in, arrays out; people, constraints and decisions.

One ``library.db`` per library folder (``<data dir>/library`` by default). A scanned photo is committed with
all its faces in one transaction, so a killed scan resumes where it stopped and never keeps half a photo.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import String, delete, func, select, type_coerce, update

from core.errors import NotInLibrary
from core.fileutil import path_text, text_path
from core.library.schema import (
    SCHEMA_VERSION,
    ApartRow,
    Base,
    DecisionRow,
    LibFaceRow,
    Meta,
    PersonRow,
    PhotoRow,
    RejectionRow,
    TagRow,
)
from core.paths import data_dir
from core.storage import FolderStore, StoreLayout, checkpoint, declare, open_database, open_store

# the library's folder: its database and the grouping state derived from it
STATE_NAME = "grouping.npz"
LAYOUT = declare(StoreLayout("photo library", "library.db", (STATE_NAME,),
                             home=lambda _settings=None: data_dir() / "library"))
DB_NAME = LAYOUT.db


@dataclass
class FaceArrays:
    """The faces that take part in grouping, as arrays (N rows, ordered by a key that depends only on the
    photos' content, so the same photos give the same arrays whatever order they were scanned in)."""

    ids: np.ndarray          # (N,) int64 face ids
    embeddings: np.ndarray   # (N, D) float32 unit rows
    photos: np.ndarray       # (N,) int64 photo ids (faces of one photo are never one person)
    quality: np.ndarray      # (N,) float32
    person: np.ndarray       # (N,) int64 current group (-1: unsorted)
    pinned: np.ndarray       # (N,) bool: put there by a user decision
    keys: np.ndarray         # (N,) int64 stable content keys (photo content and box), ascending


def content_key(sha256: str, box, path: str = "") -> int:
    """A face's grouping key: 63 bits of SHA-256 over its photo's content hash and its box (the same face gets the
    same key whenever, wherever and in whatever order it is scanned); ``path`` only tells copies of one photo
    apart."""
    text = f"{sha256}|" + ",".join(f"{float(v):.1f}" for v in box) + (f"|{path}" if path else "")
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big") >> 1




class LibraryStore(FolderStore):
    """One ``library.db``, encrypted when the folder has a key (new libraries do, when ``encrypt``); one
    session per call (safe for the GUI's worker threads)."""

    LAYOUT = LAYOUT

    def __init__(self, root: Path, create: bool = True, encrypt: bool = True):
        self.root = Path(root)
        self._lock, self.vault, (self.engine, self.Session) = open_store(
            self.root, LAYOUT, create, encrypt,
            lambda path, key: open_database(path, Base, Meta, SCHEMA_VERSION, create=create, what="photo library",
                                            key=key))


    def checkpoint(self) -> None:
        checkpoint(self.engine)

    # ------------------------------------------------------------ photos

    def photo_index(self) -> dict[str, tuple[int, int, int, str]]:
        """{path: (photo id, size, mtime_ns, sha256)} of every photo known."""
        with self.Session() as s:
            rows = s.execute(select(PhotoRow.path, PhotoRow.id, PhotoRow.size, PhotoRow.mtime_ns, PhotoRow.sha256))
            return {text_path(r[0]): (r[1], r[2], r[3], r[4]) for r in rows}

    def touch_photo(self, photo_id: int, size: int, mtime_ns: int) -> None:
        """A file whose size or time changed but whose content did not."""
        with self.Session.begin() as s:
            s.execute(update(PhotoRow).where(PhotoRow.id == photo_id).values(size=size, mtime_ns=mtime_ns))

    def put_photo(self, path: str, size: int, mtime_ns: int, sha256: str, shape: tuple[int, int] | None,
                  taken: str | None, error: str | None, faces: list[dict], model_key: str) -> int:
        """Store a scanned photo with its faces in one transaction, replacing what an earlier scan of the same
        path stored (its faces, and so its decisions, go: the content changed). ``faces``: dicts with box,
        landmarks, det_score, quality, embedding (float32), crop (JPEG bytes). Returns the photo id."""
        with self.Session.begin() as s:
            s.execute(delete(PhotoRow).where(PhotoRow.path == path_text(path)))
            h, w = shape or (0, 0)
            row = PhotoRow(path=path_text(path), size=size, mtime_ns=mtime_ns, sha256=sha256, width=w, height=h, taken=taken,
                           error=error)
            s.add(row)
            s.flush()
            rows = [LibFaceRow(photo_id=row.id, box=f["box"], landmarks=f["landmarks"], det_score=f["det_score"],
                               quality=f["quality"], model_key=model_key,
                               embedding=np.asarray(f["embedding"], "<f4").tobytes(), crop=f["crop"]) for f in faces]
            s.add_all(rows)
            if any(f.get("tag") for f in faces):
                s.flush()
                s.add_all(TagRow(face_id=r.id, name=f["tag"][0], source=f["tag"][1])
                          for r, f in zip(rows, faces) if f.get("tag"))
            return row.id

    def put_photos(self, photos: list[dict], model_key: str) -> None:
        """Store many new photos with their faces in one transaction (``photos``: the arguments of
        :meth:`put_photo` as dicts; paths must be new)."""
        with self.Session.begin() as s:
            for ph in photos:
                h, w = ph.get("shape") or (0, 0)
                row = PhotoRow(path=path_text(ph["path"]), size=ph["size"], mtime_ns=ph["mtime_ns"], sha256=ph["sha256"], width=w,
                               height=h, taken=ph.get("taken"), error=ph.get("error"))
                s.add(row)
                s.flush()
                s.add_all(LibFaceRow(photo_id=row.id, box=f["box"], landmarks=f["landmarks"], det_score=f["det_score"],
                                     quality=f["quality"], model_key=model_key,
                                     embedding=np.asarray(f["embedding"], "<f4").tobytes(), crop=f["crop"])
                          for f in ph["faces"])

    def remove_photos(self, photo_ids: list[int]) -> int:
        """Forget photos (their files are gone) with their faces; returns the number of faces removed."""
        if not photo_ids:
            return 0
        with self.Session.begin() as s:
            n = s.scalar(select(func.count()).select_from(LibFaceRow).where(LibFaceRow.photo_id.in_(photo_ids)))
            s.execute(delete(PhotoRow).where(PhotoRow.id.in_(photo_ids)))
        return int(n or 0)

    def counts(self) -> dict:
        """Photos (and unreadable ones), faces (not counting "not a face"), groups and unsorted faces."""
        with self.Session() as s:
            return {"photos": int(s.scalar(select(func.count()).select_from(PhotoRow))),
                    "photos_unreadable": int(s.scalar(select(func.count()).select_from(PhotoRow)
                                                      .where(PhotoRow.error.is_not(None)))),
                    "faces": int(s.scalar(select(func.count()).select_from(LibFaceRow)
                                          .where(LibFaceRow.not_face.is_(False)))),
                    "people": int(s.scalar(select(func.count()).select_from(PersonRow))),
                    "unsorted": int(s.scalar(select(func.count()).select_from(LibFaceRow)
                                             .where(LibFaceRow.not_face.is_(False), LibFaceRow.person_id.is_(None))))}

    # ------------------------------------------------------------ faces as arrays

    def face_arrays(self, model_key: str, dim: int) -> FaceArrays:
        """The faces of ``model_key`` that take part in grouping (all but those marked "not a face"), ordered by
        their content key, so the same photos give the same arrays whatever order they were scanned in."""
        with self.Session() as s:  # plain rows, the box as its JSON text: no per-row ORM or type work
            rows = s.connection().execute(
                select(LibFaceRow.id, LibFaceRow.embedding, LibFaceRow.photo_id, LibFaceRow.quality,
                       LibFaceRow.person_id, LibFaceRow.pinned, PhotoRow.sha256, PhotoRow.path,
                       type_coerce(LibFaceRow.box, String))
                .join(PhotoRow, LibFaceRow.photo_id == PhotoRow.id)
                .where(LibFaceRow.model_key == model_key, LibFaceRow.not_face.is_(False))).all()
        boxes = json.loads("[" + ",".join(r[8] for r in rows) + "]")  # one parse for all the boxes
        rows = [(*r[:8], b) for r, b in zip(rows, boxes)]
        keys = [content_key(r[6], r[8]) for r in rows]
        seen: dict[int, int] = {}
        for k in keys:
            seen[k] = seen.get(k, 0) + 1
        keys = [content_key(r[6], r[8], r[7]) if seen[k] > 1 else k for r, k in zip(rows, keys)]  # copies of a photo
        order = sorted(range(len(rows)), key=keys.__getitem__)
        rows, n = [rows[i] for i in order], len(rows)
        emb = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(n, dim) if n else np.zeros((0, dim),
                                                                                                         np.float32)
        return FaceArrays(ids=np.fromiter((r[0] for r in rows), np.int64, n), embeddings=emb,
                          photos=np.fromiter((r[2] for r in rows), np.int64, n),
                          quality=np.fromiter((r[3] for r in rows), np.float32, n),
                          person=np.fromiter((-1 if r[4] is None else r[4] for r in rows), np.int64, n),
                          pinned=np.fromiter((bool(r[5]) for r in rows), bool, n),
                          keys=np.asarray([keys[i] for i in order], np.int64))

    def _row(self, table, key: int, what: str):
        with self.Session() as s:
            row = s.get(table, key)
            if row is None:
                raise NotInLibrary(f"No {what} with id {key} in the photo library.")
            return row

    def face(self, face_id: int) -> LibFaceRow:
        return self._row(LibFaceRow, face_id, "face")

    def faces_of(self, person_id: int | None, limit: int | None = None, offset: int = 0,
                 with_crops: bool = False) -> list[dict]:
        """Faces of a group (None: the unsorted faces), best quality first, with their photo."""
        cols = [LibFaceRow.id, LibFaceRow.box, LibFaceRow.quality, LibFaceRow.pinned, PhotoRow.path, PhotoRow.taken]
        if with_crops:
            cols.append(LibFaceRow.crop)
        q = (select(*cols).join(PhotoRow, LibFaceRow.photo_id == PhotoRow.id)
             .where(LibFaceRow.not_face.is_(False))
             .where(LibFaceRow.person_id.is_(None) if person_id is None else LibFaceRow.person_id == person_id)
             .order_by(LibFaceRow.quality.desc(), LibFaceRow.id).offset(offset))
        if limit is not None:
            q = q.limit(limit)
        with self.Session() as s:
            rows = s.execute(q).all()
        keys = ["id", "box", "quality", "pinned", "photo", "taken", *(["crop"] if with_crops else [])]
        return [{**dict(zip(keys, r)), "photo": text_path(r[4])} for r in rows]

    def crop(self, face_id: int) -> bytes | None:
        with self.Session() as s:
            return s.scalar(select(LibFaceRow.crop).where(LibFaceRow.id == face_id))

    def embeddings_of(self, face_ids: list[int], dim: int) -> np.ndarray:
        with self.Session() as s:
            rows = dict(s.execute(select(LibFaceRow.id, LibFaceRow.embedding).where(LibFaceRow.id.in_(face_ids))).all())
        return np.stack([np.frombuffer(rows[i], np.float32) for i in face_ids]) if face_ids else np.zeros((0, dim),
                                                                                                         np.float32)

    # ------------------------------------------------------------ people and constraints

    def people(self) -> list[dict]:
        """Every group with its face count, named first, then by size."""
        with self.Session() as s:
            counts = dict(s.execute(select(LibFaceRow.person_id, func.count()).where(LibFaceRow.not_face.is_(False))
                                    .group_by(LibFaceRow.person_id)).all())
            rows = s.scalars(select(PersonRow)).all()
        out = [{"id": p.id, "name": p.name, "hidden": p.hidden, "gallery_name": p.gallery_name,
                "faces": int(counts.get(p.id, 0))} for p in rows]
        out.sort(key=lambda d: (d["name"] is None, -d["faces"], d["id"]))
        return out

    def person(self, person_id: int) -> PersonRow:
        return self._row(PersonRow, person_id, "person or group")

    def person_by_name(self, name: str) -> PersonRow | None:
        with self.Session() as s:
            return s.scalar(select(PersonRow).where(PersonRow.name == name))

    def constraints(self) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
        """(rejections (face id, person id), apart (person id, person id))."""
        with self.Session() as s:
            rej = [tuple(r) for r in s.execute(select(RejectionRow.face_id, RejectionRow.person_id)).all()]
            apart = [tuple(r) for r in s.execute(select(ApartRow.a, ApartRow.b)).all()]
        return rej, apart

    def decisions(self, limit: int = 50) -> list[dict]:
        with self.Session() as s:
            rows = s.scalars(select(DecisionRow).order_by(DecisionRow.id.desc()).limit(limit)).all()
            return [{"id": r.id, "at": r.at.isoformat(), "kind": r.kind, "summary": r.summary, "undone": r.undone}
                    for r in rows]

    # ------------------------------------------------------------ grouping results

    def persistent_people(self) -> set[int]:
        """Groups a user acted on (named, hidden, or holding faces a decision placed): never dropped by regrouping."""
        with self.Session() as s:
            named = set(s.scalars(select(PersonRow.id).where((PersonRow.name.is_not(None)) | PersonRow.hidden)))
            pinned = set(s.scalars(select(LibFaceRow.person_id).where(LibFaceRow.pinned.is_(True)).distinct()))
        return named | {p for p in pinned if p is not None}

    def apply_grouping(self, face_ids: np.ndarray, person: np.ndarray, new_groups: list[np.ndarray],
                       old_person: np.ndarray) -> dict:
        """Write a grouping: ``person`` (N,) the group of each face (-1 unsorted, -2 - j: the j-th of
        ``new_groups`` to create); only faces whose group changed are written. Groups left empty that no user
        acted on are deleted. One transaction."""
        with self.Session.begin() as s:
            made = []
            for _ in new_groups:
                row = PersonRow(name=None)
                s.add(row)
                s.flush()
                made.append(row.id)
            target = person.copy()
            for j, pid in enumerate(made):
                target[person == -2 - j] = pid
            changed = np.flatnonzero(target != old_person)
            if len(changed):
                s.execute(update(LibFaceRow), [{"id": int(face_ids[i]),
                                                "person_id": None if target[i] < 0 else int(target[i])}
                                               for i in changed])
            keep = set(s.scalars(select(LibFaceRow.person_id).where(LibFaceRow.person_id.is_not(None)).distinct()))
            acted = set(s.scalars(select(PersonRow.id).where((PersonRow.name.is_not(None)) | PersonRow.hidden)))
            referenced = set(s.scalars(select(RejectionRow.person_id))) | set(s.scalars(select(ApartRow.a))) | \
                set(s.scalars(select(ApartRow.b)))
            used = keep | acted | referenced
            empty = [p for p in s.scalars(select(PersonRow.id)) if p not in used]
            if empty:
                s.execute(delete(PersonRow).where(PersonRow.id.in_(empty)))
        return {"changed_faces": int(len(changed)), "new_groups": len(made), "dropped_groups": len(empty)}

    def photo_hashes(self, face_ids: list[int]) -> dict[int, str]:
        """{face id: its photo's SHA-256}."""
        with self.Session() as s:
            return dict(s.execute(select(LibFaceRow.id, PhotoRow.sha256).join(PhotoRow, LibFaceRow.photo_id == PhotoRow.id)
                                  .where(LibFaceRow.id.in_(face_ids))).all())

    def forget_person(self, person_id: int) -> int:
        """Delete a person and all their faces (rows, crops, embeddings; secure delete, then the WAL is folded
        in and truncated); their photos stay known, so a re-scan does not find them again. Returns the faces."""
        with self.Session.begin() as s:
            row = s.get(PersonRow, person_id)
            if row is None:
                raise NotInLibrary(f"No person or group with id {person_id} in the photo library.")
            names = {n for n in (row.name, row.gallery_name) if n}
            n = s.execute(delete(LibFaceRow).where(LibFaceRow.person_id == person_id)).rowcount
            s.execute(delete(PersonRow).where(PersonRow.id == person_id))
            self._scrub_decisions(s, names)
        self.checkpoint()
        return int(n or 0)

    def forget_name(self, name: str) -> int:
        """Scrub a name from the decisions' records (a person forgotten in the gallery alone); returns how many
        decisions held it."""
        with self.Session.begin() as s:
            n = self._scrub_decisions(s, {name})
        self.checkpoint()
        return n

    @staticmethod
    def _scrub_decisions(s, names: set[str]) -> int:
        """Replace every occurrence of ``names`` in the decisions' summaries and undo records by None (the
        history keeps that a decision was made, not about whom)."""
        def scrub(v):
            if isinstance(v, str):
                return None if v in names else v
            if isinstance(v, dict):
                return {k: scrub(x) for k, x in v.items()}
            if isinstance(v, list):
                return [scrub(x) for x in v]
            return v

        n = 0
        for d in s.scalars(select(DecisionRow)):
            text = json.dumps([d.summary, d.undo], ensure_ascii=False)
            if any(json.dumps(name, ensure_ascii=False)[1:-1] in text for name in names):
                d.summary, d.undo = scrub(d.summary), scrub(d.undo)
                n += 1
        return n

    def photo_ids(self, face_ids: list[int]) -> list[int]:
        """The photo of each face, in the order given."""
        with self.Session() as s:
            rows = dict(s.execute(select(LibFaceRow.id, LibFaceRow.photo_id).where(LibFaceRow.id.in_(face_ids))).all())
        return [rows[i] for i in face_ids]

    COVER_CANDIDATES = 8

    def thumbnail(self, person_id: int | None) -> bytes | None:
        """JPEG of a group's cover: of its best-quality faces, the one most like the others (so one wrong face
        confirmed into the group never becomes its cover, however sharp); None: the best unsorted face."""
        who = LibFaceRow.person_id.is_(None) if person_id is None else LibFaceRow.person_id == person_id
        with self.Session() as s:
            rows = s.execute(select(LibFaceRow.crop, LibFaceRow.embedding).where(who, LibFaceRow.not_face.is_(False))
                             .order_by(LibFaceRow.quality.desc(), LibFaceRow.id)
                             .limit(1 if person_id is None else self.COVER_CANDIDATES)).all()
        if len(rows) < 3:
            return rows[0][0] if rows else None
        vecs = np.stack([np.frombuffer(e, "<f4") for _c, e in rows])
        sims = vecs @ vecs.sum(axis=0)
        return rows[int(np.argmax(sims))][0]

    def folders(self) -> list[str]:
        """The folders scanned into this library (for a re-scan)."""
        import json

        with self.Session() as s:
            row = s.get(Meta, "folders")
            return json.loads(row.value) if row is not None else []

    def add_folders(self, folders: list[str]) -> None:
        known = self.folders()
        self.set_folders(known + [f for f in folders if f not in known])

    def set_folders(self, folders: list[str]) -> None:
        import json

        with self.Session.begin() as s:
            s.merge(Meta(key="folders", value=json.dumps(folders)))
