"""``facerec scan | people ...``: the photo library's commands."""

from __future__ import annotations

import argparse

from core.cli.common import Progress, common_flags, settings_from
from core.errors import UsageError

ACTIONS: dict[str, tuple[str, ...]] = {
    "list": (), "show": ("id",), "name": ("id", "name"), "merge": ("source", "target"), "split": ("id",),
    "move": ("face", "person"), "reject": ("face", "person"), "not-face": ("face",), "ignore": ("ids",),
    "undo": (), "review": (), "regroup": (), "forget": ("id",), "remove-library": (), "decisions": (),
    "folders": (), "remove-folder": ("folder",), "write-xmp": ("ids",),
}


def library_from(args, with_analyzer: bool = False, create: bool = False):
    """The library of ``--library`` (or the app's own); only a scan creates one."""
    from pathlib import Path

    from core.library import Library, default_library_dir
    from core.library.store import LAYOUT

    settings = settings_from(args)
    root = Path(args.library).expanduser() if args.library else default_library_dir()
    if not create and not LAYOUT.exists(root):
        raise UsageError(f"There is no photo library at {root} yet; scan a folder first: facerec scan FOLDER"
                         + (f" --library {args.library}" if args.library else "") + ".")
    analyzer = None
    if with_analyzer:
        from core.faces import FaceAnalyzer

        analyzer = FaceAnalyzer(settings, warmup=False)
    return Library(root, settings=settings, analyzer=analyzer, create=create)


def cmd_scan(args) -> tuple[dict, int]:
    with library_from(args, with_analyzer=True, create=True) as lib:
        rep = lib.scan(args.folders, progress=Progress("Scanning"))
        rep["library"] = str(lib.root)
        return rep, 0


def _int(value: str, what: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"{what} must be a number (see `facerec people list`), not {value!r}.") from exc


def cmd_people(args) -> tuple[dict, int]:
    a = args.action
    missing = [p for p in ACTIONS[a] if getattr(args, p) in (None, []) and p != "ids"]
    if missing:
        raise UsageError(f"Usage: facerec people {a} {' '.join(p.upper() for p in ACTIONS[a])}")
    if a == "remove-library":
        from pathlib import Path

        from core.library import default_library_dir, remove_library

        if not args.yes:
            raise UsageError("This deletes the photo library's faces, groups and decisions (your photos stay); "
                             "add --yes to confirm.")
        return remove_library(Path(args.library).expanduser() if args.library else default_library_dir()), 0
    with library_from(args) as lib:
        if a == "list":
            return lib.people(with_faces=not args.brief).to_json(), 0
        if a == "show":
            return lib.show(_int(args.id, "ID")).to_json(), 0
        if a == "name":
            return lib.name(_int(args.id, "ID"), args.name, enrol=not args.no_gallery, join=args.join), 0
        if a == "merge":
            return lib.merge(_int(args.source, "SOURCE"), _int(args.target, "TARGET")), 0
        if a == "split":
            pid = _int(args.id, "ID")
            parts = lib.propose_split(pid)
            if args.dry_run:
                return {"group": pid, "proposed": parts}, 0
            return {**lib.split(pid, parts), "parts_faces": parts}, 0
        if a in ("move", "reject"):
            face, person = _int(args.face, "FACE"), _int(args.person, "PERSON")
            return (lib.move(face, person) if a == "move" else lib.reject(face, person)), 0
        if a == "not-face":
            return lib.not_a_face(_int(args.face, "FACE")), 0
        if a == "ignore":
            if not args.ids and not args.all_unnamed:
                raise UsageError("Give group ids to hide, or --all-unnamed [--max-faces N] to hide every unnamed "
                                 "group at once.")
            ids = [_int(i, "ID") for i in args.ids] if args.ids else None
            return lib.ignore(ids, max_faces=args.max_faces), 0
        if a == "undo":
            return lib.undo(), 0
        if a == "review":
            return {"suggestions": [s.to_json() for s in lib.review(limit=args.limit)]}, 0
        if a == "regroup":
            return lib.regroup(full=True), 0
        if a == "decisions":
            return {"decisions": lib.store.decisions(limit=args.limit)}, 0
        if a == "folders":
            return {"library": str(lib.root), "folders": [f.to_json() for f in lib.folders()]}, 0
        if a == "remove-folder":
            return lib.remove_folder(args.folder), 0
        if a == "write-xmp":
            out = lib.write_xmp([_int(i, "ID") for i in args.ids] if args.ids else None)
            return out, 3 if out["failed"] else 0
        return lib.forget(_int(args.id, "ID")), 0


def register(sub) -> None:
    common = common_flags()
    lib = argparse.ArgumentParser(add_help=False)
    lib.add_argument("--library", help="library folder (default: the app's own, in the user data folder)")

    p = sub.add_parser("scan", parents=[common, lib], help="find and group every face in folders of photos")
    p.add_argument("folders", nargs="+")
    p.set_defaults(func=cmd_scan)

    p = sub.add_parser("people", parents=[common, lib], help="the photo library's people: " + ", ".join(ACTIONS))
    p.add_argument("action", choices=list(ACTIONS))
    p.add_argument("args", nargs="*", help="ids and names, as the action needs")
    p.add_argument("--no-gallery", action="store_true", help="name: do not enrol the group's faces in the gallery")
    p.add_argument("--join", action="store_true",
                   help="name: the name is someone else's already, and this group is that same person: join them")
    p.add_argument("--dry-run", action="store_true", help="split: only show the proposed sub-groups")
    p.add_argument("--all-unnamed", action="store_true", help="ignore: hide every unnamed group")
    p.add_argument("--max-faces", type=int, help="ignore --all-unnamed: only groups with at most this many faces")
    p.add_argument("--brief", action="store_true", help="list: counts only, no faces")
    p.add_argument("--limit", type=int, default=50, help="review, decisions: how many")
    p.add_argument("--yes", action="store_true", help="remove-library: confirm")
    p.set_defaults(func=_dispatch)


def _dispatch(args) -> tuple[dict, int]:
    """Give the positional words the names the action uses (``people name 3 Ada``: id=3, name=Ada)."""
    names = ACTIONS[args.action]
    words = list(args.args)
    for n in names:
        if n == "ids" or (n == "name" and args.action == "name"):  # the rest: ids, or a name of several words
            setattr(args, n, words if n == "ids" else (" ".join(words) or None))
            words = []
        else:
            setattr(args, n, words.pop(0) if words else None)
    if words:
        raise UsageError(f"Too many words for `facerec people {args.action}`: {' '.join(words)}.")
    return cmd_people(args)
