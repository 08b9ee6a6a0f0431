"""Gallery storage: SQLAlchemy rows in, numpy arrays out (the source of truth; no search, no models).

Identities, faces (with their aligned crop as JPEG), per-model embeddings and an
audit log, in ``gallery.db`` (see :mod:`core.gallery.schema`). Writers commit per
face, so a crash never loses a face that was reported as enrolled.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from core.errors import GalleryError, IdentityNotFound, UsageError
from core.fileutil import shown
from core.gallery.schema import SCHEMA_VERSION, AuditEvent, Base, EmbeddingRow, FaceRow, Identity, Meta, ModelRow
from core.storage import FolderStore, StoreLayout, checkpoint, connect, declare, open_database, open_store

# the gallery's folder: its database and the search indexes rebuilt from it (one per model)
INDEX_NAME = "index-{}.faiss"   # .format(the model key, made safe for a file name)
LAYOUT = declare(StoreLayout("gallery", "gallery.db", (INDEX_NAME.format("*"),),
                             home=lambda settings: settings.gallery_dir()))
DB_NAME = LAYOUT.db
MIGRATIONS: dict = {}  # MIGRATIONS[v] upgrades a gallery database at schema version v to v + 1


def open_engine(db_path: Path, create: bool = True, key: bytes | None = None):
    """(engine, session factory) of a gallery database, created or migrated as needed."""
    return open_database(db_path, Base, Meta, SCHEMA_VERSION, MIGRATIONS, create=create, what="gallery", key=key)


def clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 200 or any(c in name for c in "\n\r\t\0"):
        raise UsageError("A name must be 1 to 200 characters on one line.")
    return name


@dataclass
class NewFace:
    """A face to store: where it came from and its aligned crop (JPEG) with quality figures."""

    source_path: str
    image_hash: str
    box: list[float]
    thumbnail: bytes
    det_score: float
    quality: float


class GalleryStore(FolderStore):
    """One ``gallery.db``, encrypted when the folder has a key (new galleries do, when ``encrypt``). Thread-safe
    for the GUI's use (one session per call). While open, the folder cannot be re-keyed by another program."""

    LAYOUT = LAYOUT

    def __init__(self, root: Path, create: bool = True, encrypt: bool = True):
        self.root = Path(root)

        def open_db(path: Path, key: bytes | None):
            engine, session = open_engine(path, create=create, key=key)
            return engine, session, connect(path, key)

        self._lock, self.vault, (self.engine, self.Session, self._version_conn) = open_store(
            self.root, LAYOUT, create, encrypt, open_db)

    def _close_more(self) -> None:
        self._version_conn.close()

    def checkpoint_wal(self) -> None:
        """Fold the WAL into the database file and truncate it."""
        checkpoint(self.engine)

    def data_version(self) -> int:
        """Changes whenever another connection commits (``PRAGMA data_version``)."""
        return int(self._version_conn.execute("PRAGMA data_version").fetchone()[0])

    # ------------------------------------------------------------ models and embeddings

    def ensure_model(self, key: str, name: str, dim: int, weights_hash: str) -> None:
        try:
            with self.Session.begin() as s:
                if s.get(ModelRow, key) is None:
                    s.add(ModelRow(key=key, name=name, dim=dim, weights_hash=weights_hash))
        except IntegrityError:  # another program added it at the same moment: it is there
            pass

    def embedding_ids(self, model_key: str) -> np.ndarray:
        with self.Session() as s:
            ids = s.scalars(select(EmbeddingRow.id).where(EmbeddingRow.model_key == model_key)).all()
        return np.asarray(ids, np.int64)

    def embeddings(self, model_key: str, dim: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids (N,) int64, vectors (N, dim) float32) of one model, ordered by id."""
        with self.Session() as s:
            rows = s.execute(select(EmbeddingRow.id, EmbeddingRow.vector)
                             .where(EmbeddingRow.model_key == model_key).order_by(EmbeddingRow.id)).all()
        ids = np.fromiter((r[0] for r in rows), np.int64, len(rows))
        vecs = np.frombuffer(b"".join(r[1] for r in rows), np.float32).reshape(-1, dim) if rows else \
            np.zeros((0, dim), np.float32)
        return ids, vecs

    def identity_embeddings(self, model_key: str, dim: int,
                            owners: dict[int, str] | None = None) -> dict[str, np.ndarray]:
        """{name: (n, dim) float32} of one model: the input of per-person adaptation; fills ``owners`` with
        {embedding id: name} on the way when given."""
        with self.Session() as s:
            rows = s.execute(select(Identity.name, EmbeddingRow.vector, EmbeddingRow.id)
                             .join(FaceRow, EmbeddingRow.face_id == FaceRow.id)
                             .join(Identity, FaceRow.identity_id == Identity.id)
                             .where(EmbeddingRow.model_key == model_key).order_by(EmbeddingRow.id)).all()
        out: dict[str, list] = {}
        for name, vec, eid in rows:
            out.setdefault(name, []).append(np.frombuffer(vec, np.float32))
            if owners is not None:
                owners[eid] = name
        return {k: np.stack(v).reshape(-1, dim) for k, v in out.items()}

    def missing_count(self, model_key: str) -> int:
        with self.Session() as s:
            have = select(EmbeddingRow.face_id).where(EmbeddingRow.model_key == model_key)
            return int(s.scalar(select(func.count()).select_from(FaceRow).where(FaceRow.id.not_in(have))))

    def faces_missing(self, model_key: str) -> list[tuple[int, bytes, str]]:
        """(face id, JPEG crop, name of the model whose template the crop was aligned to) for faces
        without an embedding of ``model_key``."""
        with self.Session() as s:
            have = select(EmbeddingRow.face_id).where(EmbeddingRow.model_key == model_key)
            todo = s.execute(select(FaceRow.id, FaceRow.thumbnail).where(FaceRow.id.not_in(have))).all()
            source = dict(s.execute(select(EmbeddingRow.face_id, ModelRow.name)
                                    .join(ModelRow, EmbeddingRow.model_key == ModelRow.key)
                                    .order_by(EmbeddingRow.id.desc())).all())  # the first (enrolment) model wins
        return [(fid, thumb, source.get(fid, "")) for fid, thumb in todo]

    def add_embeddings(self, model_key: str, rows: list[tuple[int, np.ndarray]]) -> tuple[list[int], list]:
        """Store (face id, unit vector) rows in one transaction; returns (embedding ids, vectors)."""
        ids, vecs = [], []
        with self.Session.begin() as s:
            for fid, e in rows:
                row = EmbeddingRow(face_id=fid, model_key=model_key, dim=len(e), vector=np.asarray(e, "<f4").tobytes())
                s.add(row)
                s.flush()
                ids.append(row.id)
                vecs.append(np.asarray(e, np.float32))
        return ids, vecs

    # ------------------------------------------------------------ faces

    def owner_of_image(self, image_hash: str) -> str | None:
        with self.Session() as s:
            return s.scalar(select(Identity.name).join(FaceRow).where(FaceRow.image_hash == image_hash).limit(1))

    def identity_id(self, name: str, create: bool) -> int:
        for _attempt in range(2):  # a second program may create the same person at the same moment: then read it
            try:
                with self.Session.begin() as s:
                    ident = s.scalar(select(Identity).where(Identity.name == name))
                    if ident is None:
                        if not create:
                            raise IdentityNotFound(f"No person named '{name}' in the gallery.")
                        ident = Identity(name=name)
                        s.add(ident)
                        s.flush()
                    return ident.id
            except IntegrityError:
                continue
        raise GalleryError(f"Could not add '{name}' to the gallery while another program changed it; try again.")

    def add_face(self, identity_id: int, face: NewFace, model_key: str, embedding: np.ndarray) -> tuple[int, int]:
        """Commit one face with its embedding; returns (face id, embedding id)."""
        with self.Session.begin() as s:
            row = FaceRow(identity_id=identity_id, source_path=shown(face.source_path), image_hash=face.image_hash,
                          box=face.box, thumbnail=face.thumbnail, det_score=face.det_score, quality=face.quality)
            s.add(row)
            s.flush()
            emb = EmbeddingRow(face_id=row.id, model_key=model_key, dim=len(embedding),
                               vector=np.asarray(embedding, "<f4").tobytes())
            s.add(emb)
            s.flush()
            return row.id, emb.id

    def finish_enrolment(self, identity_id: int, name: str, added: int, rejected: int) -> None:
        """Log the enrolment, or drop the person when nothing of theirs was ever stored."""
        with self.Session.begin() as s:
            if added:
                s.add(AuditEvent(action="enroll", subject=name, details={"added": added, "rejected": rejected}))
            elif not s.scalar(select(func.count()).select_from(FaceRow).where(FaceRow.identity_id == identity_id)):
                s.execute(delete(Identity).where(Identity.id == identity_id))

    # ------------------------------------------------------------ manage

    def _get(self, s, name: str) -> Identity:
        ident = s.scalar(select(Identity).where(Identity.name == name))
        if ident is None:
            raise IdentityNotFound(f"No person named '{name}' in the gallery.")
        return ident

    def remove_identity(self, name: str, forget: bool = False) -> tuple[list[int], int]:
        """Delete a person, their faces and embeddings (secure delete + WAL checkpoint); returns (removed
        embedding ids, number of faces). ``forget``: their name also leaves the audit log (the log keeps that
        a person was forgotten, not who)."""
        with self.Session.begin() as s:
            ident = self._get(s, name)
            emb_ids = list(s.scalars(select(EmbeddingRow.id).join(FaceRow).where(FaceRow.identity_id == ident.id)))
            n_faces = s.scalar(select(func.count()).select_from(FaceRow).where(FaceRow.identity_id == ident.id))
            s.execute(delete(Identity).where(Identity.id == ident.id))
            if forget:
                for ev in s.scalars(select(AuditEvent)):
                    if ev.subject == name or name in json.dumps(ev.details, ensure_ascii=False):
                        ev.subject, ev.details = "(a forgotten person)", {}
            s.add(AuditEvent(action="forget" if forget else "remove",
                             subject="(a forgotten person)" if forget else name, details={"faces": n_faces}))
        checkpoint(self.engine)
        return emb_ids, int(n_faces)

    def places(self, name: str) -> dict:
        """Where a person's data lives in this database: faces (with crops), embeddings per model."""
        with self.Session() as s:
            ident = self._get(s, name)
            faces = s.scalar(select(func.count()).select_from(FaceRow).where(FaceRow.identity_id == ident.id))
            per_model = dict(s.execute(select(EmbeddingRow.model_key, func.count()).join(FaceRow)
                                       .where(FaceRow.identity_id == ident.id).group_by(EmbeddingRow.model_key)).all())
        return {"faces_with_crops": int(faces), "embeddings": {k: int(v) for k, v in per_model.items()}}

    def face_hashes(self, name: str) -> list[dict]:
        """The person's faces: id and image key (the photo's SHA-256, then ``#`` and the box for some)."""
        with self.Session() as s:
            ident = self._get(s, name)
            return [{"id": fid, "image_hash": h} for fid, h in
                    s.execute(select(FaceRow.id, FaceRow.image_hash).where(FaceRow.identity_id == ident.id)).all()]

    def face_keys(self, face_ids: list[int]) -> dict[int, tuple[str, str]]:
        """{face id: (its person's name, its image hash and box key)} of the faces that exist."""
        with self.Session() as s:
            rows = s.execute(select(FaceRow.id, Identity.name, FaceRow.image_hash).join(Identity)
                             .where(FaceRow.id.in_([int(f) for f in face_ids]))).all()
        return {fid: (name, key) for fid, name, key in rows}

    def remove_face(self, face_id: int) -> tuple[list[int], str]:
        with self.Session.begin() as s:
            face = s.get(FaceRow, face_id)
            if face is None:
                raise GalleryError(f"No face with id {face_id}.")
            who = face.identity.name
            emb_ids = list(s.scalars(select(EmbeddingRow.id).where(EmbeddingRow.face_id == face_id)))
            s.execute(delete(FaceRow).where(FaceRow.id == face_id))
            s.add(AuditEvent(action="remove_face", subject=who, details={"face_id": face_id}))
        checkpoint(self.engine)
        return emb_ids, who

    def rename(self, old: str, new: str) -> dict:
        new = clean_name(new)
        try:
            with self.Session.begin() as s:
                self._get(s, old).name = new
                s.add(AuditEvent(action="rename", subject=new, details={"from": old}))
        except IntegrityError as exc:
            raise GalleryError(f"There is already a person named '{new}'; use merge to combine them.") from exc
        return {"renamed": old, "to": new}

    def merge(self, source: str, target: str) -> dict:
        """Move all faces of ``source`` to ``target`` and delete ``source`` (embedding ids are unchanged)."""
        if source == target:
            raise UsageError("Cannot merge a person into themselves.")
        with self.Session.begin() as s:
            src, dst = self._get(s, source), self._get(s, target)
            moved = s.execute(update(FaceRow).where(FaceRow.identity_id == src.id).values(identity_id=dst.id)).rowcount
            s.execute(delete(Identity).where(Identity.id == src.id))
            s.add(AuditEvent(action="merge", subject=target, details={"from": source, "faces": moved}))
        return {"merged": source, "into": target, "faces": moved}

    def list(self) -> list[dict]:
        with self.Session() as s:
            rows = s.execute(select(Identity.name, Identity.created, func.count(FaceRow.id))
                             .outerjoin(FaceRow).group_by(Identity.id).order_by(Identity.name)).all()
        return [{"name": n, "faces": c, "created": created.isoformat() if created else None} for n, created, c in rows]

    def faces(self, name: str) -> list[dict]:
        """A person's faces; ``model`` is the model whose template their stored crop is aligned to."""
        with self.Session() as s:
            ident = self._get(s, name)
            first = dict(s.execute(select(EmbeddingRow.face_id, ModelRow.name)
                                   .join(ModelRow, EmbeddingRow.model_key == ModelRow.key)
                                   .join(FaceRow, EmbeddingRow.face_id == FaceRow.id)
                                   .where(FaceRow.identity_id == ident.id).order_by(EmbeddingRow.id.desc())).all())
            return [{"id": f.id, "source_path": f.source_path, "box": f.box, "det_score": f.det_score,
                     "quality": round(f.quality, 3), "thumbnail": f.thumbnail, "model": first.get(f.id, "")}
                    for f in ident.faces]

    def thumbnail(self, name: str) -> bytes | None:
        """JPEG of the person's best enrolled face crop."""
        with self.Session() as s:
            return s.scalar(select(FaceRow.thumbnail).join(Identity).where(Identity.name == name)
                            .order_by(FaceRow.quality.desc()).limit(1))

    def names(self) -> list[str]:
        with self.Session() as s:
            return list(s.scalars(select(Identity.name).order_by(Identity.name)))

    def count(self) -> tuple[int, int]:
        """(identities, faces)."""
        with self.Session() as s:
            return (int(s.scalar(select(func.count()).select_from(Identity))),
                    int(s.scalar(select(func.count()).select_from(FaceRow))))

    def audit(self, limit: int = 100) -> list[dict]:
        with self.Session() as s:
            rows = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)).all()
            return [{"at": r.at.isoformat(), "action": r.action, "subject": r.subject, "details": r.details}
                    for r in rows]
