"""Every folder that holds faces, as one: encrypt, re-key, decrypt, audit and forget across the gallery, the photo
library and the evaluation cache, each declared once by its store (:mod:`core.storage.layout`).

The CLI (`gallery encrypt | rekey | decrypt | audit | forget`) and the window (the Gallery tab's Delete, the
People tab's Forget, the offer to encrypt) call these functions and nothing else: a person is forgotten the same
way from every entry point, and a new folder that holds faces is covered by its declaration.

May import: ``core.gallery``, ``core.library``, ``core.evaluation``, ``core.storage`` and below.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from core.config import Settings
from core.errors import IdentityNotFound, UsageError
from core.storage import REGISTRY, StoreLayout, decrypt_folder, encrypt_folder, keys


def store_folders(settings: Settings, library: Path | None = None) -> list[tuple[StoreLayout, Path]]:
    """(layout, folder) of every kind of folder that holds faces, where this app keeps it (``library``: the photo
    library chosen with ``--library``)."""
    import core.evaluation.face_cache  # noqa: F401 - each store module declares its folder
    import core.gallery.store  # noqa: F401
    import core.library.store  # noqa: F401

    chosen = {"photo library": Path(library).expanduser() if library else None}
    return [(layout, chosen.get(layout.what) or Path(layout.home(settings))) for layout in REGISTRY.values()]


def protect(action: str, settings: Settings, library: Path | None = None, protection: str = "auto",
            passphrase: str | None = None, yes: bool = False) -> dict:
    """``encrypt`` (plain folders), ``rekey`` (a new data key and protection) or ``decrypt`` (``yes`` required)
    every folder that holds faces and exists."""
    if action not in ("encrypt", "rekey", "decrypt"):
        raise UsageError(f"Unknown action {action!r}: encrypt, rekey or decrypt.")
    done, seen = [], False
    for layout, root in store_folders(settings, library):
        if not layout.exists(root):
            continue
        seen = True
        state = keys.protection(root)
        if action == "decrypt":
            if state == "none":
                continue
            if not yes:
                raise UsageError("Decrypting stores every face and embedding as plain files again; add --yes to "
                                 "confirm.")
            decrypt_folder(root, layout)
            done.append({"folder": str(root), "what": layout.what, "protection": "none",
                         "note": "set encrypt = false in the settings ([privacy]) to keep new ones plain too"})
        elif action == "rekey" or state == "none":
            if protection == "passphrase" and passphrase is None:
                passphrase = keys.ask_passphrase(f"{layout.what}'s new passphrase", "FACEREC_NEW_PASSPHRASE",
                                                 confirm=True)
            v = encrypt_folder(root, layout, protection, passphrase)
            done.append({"folder": str(root), "what": layout.what, "protection": v.protection, "was": state})
        else:
            done.append({"folder": str(root), "what": layout.what, "protection": state, "note": "already encrypted"})
    if not done:
        if action == "decrypt" and seen:
            return {"decrypt": [], "note": "no folder that holds faces is encrypted: nothing to do"}
        raise UsageError(f"There is no gallery or photo library to {action} yet.")
    return {action: done}


class _Stores:
    """The stores of one audit or forget, all opened (every key unwrapped) before anything is read or erased:
    the caller's open ones where given (the window's), the others opened here and closed after."""

    def __init__(self, stack: ExitStack, settings: Settings, library_dir: Path | None, gallery, library):
        from core.evaluation.face_cache import LAYOUT as CACHE
        from core.evaluation.face_cache import FaceCache
        from core.gallery import Gallery
        from core.gallery.store import LAYOUT as GALLERY
        from core.library import Library
        from core.library.store import LAYOUT as LIBRARY

        folders = dict((layout.what, root) for layout, root in store_folders(settings, library_dir))
        self.gallery = gallery if gallery is not None else (
            stack.enter_context(Gallery(folders[GALLERY.what], settings=settings, create=False))
            if GALLERY.exists(folders[GALLERY.what]) else None)
        self.library = library if library is not None else (
            stack.enter_context(Library(folders[LIBRARY.what], settings=settings, create=False))
            if LIBRARY.exists(folders[LIBRARY.what]) else None)
        self.cache = None
        if CACHE.exists(folders[CACHE.what]):
            self.cache = FaceCache(folders[CACHE.what])
            stack.callback(self.cache.close)

    def group_of(self, name: str) -> int | None:
        if self.library is None:
            return None
        return next((g["id"] for g in self.library.store.people() if name in (g["name"], g["gallery_name"])), None)


def audit(name: str, settings: Settings, library: Path | None = None) -> dict:
    """Every place the person's data lives: rows and crops in the gallery and the library database, search index
    entries, the library's grouping state, and the exports made while they were enrolled."""
    places = []
    with ExitStack() as stack:
        st = _Stores(stack, settings, library, None, None)
        g, lib = st.gallery, st.library
        if g is not None and name in g.names():
            places.append({"file": str(g.store.root / g.store.LAYOUT.db), "what": "gallery rows",
                           **g.store.places(name), "encrypted": g.store.key is not None})
            places += [{"file": str(p), "what": "search index entries (derived)", "encrypted": g.store.key is not None}
                       for p in g.store.LAYOUT.derived_files(g.root)]
            places += [{"file": e["file"], "what": "an export made while they were enrolled (outside the app's "
                        "folders: delete it yourself)", "encrypted": e["encrypted"]} for e in _exports(g)]
        pid = st.group_of(name)
        if pid is not None:
            root = lib.store.root
            places.append({"file": str(root / lib.store.LAYOUT.db), "what": "photo library rows", "group": pid,
                           "faces_with_crops": len(lib.store.faces_of(pid)), "encrypted": lib.store.key is not None})
            places += [{"file": str(p), "what": "grouping state (derived)", "encrypted": lib.store.key is not None}
                       for p in lib.store.LAYOUT.derived_files(root)]
    if not places:
        raise IdentityNotFound(f"No person named '{name}' in the gallery or the photo library.")
    return {"person": name, "places": places}


def _exports(g) -> list[dict]:
    return [{"file": e["details"].get("path", e["subject"]), "at": e["at"],
             "encrypted": bool(e["details"].get("encrypted"))}
            for e in g.audit(limit=100000) if e["action"] == "export"]


def forget(settings: Settings, name: str | None = None, group: int | None = None, library_dir: Path | None = None,
           gallery=None, library=None) -> dict:
    """Erase a person everywhere: the gallery (rows, crops, index entries, their name in the audit log), the photo
    library (their group's faces and crops, their name in the decisions' records, the grouping state rebuilt
    without them) and the evaluation cache (what it holds of their photos). Give the person's ``name``, or a
    library ``group`` (named or not). ``gallery`` / ``library``: stores the caller has open (the window's).
    Every store is opened, its key unwrapped, before anything is erased: a wrong passphrase for one erases nothing
    anywhere. The exports made while they were enrolled are listed: they are outside the app's folders."""
    if (name is None) == (group is None):
        raise UsageError("Forget one person: give a name or a group.")
    with ExitStack() as stack:
        st = _Stores(stack, settings, library_dir, gallery, library)
        g, lib = st.gallery, st.library
        if group is not None:
            if lib is None:
                raise IdentityNotFound(f"No group {group}: there is no photo library.")
            p = lib.store.person(group)
            pid, names = group, list(dict.fromkeys(n for n in (p.name, p.gallery_name) if n))
        else:
            pid, names = st.group_of(name), [name]
            if pid is not None:
                p = lib.store.person(pid)
                names += [n for n in (p.name, p.gallery_name) if n and n not in names]
        in_gallery = [n for n in names if g is not None and n in g.names()]
        if pid is None and not in_gallery:
            raise IdentityNotFound(f"No person named '{name}' in the gallery or the photo library.")
        out: dict = {"forgotten": name or (names[0] if names else f"group {group}")}
        images: set[str] = set()
        if in_gallery:
            out["exports"] = _exports(g)
            if out["exports"]:
                out["note"] = ("exports made while they were enrolled still hold their faces; they are outside the "
                               "app's folders: delete them yourself")
            for n in in_gallery:
                images |= {f["image_hash"].split("#")[0] for f in g.store.face_hashes(n)}
                out.setdefault("gallery", []).append(g.remove(n, forget=True))
        if lib is not None:
            if pid is not None:
                images |= set(lib.store.photo_hashes([f["id"] for f in lib.store.faces_of(pid)]).values())
                out["library"] = lib.forget(pid, gallery=False)
            for n in names:
                lib.store.forget_name(n)
        if st.cache is not None:
            out["evaluation_cache"] = {"entries": st.cache.forget_images(images)}
    return out
