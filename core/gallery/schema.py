"""Gallery schema (SQLAlchemy 2.0 typed ORM). SQLite is the source of truth.

Embedding vectors are float32 bytes of length 4 * dim. Deleting an identity
cascades to its faces and their embeddings.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from core.storage.database import MetaTable, utcnow

SCHEMA_VERSION = 1


class Base(DeclarativeBase):
    pass


class Meta(MetaTable, Base):
    pass


class Identity(Base):
    __tablename__ = "identities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    faces: Mapped[list[FaceRow]] = relationship(back_populates="identity", cascade="all, delete-orphan",
                                                passive_deletes=True)


class FaceRow(Base):
    __tablename__ = "faces"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("identities.id", ondelete="CASCADE"), index=True)
    source_path: Mapped[str] = mapped_column(Text)
    image_hash: Mapped[str] = mapped_column(String(64), index=True)
    box: Mapped[list] = mapped_column(JSON)                # [x, y, w, h] in source pixels
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)  # JPEG of the aligned crop
    det_score: Mapped[float] = mapped_column(Float)
    quality: Mapped[float] = mapped_column(Float)          # sharpness: variance of the Laplacian of the crop
    created: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    identity: Mapped[Identity] = relationship(back_populates="faces")
    embeddings: Mapped[list[EmbeddingRow]] = relationship(back_populates="face", cascade="all, delete-orphan",
                                                          passive_deletes=True)


class ModelRow(Base):
    __tablename__ = "models"
    key: Mapped[str] = mapped_column(String(120), primary_key=True)   # name:weights-hash-prefix
    name: Mapped[str] = mapped_column(String(100))
    dim: Mapped[int] = mapped_column(Integer)
    weights_hash: Mapped[str] = mapped_column(String(64))


class EmbeddingRow(Base):
    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("face_id", "model_key"), Index("ix_embeddings_model", "model_key", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True)          # = FAISS id
    face_id: Mapped[int] = mapped_column(ForeignKey("faces.id", ondelete="CASCADE"))
    model_key: Mapped[str] = mapped_column(ForeignKey("models.key"))
    dim: Mapped[int] = mapped_column(Integer)
    vector: Mapped[bytes] = mapped_column(LargeBinary)                  # float32 little-endian, unit length
    face: Mapped[FaceRow] = relationship(back_populates="embeddings")


class AuditEvent(Base):
    __tablename__ = "audit"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    action: Mapped[str] = mapped_column(String(32))    # enroll | remove | rename | merge | remove_face | import
    subject: Mapped[str] = mapped_column(String(200))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
