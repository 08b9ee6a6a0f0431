"""``python main.py`` opens the GUI; ``python main.py <command> ...`` runs the ``facerec`` CLI."""

from __future__ import annotations

import sys

from core.cli import command_names
from core.cli import main as cli_main


def _is_cli(argv: list[str]) -> bool:
    if not argv:
        return False
    if argv[0] in ("-h", "--help", "--version"):
        return True
    return argv[0] in command_names()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _is_cli(argv):
        return cli_main(argv)
    from app.main import run_gui

    return run_gui(argv)


if __name__ == "__main__":
    sys.exit(main())
