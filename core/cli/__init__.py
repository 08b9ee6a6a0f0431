"""``facerec`` command line: thin commands over the core facades, one module per room.

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

from core.cli import bench, desktop, engine, evaluate, gallery, people, training
from core.errors import FaceRecError, UsageError, describe

ROOMS = (engine, gallery, people, training, evaluate, bench, desktop)


def version() -> str:
    """The installed package's version (``facerec --version``; the editable install's in a clone)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("facerec")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse would print usage and exit 2; we keep one sentence
        raise UsageError(f"{message.rstrip('.')}. Run `{self.prog} --help` for usage.")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="facerec", description="Face recognition on your own machine.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    for room in ROOMS:
        room.register(sub)
    return parser


def command_names() -> set[str]:
    """Names of all subcommands (main.py uses them to tell CLI from GUI arguments)."""
    parser = build_parser()
    return {name for action in parser._actions if isinstance(action, argparse._SubParsersAction)  # noqa: SLF001
            for name in action.choices}


def _error_doc(kind: str, message: str) -> dict:
    return {"error": {"kind": kind, "message": message}}


def run(argv: list[str]) -> tuple[dict | None, int]:
    """Parse and run one command; returns (JSON document, exit code). Raises the domain errors."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help of a subcommand
        return None, int(exc.code or 0)
    if not getattr(args, "func", None):
        raise UsageError("Give a command; run `facerec --help` for the list.")
    return args.func(args)


def _prompt(folder, what: str) -> str | None:
    """Ask for a passphrase at the terminal (twice for a new one); None when there is no terminal."""
    import getpass

    if not sys.stdin.isatty():
        return None
    where = f" of the {what} at {folder}" if folder is not None else f" for the {what}"
    pw = getpass.getpass(f"Passphrase{where}: ")
    if what.startswith("new") or "new passphrase" in what:
        if getpass.getpass("The same again: ") != pw:
            raise UsageError("The two passphrases differ; nothing was changed.")
    return pw or None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from core.storage.keys import set_prompt

    set_prompt(_prompt)
    as_json = "--json" in argv
    real_stdout = sys.stdout
    if not argv or argv[0] in ("-h", "--help"):
        build_parser().print_help(real_stdout)
        return 0
    if "--version" in argv and set(argv) <= {"--version", "--json"}:
        print(json.dumps({"version": version()}) if as_json else f"facerec {version()}", file=real_stdout)
        return 0
    try:
        with contextlib.redirect_stdout(sys.stderr):
            doc, code = run(argv)
    except FaceRecError as exc:
        doc, code = exc.to_json(), exc.exit_code
    except KeyboardInterrupt:
        doc, code = _error_doc("cancelled", "Interrupted."), 130
    except MemoryError as exc:
        doc, code = _error_doc("memory", describe(exc)), 1
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence, not a traceback
        if os.environ.get("FACEREC_DEBUG"):
            raise
        doc, code = _error_doc("internal", describe(exc)), 1
    if doc is None:
        return code
    if as_json:
        real_stdout.write(json.dumps(doc) + "\n")
    elif "error" in doc and len(doc) == 1:
        print(f"error: {doc['error']['message']}", file=sys.stderr)
    else:
        _print_human(doc, real_stdout)
    real_stdout.flush()
    return code


def _print_human(doc: dict, out) -> None:
    if "same" in doc and "score" in doc:
        verdict = "SAME person" if doc["same"] else "DIFFERENT people"
        out.write(f"{verdict}: similarity {doc['score']:.3f} (threshold {doc['threshold']:.3f}, "
                  f"{doc.get('operating_point', {}).get('source', '')}, model {doc['model']})\n")
        if doc.get("operating_point", {}).get("note"):
            out.write(f"note: {doc['operating_point']['note']}\n")
        return
    out.write(json.dumps(doc, indent=2) + "\n")


def entry() -> None:
    sys.exit(main())
