"""A person across the gallery and the photo library: where their data lives (``audit_person``), and erasing
them from every file (``forget_everywhere``)."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.errors import IdentityNotFound


def _library_person(lib, name: str) -> int | None:
    return next((g["id"] for g in lib.store.people() if name in (g["name"], g["gallery_name"])), None)


def audit_person(name: str, settings: Settings, library: Path | None = None) -> dict:
    """Every place the person's data lives: rows and crops in the gallery and the library database, search
    index entries, the library's grouping state, and the exports made while they were in the gallery."""
    from core.gallery import Gallery
    from core.library import Library, default_library_dir

    places, found = [], False
    gallery_dir = settings.gallery_dir()
    if (gallery_dir / "gallery.db").exists():
        with Gallery(gallery_dir, settings=settings, create=False) as g:
            if name in g.names():
                found = True
                p = g.store.places(name)
                places.append({"file": str(gallery_dir / "gallery.db"), "what": "gallery rows", **p,
                               "encrypted": g.store.key is not None})
                for idx in sorted(gallery_dir.glob("index-*.faiss")):
                    places.append({"file": str(idx), "what": "search index entries (derived)",
                                   "encrypted": g.store.key is not None})
                places += [{"file": e["details"].get("path", e["subject"]), "what": "an export made while they were "
                            "enrolled (outside the app's folders: delete it yourself)",
                            "encrypted": bool(e["details"].get("encrypted"))}
                           for e in g.audit(limit=100000) if e["action"] == "export"]
    lib_dir = Path(library) if library else default_library_dir()
    if (lib_dir / "library.db").exists():
        with Library(lib_dir, settings=settings, create=False) as lib:
            pid = _library_person(lib, name)
            if pid is not None:
                found = True
                n = len(lib.store.faces_of(pid))
                places.append({"file": str(lib_dir / "library.db"), "what": "photo library rows", "group": pid,
                               "faces_with_crops": n, "encrypted": lib.store.key is not None})
                state = lib_dir / "grouping.npz"
                if state.exists():
                    places.append({"file": str(state), "what": "grouping state (derived)",
                                   "encrypted": lib.store.key is not None})
    if not found:
        raise IdentityNotFound(f"No person named '{name}' in the gallery or the photo library.")
    return {"person": name, "places": places}


def forget_everywhere(name: str, settings: Settings, library: Path | None = None) -> dict:
    """Erase a person from the gallery (rows, crops, index entries, their name in the audit log) and from the
    photo library (their group's faces and crops, their name in the decisions' records, the grouping state
    rebuilt without them). Every store is opened (its key unwrapped) before anything is erased, so a wrong
    passphrase for one erases nothing anywhere. The exports made while they were enrolled are listed: they are
    outside the app's folders."""
    from contextlib import ExitStack

    from core.gallery import Gallery
    from core.library import Library, default_library_dir

    out: dict = {"forgotten": name}
    gallery_dir = settings.gallery_dir()
    lib_dir = Path(library) if library else default_library_dir()
    with ExitStack() as stack:
        g = stack.enter_context(Gallery(gallery_dir, settings=settings, create=False)) \
            if (gallery_dir / "gallery.db").exists() else None
        lib = stack.enter_context(Library(lib_dir, settings=settings, create=False)) \
            if (lib_dir / "library.db").exists() else None
        in_gallery = g is not None and name in g.names()
        pid = _library_person(lib, name) if lib is not None else None
        if not in_gallery and pid is None:
            raise IdentityNotFound(f"No person named '{name}' in the gallery or the photo library.")
        if in_gallery:
            out["exports"] = [{"file": e["details"].get("path", e["subject"]), "at": e["at"],
                               "encrypted": bool(e["details"].get("encrypted"))}
                              for e in g.audit(limit=100000) if e["action"] == "export"]
            if out["exports"]:
                out["note"] = ("exports made while they were enrolled still hold their faces; they are outside the "
                               "app's folders: delete them yourself")
            out["gallery"] = g.remove(name, forget=True)
        if lib is not None:
            if pid is not None:
                out["library"] = lib.forget(pid, gallery=False)
            lib.store.forget_name(name)
    return out
