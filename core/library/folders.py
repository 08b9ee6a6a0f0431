"""Deleting a whole library folder: its database, the grouping state and its key; never the photos."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.errors import StoreMissing
from core.library.store import LAYOUT


def remove_library(root: Path) -> dict:
    """Delete a library folder: its database (and WAL), the grouping state, its key; never the photos."""
    from core.storage import LOCKS
    from core.storage.keys import forget_wrapping_key, read_vault

    root = Path(root)
    if not LAYOUT.exists(root):
        raise StoreMissing(f"No photo library at {root}.")
    from core.storage import folder_lock

    with folder_lock(root, exclusive=True, what="photo library"):
        doc = read_vault(root)
        files = LAYOUT.files(root)
        for p in files:
            p.unlink()
        if doc is not None:
            forget_wrapping_key(doc)
    for name in LOCKS:
        (root / name).unlink(missing_ok=True)
    if not any(root.iterdir()):
        shutil.rmtree(root)
    return {"removed_library": str(root), "files": len(files)}
