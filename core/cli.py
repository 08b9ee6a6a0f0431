"""``facerec`` command line: a thin layer over the core facades.

With ``--json`` stdout holds exactly one JSON document (anything else the
libraries print is sent to stderr); progress always goes to stderr. Errors are
one sentence (a JSON error object with ``--json``). Exit codes: 0 ok, 2 usage,
3 bad input (no face, unreadable image), 4 model, 5 gallery, 6 dataset,
7 disk full, 130 cancelled.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
from pathlib import Path

from core.errors import FaceRecError, NoFaceFound, UsageError
from core.imageio import expand_image_paths


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit 2; we keep one sentence
        raise UsageError(f"{message.rstrip('.')}. Run `{self.prog} --help` for usage.")


class Progress:
    """Progress on stderr: a rewritten line on a terminal, a line every few seconds otherwise."""

    def __init__(self, label: str):
        self.label, self.tty, self.last = label, sys.stderr.isatty(), 0.0

    def __call__(self, done: int, total: int, item: str = "") -> None:
        now = time.monotonic()
        if not self.tty and done != total and now - self.last < 5:
            return
        self.last = now
        width = 30
        filled = int(width * done / max(1, total))
        line = f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        if self.tty:
            sys.stderr.write("\r" + line + ("\n" if done == total else ""))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def _note(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _analyzer(args):
    from core.analyzer import FaceAnalyzer
    from core.config import load_settings

    settings = load_settings(model=getattr(args, "model", None), detector=getattr(args, "detector", None),
                             threshold=getattr(args, "threshold", None))
    return FaceAnalyzer(settings, warmup=False)  # one-shot commands: no warm-up pass


# ---------------------------------------------------------------- commands

def cmd_models(args) -> tuple[dict, int]:
    from core import model_store
    from models.registry import list_models

    if args.action == "fetch":
        man = model_store.fetch_default_model(progress=_note, from_file=Path(args.from_file) if args.from_file else None)
        samples = model_store.sample_dataset_dir(progress=_note)
        return {"fetched": "facenet", "manifest": man, "samples": str(samples),
                "cache": str(model_store.models_dir())}, 0
    if args.action == "add":
        from models.exported import add_model

        if not args.name or not args.path:
            raise UsageError("Usage: facerec models add NAME PATH")
        return add_model(args.name, Path(args.path)), 0
    rows = []
    for spec in list_models():
        ready = model_store.facenet_ready() if spec.name == "facenet" else Path(spec.source).exists()
        rows.append({"name": spec.name, "family": spec.family, "input_size": spec.input_size,
                     "embedding_size": spec.embedding_size, "threshold": spec.threshold,
                     "source": spec.source, "ready": ready})
    return {"models": rows}, 0


def cmd_represent(args) -> tuple[dict, int]:
    paths = expand_image_paths(args.images)
    if not paths:
        raise UsageError("No images given (folders are searched recursively for image files).")
    an = _analyzer(args)
    results, failed = [], 0
    for res in an.analyze_paths(paths, progress=Progress("Embedding") if len(paths) > 1 else None):
        if res.error is None and not res.faces:
            res.error = NoFaceFound(f"{res.path}: no face found.")
        if res.error is not None:
            if len(paths) == 1:
                raise res.error
            failed += 1
            results.append({"path": res.path, "faces": [], "error": str(res.error)})
            continue
        results.append({"path": res.path, "faces": [f.to_json() for f in res.faces]})
    doc: dict = {"model": an.embedder.name, "dimension": an.embedder.dim, "results": results}
    if len(results) == 1:
        doc["faces"] = results[0]["faces"]
    return doc, (3 if failed else 0)


def cmd_verify(args) -> tuple[dict, int]:
    from core.verification import read_pairs_csv, verify_pairs, verify_two

    if args.pairs:
        if args.images:
            raise UsageError("Give either two images or --pairs FILE, not both.")
        pairs = read_pairs_csv(Path(args.pairs))
        an = _analyzer(args)
        doc = verify_pairs(an, pairs, base=Path(args.pairs).parent, progress=Progress("Verifying"))
        return doc, (3 if any(r.get("error") for r in doc["pairs"]) else 0)
    if len(args.images) != 2:
        raise UsageError("verify needs exactly two images (or --pairs FILE).")
    return verify_two(_analyzer(args), args.images[0], args.images[1]), 0


def cmd_calibrate(args) -> tuple[dict, int]:
    from core.calibration import calibrate

    return calibrate(_analyzer(args), Path(args.folder), progress=Progress("Calibrating")), 0


def cmd_bench(args) -> tuple[dict, int]:
    from core import bench

    if args.what == "embed":
        return bench.bench_embed(model=args.model or "facenet", seconds=args.seconds), 0
    if args.what == "detect":
        return bench.bench_detect(detector=args.detector or "mtcnn", frames=args.frames), 0
    if args.what == "gallery":
        from core.gallery.bench import bench_gallery

        return bench_gallery(n=args.n, dim=args.dim, queries=args.queries, large=args.index, progress=_note), 0
    if args.what == "train":
        from core.training.bench import bench_train

        return bench_train(backbone=args.backbone, batch_size=args.batch_size, mixed_precision=args.mixed_precision,
                           steps=args.steps), 0
    raise UsageError(f"Unknown benchmark '{args.what}'.")


def cmd_info(args) -> tuple[dict, int]:
    from core import config, model_store
    from core.bench import machine
    from core.detection import available_detectors

    return {"machine": machine(), "detectors": available_detectors(), "cache_dir": str(config.cache_dir()),
            "data_dir": str(config.data_dir()), "config_file": str(config.config_dir() / "config.toml"),
            "default_gallery": str(config.default_gallery_dir()), "facenet_ready": model_store.facenet_ready()}, 0


# ---------------------------------------------------------------- parser

def _common(json_only: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--json", action="store_true", help="print exactly one JSON document on stdout")
    if not json_only:
        p.add_argument("--model", help="embedding model (see `facerec models list`)")
        p.add_argument("--detector", help="face detector: mtcnn (default) or mtcnn-fast")
        p.add_argument("--threshold", type=float, help="cosine similarity needed for 'same person'")
    return p


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="facerec", description="Face recognition on your own machine.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    common, jonly = _common(), _common(json_only=True)

    p = sub.add_parser("models", parents=[jonly], help="list, fetch or add embedding models")
    p.add_argument("action", choices=["list", "fetch", "add"])
    p.add_argument("name", nargs="?")
    p.add_argument("path", nargs="?")
    p.add_argument("--from", dest="from_file", help="use this downloaded sdist or .h5 instead of the network")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("represent", parents=[common], help="detect faces and print their embeddings")
    p.add_argument("images", nargs="+")
    p.set_defaults(func=cmd_represent)

    p = sub.add_parser("verify", parents=[common], help="same person or not, for two images or a CSV of pairs")
    p.add_argument("images", nargs="*")
    p.add_argument("--pairs", help="CSV with rows a,b[,label]")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("calibrate", parents=[common], help="choose a threshold from folders of known people")
    p.add_argument("folder")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("bench", parents=[common], help="benchmarks: embed, detect, gallery, train")
    p.add_argument("what", choices=["embed", "detect", "gallery", "train"])
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--frames", type=int, default=50)
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--index", default="binary", choices=["binary", "hnsw"], help="large-gallery index for `bench gallery`")
    p.add_argument("--backbone", default="r50")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--mixed-precision", action="store_true")
    p.set_defaults(func=cmd_bench)

    p = sub.add_parser("info", parents=[jonly], help="device, paths and model status")
    p.set_defaults(func=cmd_info)

    for register in _EXTRA_COMMANDS:
        register(sub, common, jonly)
    return parser


_EXTRA_COMMANDS: list = []


def _register_optional() -> None:
    """Commands of later rooms (gallery, training) register themselves if present."""
    for mod in ("core.gallery.cli", "core.training.cli"):
        try:
            m = __import__(mod, fromlist=["register"])
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(mod.rsplit(".", 1)[0]):
                continue
            raise
        if m.register not in _EXTRA_COMMANDS:
            _EXTRA_COMMANDS.append(m.register)


def command_names() -> set[str]:
    """Names of all subcommands (used by main.py to tell CLI from GUI arguments)."""
    _register_optional()
    return set(build_parser()._subparsers._group_actions[0].choices)  # noqa: SLF001


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in argv
    real_stdout = sys.stdout
    code = 0
    doc: dict | None = None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            _register_optional()
            parser = build_parser()
            if not argv or argv[0] in ("-h", "--help"):
                parser.print_help(real_stdout)
                return 0
            try:
                args = parser.parse_args(argv)
            except SystemExit as exc:  # --help of a subcommand
                return int(exc.code or 0)
            if not getattr(args, "func", None):
                raise UsageError("Give a command; run `facerec --help` for the list.")
            doc, code = args.func(args)
    except FaceRecError as exc:
        doc, code = exc.to_json(), exc.exit_code
        if not as_json:
            print(f"error: {exc}", file=sys.stderr)
            return code
    except KeyboardInterrupt:
        doc, code = {"error": {"kind": "cancelled", "message": "Interrupted."}}, 130
        if not as_json:
            print("Interrupted.", file=sys.stderr)
            return code
    except MemoryError:
        doc, code = {"error": {"kind": "memory", "message": "Out of memory; try fewer or smaller images."}}, 1
        if not as_json:
            print("error: out of memory; try fewer or smaller images.", file=sys.stderr)
            return code
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence, not a traceback
        if os.environ.get("FACEREC_DEBUG"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        msg = (f"Unexpected internal error ({type(exc).__name__}: {first[:300]}). "
               "Run again with FACEREC_DEBUG=1 for the details, and please report it.")
        doc, code = {"error": {"kind": "internal", "message": msg}}, 1
        if not as_json:
            print(f"error: {msg}", file=sys.stderr)
            return code
    if as_json:
        real_stdout.write(json.dumps(doc) + "\n")
    else:
        _print_human(doc, real_stdout)
    real_stdout.flush()
    return code


def _print_human(doc: dict | None, out) -> None:
    if doc is None:
        return
    if "same" in doc and "score" in doc:
        verdict = "SAME person" if doc["same"] else "DIFFERENT people"
        out.write(f"{verdict}: similarity {doc['score']:.3f} (threshold {doc['threshold']:.3f}, model {doc['model']})\n")
        return
    out.write(json.dumps(doc, indent=2) + "\n")


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
