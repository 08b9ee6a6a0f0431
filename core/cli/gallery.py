"""``facerec enroll | identify | watch | gallery ...``: the gallery's commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cli.common import Progress, common_flags, gallery_flag, gallery_from, image_paths, settings_from
from core.errors import UsageError

ACTIONS: dict[str, tuple[str, ...]] = {
    "list": (), "faces": ("name",), "remove": ("name",), "remove-face": ("face_id",), "rename": ("old", "new"),
    "merge": ("source", "target"), "export": ("archive",), "import": ("archive",), "audit": ("person?",),
    "rebuild-index": (), "reembed": (), "forget": ("name",), "encrypt": (), "decrypt": (), "rekey": (),
}
KEYS = ("encrypt", "decrypt", "rekey")   # re-key the folders themselves: nothing may have them open
NEEDS_MODEL = ("reembed", "import", "rebuild-index")


def cmd_enroll(args) -> tuple[dict, int]:
    paths = image_paths(args.paths)
    with gallery_from(args) as g:
        rep = g.enroll(args.name, paths, progress=Progress(f"Enrolling {args.name}"))
        # nothing usable in any photo given is a bad input (exit 3), not a success
        return rep.to_json(), 0 if rep.added or not rep.rejected else 3


def cmd_identify(args) -> tuple[dict, int]:
    paths = image_paths(args.paths)
    with gallery_from(args) as g:
        results = g.identify_paths(paths, progress=Progress("Identifying", len(paths) > 1), threshold=args.threshold)
        point = g.operating_point(args.threshold)
        named = {f["name"] for r in results for f in r["faces"] if f["name"]}
        warnings = [f"{w['person']} and {w['like']} look alike: a face of {w['like']} scores {w['score']:.2f} for "
                    f"{w['person']} (threshold {point.threshold:.2f})"
                    for w in g.lookalikes() if w["person"] in named or w["like"] in named]
        return {"model": g.spec.name, "threshold": point.threshold, "operating_point": point.to_json(),
                "warnings": warnings, "results": results}, (3 if any(r.get("error") for r in results) else 0)


def cmd_watch(args) -> tuple[dict, int]:
    """Recognise faces in a video, camera or folder, as the GUI's live view does: per track (docs/live.md). The
    JSON keeps every processed frame's faces (with track ids) and adds ``tracks``, one line per track seen;
    ``--log FILE`` also saves that summary as CSV or JSON (a plain export where you choose)."""
    from core.live import LiveRecognizer, open_source

    src = open_source(args.source)
    frames_out = []
    with gallery_from(args) as g:
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
        rec.log.end([a.track_id for a in rec.log.entries])
        tracks = rec.log.summary()
        if args.log:
            rec.log.save(args.log)
        names = sorted({t["name"] for t in tracks if t["name"]})
        return {"source": str(args.source), "frames": n, "processed": len(frames_out), "names": names,
                "detector": g.analyzer.detector.name, "operating_point": rec.operating_point().to_json(),
                "tracks": tracks, **({"log": str(args.log)} if args.log else {}), "results": frames_out}, 0


def cmd_gallery(args) -> tuple[dict, int]:
    from core.gallery.archive import export_gallery, import_gallery

    a = args.action
    if a is None:
        raise UsageError("Give a gallery action: " + ", ".join(ACTIONS) + ".")
    rest = [getattr(args, n.rstrip("?")) for n in ACTIONS[a]]
    if a in KEYS:
        return protect(args), 0
    if a == "forget" or (a == "audit" and rest[0]):
        from core import privacy

        library = getattr(args, "library", None)
        if a == "forget":
            return privacy.forget(settings_from(args), name=rest[0], library_dir=library), 0
        return privacy.audit(rest[0], settings_from(args), library=library), 0
    with gallery_from(args, with_analyzer=a in NEEDS_MODEL) as g:
        if a == "list":
            people = g.list()
            return {"gallery": str(g.root), "identities": people, "faces": sum(p["faces"] for p in people)}, 0
        if a == "remove":
            return g.remove(rest[0]), 0
        if a == "remove-face":
            try:
                face_id = int(rest[0])
            except ValueError as exc:
                raise UsageError(f"A face id is a whole number, not {rest[0]!r}.") from exc
            return g.remove_face(face_id), 0
        if a == "rename":
            return g.rename(rest[0], rest[1]), 0
        if a == "merge":
            return g.merge(rest[0], rest[1]), 0
        if a == "faces":
            return {"identity": rest[0],
                    "faces": [{k: v for k, v in f.items() if k != "thumbnail"} for f in g.faces(rest[0])]}, 0
        if a == "export":
            return export_gallery(g, Path(rest[0]), plain=args.plain), 0
        if a == "import":
            return import_gallery(g, Path(rest[0]), plain=args.plain), 0
        if a == "audit":
            return {"events": g.audit()}, 0
        if a == "reembed":
            return g.reembed(progress=Progress("Re-embedding")), 0
        idx = g.rebuild_index()
        return {"rebuilt": str(g.index_path), "vectors": len(idx), "kind": idx.kind}, 0


def protect(args) -> dict:
    """``gallery encrypt | rekey | decrypt``: every folder that holds faces, in place (:mod:`core.privacy`)."""
    from core.privacy import protect as protect_all

    return protect_all(args.action, settings_from(args), library=args.library, protection=args.protect,
                       yes=args.yes)


def register(sub) -> None:
    common = common_flags()
    p = sub.add_parser("enroll", parents=[common], help="add photos of a person to the gallery")
    gallery_flag(p)
    p.add_argument("--name", required=True)
    p.add_argument("paths", nargs="+", help="image files or folders (searched recursively)")
    p.set_defaults(func=cmd_enroll, role="enrol")

    p = sub.add_parser("identify", parents=[common], help="name the faces in photos")
    gallery_flag(p)
    p.add_argument("paths", nargs="+")
    p.set_defaults(func=cmd_identify)

    p = sub.add_parser("watch", parents=[common], help="recognise faces in a video, camera index or folder")
    gallery_flag(p)
    p.add_argument("source", help="video file, camera index (0, 1, ...) or folder of images")
    p.add_argument("--max-frames", type=int, default=None)
    p.add_argument("--every", type=int, default=1, help="process every n-th frame")
    p.add_argument("--log", help="also save who was seen, one line per track, to this .csv or .json (plain)")
    p.set_defaults(func=cmd_watch, role="live")

    p = sub.add_parser("gallery", parents=[common], help="|".join(ACTIONS))
    gallery_flag(p)
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
            ap.add_argument(name.rstrip("?"), nargs="?" if name.endswith("?") else None)
        if action == "export":
            ap.add_argument("--plain", action="store_true", help="an unencrypted archive (default: encrypted)")
        if action == "import":
            ap.add_argument("--plain", action="store_true",
                            help="accept an unencrypted archive (nothing in it can be checked: only your own)")
        if action in KEYS:
            ap.add_argument("--protect", default="auto", choices=("auto", "passphrase", "keyring", "keyfile"),
                            help="what guards the key: a passphrase, the system keyring, or a key file")
            ap.add_argument("--yes", action="store_true", help="decrypt: confirm")
        if action in (*KEYS, "forget", "audit"):
            ap.add_argument("--library", help="the photo library folder (default: the app's own)")
    p.set_defaults(func=cmd_gallery)
