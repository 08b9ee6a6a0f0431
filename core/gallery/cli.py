"""CLI commands of the gallery room: enroll, identify, gallery list|remove|rename|merge|export|import|faces."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.errors import UsageError


def _gallery(args):
    from core.config import load_settings
    from core.gallery import Gallery

    settings = load_settings(model=args.model, detector=args.detector, threshold=args.threshold)
    from core.cli import _note

    return Gallery(args.gallery, settings=settings, warn=_note)


def cmd_enroll(args) -> tuple[dict, int]:
    from core.cli import Progress
    from core.imageio import expand_image_paths

    paths = expand_image_paths(args.paths)
    if not paths:
        raise UsageError("No images found in the given paths.")
    with _gallery(args) as g:
        rep = g.enroll(args.name, paths, progress=None if args.json else Progress(f"Enrolling {args.name}"))
        return rep.to_json(), 0


def cmd_identify(args) -> tuple[dict, int]:
    from core.cli import Progress
    from core.imageio import expand_image_paths

    paths = expand_image_paths(args.paths)
    if not paths:
        raise UsageError("No images found in the given paths.")
    with _gallery(args) as g:
        results = g.identify_paths(paths, progress=Progress("Identifying") if len(paths) > 1 else None)
        return {"model": g.spec.name, "threshold": g.threshold, "results": results}, \
            (3 if any(r.get("error") for r in results) else 0)


def cmd_watch(args) -> tuple[dict, int]:
    """Recognise faces in a video, camera or folder, as the GUI's live view does."""
    from core.capture import open_source
    from core.recognition import LiveRecognizer

    src = open_source(args.source)
    frames_out = []
    with _gallery(args) as g:
        rec = LiveRecognizer(g.analyzer, g, threshold=args.threshold)
        n = 0
        try:
            while args.max_frames is None or n < args.max_frames:
                frame = src.read()
                if frame is None:
                    break
                n += 1
                if (frame.index % max(1, args.every)) != 0:
                    continue
                faces = rec.process(frame)
                frames_out.append({"frame": frame.index, "time": round(frame.timestamp, 3),
                                   **({"path": frame.path} if frame.path else {}),
                                   "faces": [f.to_json() for f in faces]})
        finally:
            src.close()
        names = sorted({f["name"] for fr in frames_out for f in fr["faces"] if f["name"]})
        return {"source": str(args.source), "frames": n, "processed": len(frames_out), "names": names,
                "results": frames_out}, 0


def cmd_gallery(args) -> tuple[dict, int]:
    from core.gallery.archive import export_gallery, import_gallery

    a = args.action
    if a is None:
        raise UsageError("Give a gallery action: " + ", ".join(ACTIONS) + ".")
    rest = [getattr(args, n) for n in ACTIONS[a]]
    with _gallery(args) as g:
        if a == "list":
            people = g.list()
            return {"gallery": str(g.root), "identities": people, "faces": sum(p["faces"] for p in people)}, 0
        if a == "remove":
            return g.remove(rest[0]), 0
        if a == "remove-face":
            return g.remove_face(int(rest[0])), 0
        if a == "rename":
            return g.rename(rest[0], rest[1]), 0
        if a == "merge":
            return g.merge(rest[0], rest[1]), 0
        if a == "faces":
            return {"identity": rest[0],
                    "faces": [{k: v for k, v in f.items() if k != "thumbnail"} for f in g.faces(rest[0])]}, 0
        if a == "export":
            return export_gallery(g, Path(rest[0])), 0
        if a == "import":
            return import_gallery(g, Path(rest[0])), 0
        if a == "audit":
            return {"events": g.audit()}, 0
        if a == "reembed":
            from core.cli import Progress

            return g.reembed(progress=None if args.json else Progress("Re-embedding")), 0
        idx = g.rebuild_index()
        return {"rebuilt": str(g.index_path), "vectors": len(idx), "kind": idx.kind}, 0


def register(sub, common, jonly) -> None:
    def gal(p):
        p.add_argument("--gallery", help="gallery folder (default: in the user data directory)")

    p = sub.add_parser("enroll", parents=[common], help="add photos of a person to the gallery")
    gal(p)
    p.add_argument("--name", required=True)
    p.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    p.set_defaults(func=cmd_enroll)

    p = sub.add_parser("identify", parents=[common], help="name the faces in photos")
    gal(p)
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=cmd_identify)

    p = sub.add_parser("watch", parents=[common], help="recognise faces in a video, camera index or folder")
    gal(p)
    p.add_argument("source", help="video file, camera index (0, 1, ...) or folder of images")
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument("--every", type=int, default=1, help="process every n-th frame")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("gallery", parents=[common], help="list|faces|remove|remove-face|rename|merge|export|import|audit|reembed")
    gal(p)
    actions = p.add_subparsers(dest="action", parser_class=type(p))
    for action, params in ACTIONS.items():
        # options may come before or after the action; SUPPRESS keeps a value given before it
        ap = actions.add_parser(action)
        ap.add_argument("--gallery", default=argparse.SUPPRESS)
        ap.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
        ap.add_argument("--model", default=argparse.SUPPRESS)
        ap.add_argument("--detector", default=argparse.SUPPRESS)
        ap.add_argument("--threshold", type=float, default=argparse.SUPPRESS)
        for name in params:
            ap.add_argument(name)
    p.set_defaults(func=cmd_gallery)


ACTIONS: dict[str, tuple[str, ...]] = {
    "list": (), "faces": ("name",), "remove": ("name",), "remove-face": ("face_id",), "rename": ("old", "new"),
    "merge": ("source", "target"), "export": ("archive",), "import": ("archive",), "audit": (),
    "rebuild-index": (), "reembed": (),
}
