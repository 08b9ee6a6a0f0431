"""The photo library's schema (SQLAlchemy 2.0 typed ORM), in ``library.db``; SQLite is the source of truth.

- ``photos``: every image file the scan saw (path, size and mtime to notice changes, content hash, full size,
  EXIF date, or why it could not be read);
- ``faces``: every face found (box and landmarks in full-size pixels, detector score, quality, the unit embedding
  of ``model_key`` as float32 bytes, a small aligned crop as JPEG); ``person_id`` is the group it is in now (None:
  unsorted), ``pinned`` when a user decision put it there (every re-cluster keeps it), ``not_face`` when the user
  said it is not a face;
- ``people``: groups of faces, named or not; ``hidden`` for strangers the user hid; ``gallery_name`` when the
  person was enrolled in the gallery;
- ``rejections``: "this face is not this person", kept for good; ``apart``: two groups the user said are
  different people;
- ``decisions``: every user decision with what undoing it restores.

Deleting a photo deletes its faces; deleting a person leaves their faces unsorted and drops their constraints.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from core.storage.database import MetaTable, utcnow

SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    pass


class Meta(MetaTable, Base):
    pass


class PhotoRow(Base):
    __tablename__ = "photos"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    size: Mapped[int] = mapped_column(Integer)
    mtime_ns: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    taken: Mapped[str | None] = mapped_column(String(32), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)   # why the file could not be read
    scanned: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PersonRow(Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    gallery_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LibFaceRow(Base):
    __tablename__ = "faces"
    __table_args__ = (Index("ix_faces_person", "person_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id", ondelete="CASCADE"), index=True)
    box: Mapped[list] = mapped_column(JSON)                 # [x, y, w, h] in full-size pixels
    landmarks: Mapped[list] = mapped_column(JSON)           # [[x, y] x 5] in full-size pixels
    det_score: Mapped[float] = mapped_column(Float)
    quality: Mapped[float] = mapped_column(Float)           # 0..1 (core.faces.quality)
    model_key: Mapped[str] = mapped_column(String(120))
    embedding: Mapped[bytes] = mapped_column(LargeBinary)   # float32 little-endian, unit length
    crop: Mapped[bytes] = mapped_column(LargeBinary)        # JPEG of the aligned crop
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), nullable=True)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    not_face: Mapped[bool] = mapped_column(Boolean, default=False)


class TagRow(Base):
    """A name another tool gave a face (an XMP face region in the photo or its sidecar), matched to our face by
    box overlap. ``applied``: it has become a decision (or the user answered it in review)."""

    __tablename__ = "tags"
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(16))        # "mwg" | "mp"
    applied: Mapped[bool] = mapped_column(Boolean, default=False)


class RejectionRow(Base):
    __tablename__ = "rejections"
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)


class ApartRow(Base):
    __tablename__ = "apart"
    a: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)
    b: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), primary_key=True)


class DecisionRow(Base):
    __tablename__ = "decisions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))           # name | merge | split | move | reject | not_face | ...
    summary: Mapped[dict] = mapped_column(JSON, default=dict)
    undo: Mapped[dict] = mapped_column(JSON, default=dict)  # what undoing restores
    undone: Mapped[bool] = mapped_column(Boolean, default=False)
