"""``python -m core.training --data ... --out ...``: a training job in its own process (the GUI starts this)."""

from __future__ import annotations

import sys

from core.cli import main

if __name__ == "__main__":
    sys.exit(main(["train", *sys.argv[1:]]))
