"""Export a gallery as one ``.zip`` (SQLite snapshot + manifest) and import one into a gallery.

Import adds the archive's people; a name that already exists receives the
archive's faces (merge), and images already enrolled (same file hash) are skipped.
The search index is rebuilt afterwards.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from sqlalchemy import select

from core.errors import GalleryCorrupt, GalleryError
from core.fileutil import atomic_path
from core.gallery.schema import SCHEMA_VERSION, AuditEvent, EmbeddingRow, FaceRow, Identity, ModelRow
from core.gallery.store import open_engine

FORMAT = "facerec-gallery"


def export_gallery(gallery, dest: Path) -> dict:
    dest = Path(dest)
    if dest.suffix != ".zip":
        dest = dest.with_suffix(".zip")
    people, faces = gallery.count()
    with tempfile.TemporaryDirectory() as tmp:
        snap = Path(tmp) / "gallery.db"
        src = sqlite3.connect(gallery.root / "gallery.db")
        out = sqlite3.connect(snap)
        with out:
            src.backup(out)  # consistent snapshot even while another process writes
        src.close()
        out.close()
        manifest = {"format": FORMAT, "schema_version": SCHEMA_VERSION, "identities": people, "faces": faces}
        with atomic_path(dest, suffix=".zip") as tmp_zip:
            with zipfile.ZipFile(tmp_zip, "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("manifest.json", json.dumps(manifest, indent=2))
                z.write(snap, "gallery.db")
    return {"exported": str(dest), **manifest}


def import_gallery(gallery, archive: Path) -> dict:
    archive = Path(archive)
    try:
        z = zipfile.ZipFile(archive)
    except (OSError, zipfile.BadZipFile) as exc:
        raise GalleryCorrupt(f"{archive} is not a gallery archive (not a zip file).") from exc
    with z, tempfile.TemporaryDirectory() as tmp:
        names = set(z.namelist())
        if not {"manifest.json", "gallery.db"} <= names:
            raise GalleryCorrupt(f"{archive} is not a gallery archive (manifest.json or gallery.db missing).")
        try:
            manifest = json.loads(z.read("manifest.json"))
        except ValueError as exc:
            raise GalleryCorrupt(f"{archive}: the manifest is damaged.") from exc
        if manifest.get("format") != FORMAT:
            raise GalleryCorrupt(f"{archive} is not a facerec gallery archive.")
        if int(manifest.get("schema_version", 0)) > SCHEMA_VERSION:
            raise GalleryError(f"{archive} comes from a newer facerec; please upgrade.")
        (Path(tmp) / "gallery.db").write_bytes(z.read("gallery.db"))
        engine, Src = open_engine(Path(tmp) / "gallery.db", create=False)
        added_people = added_faces = skipped = 0
        try:
            with Src() as src, gallery.store.Session.begin() as dst:
                for m in src.scalars(select(ModelRow)):
                    if dst.get(ModelRow, m.key) is None:
                        dst.add(ModelRow(key=m.key, name=m.name, dim=m.dim, weights_hash=m.weights_hash))
                dst.flush()
                known_hashes = set(dst.scalars(select(FaceRow.image_hash)))
                for ident in src.scalars(select(Identity)):
                    target = dst.scalar(select(Identity).where(Identity.name == ident.name))
                    if target is None:
                        target = Identity(name=ident.name, notes=ident.notes, created=ident.created)
                        dst.add(target)
                        dst.flush()
                        added_people += 1
                    for f in ident.faces:
                        if f.image_hash in known_hashes:
                            skipped += 1
                            continue
                        nf = FaceRow(identity_id=target.id, source_path=f.source_path, image_hash=f.image_hash,
                                     box=f.box, thumbnail=f.thumbnail, det_score=f.det_score, quality=f.quality,
                                     created=f.created)
                        dst.add(nf)
                        dst.flush()
                        for e in f.embeddings:
                            dst.add(EmbeddingRow(face_id=nf.id, model_key=e.model_key, dim=e.dim, vector=e.vector))
                        known_hashes.add(f.image_hash)
                        added_faces += 1
                dst.add(AuditEvent(action="import", subject=archive.name,
                                   details={"identities": added_people, "faces": added_faces, "skipped": skipped}))
        finally:
            engine.dispose()
    for stale in gallery.root.glob("index-*.faiss"):
        stale.unlink(missing_ok=True)
    gallery.rebuild_index()
    return {"imported": str(archive), "new_identities": added_people, "faces": added_faces,
            "skipped_duplicates": skipped}
