"""Scanning folders of photos into the library: only new or changed files are analysed.

``plan`` compares the files under the folders with the library: a file is new when its path is unknown,
unchanged when size and mtime match, and otherwise hashed: the same content is only touched (its faces and
decisions stay), other content is analysed again. Known photos under the scanned folders whose files are gone
are removed with their faces. ``scan`` analyses the files to do (decoded at the size needed, detected, aligned,
quality-checked and embedded in batches across photos) and commits each photo with its faces at once, so a
cancelled or killed scan keeps every photo it reported and the next scan resumes after it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import Cancelled, UsageError
from core.faces import is_image_path
from core.fileutil import sha256_file
from core.library.store import LibraryStore

ProgressFn = Callable[[int, int, str], None]
CancelFn = Callable[[], bool]


@dataclass
class Plan:
    todo: list[tuple[str, int, int, str]] = field(default_factory=list)   # (path, size, mtime_ns, sha256 or "")
    touched: int = 0
    unchanged: int = 0
    removed: list[int] = field(default_factory=list)                      # photo ids whose files are gone


def walk(folders: list[str | Path]) -> dict[str, tuple[int, int]]:
    """{absolute path: (size, mtime_ns)} of every image file under ``folders`` (recursively; hidden folders and
    files are skipped, symbolic links to folders are not followed)."""
    out: dict[str, tuple[int, int]] = {}
    stack = []
    for f in folders:
        p = Path(f).expanduser()
        if not p.exists():
            raise UsageError(f"{f}: no such folder.")
        if p.is_file():
            st = p.stat()
            out[str(p.resolve())] = (st.st_size, st.st_mtime_ns)
        else:
            stack.append(p.resolve())
    while stack:
        d = stack.pop()
        try:
            entries = list(os.scandir(d))
        except OSError:
            continue  # an unreadable folder is skipped, not fatal
        for e in entries:
            if e.name.startswith("."):
                continue
            try:
                if e.is_dir(follow_symlinks=False):
                    stack.append(Path(e.path))
                elif e.is_file() and is_image_path(Path(e.name)):
                    st = e.stat()
                    out[e.path] = (st.st_size, st.st_mtime_ns)
            except OSError:
                continue
    return out


def plan(store: LibraryStore, folders: list[str | Path]) -> Plan:
    files = walk(folders)
    known = store.photo_index()
    roots = [str(Path(f).expanduser().resolve()) for f in folders]
    out = Plan()
    for path in sorted(files):
        size, mtime = files[path]
        old = known.get(path)
        if old is None:
            out.todo.append((path, size, mtime, ""))
            continue
        pid, osize, omtime, osha = old
        if (size, mtime) == (osize, omtime):
            out.unchanged += 1
            continue
        try:
            sha = sha256_file(Path(path))
        except OSError:
            continue
        if sha == osha:
            store.touch_photo(pid, size, mtime)
            out.touched += 1
        else:
            out.todo.append((path, size, mtime, sha))
    for path, (pid, *_rest) in known.items():
        under = any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
        if under and path not in files:
            out.removed.append(pid)
    return out


def face_record(face) -> dict:
    """What the library stores of an analysed face (core.faces.Face)."""
    from core.gallery.enroller import encode_crop

    return {"box": face.detection.xywh, "landmarks": [[round(float(x), 1), round(float(y), 1)]
                                                      for x, y in face.detection.landmarks],
            "det_score": round(float(face.score), 4), "quality": round(float(face.quality.score), 4),
            "embedding": face.embedding, "crop": encode_crop(face.crop)}


def scan(store: LibraryStore, analyzer, folders: list[str | Path], progress: ProgressFn | None = None,
         cancel: CancelFn | None = None, checkpoint: Callable[[], None] | None = None, every: int = 500) -> dict:
    """Bring the library up to date with ``folders``; returns what changed. ``checkpoint`` is called after every
    ``every`` photos (the caller groups what is there so far); grouping at the end is the caller's step."""
    t0 = time.perf_counter()
    work = plan(store, folders)
    store.add_folders([str(Path(f).expanduser().resolve()) for f in folders])
    removed_faces = store.remove_photos(work.removed)
    paths = [p for p, *_ in work.todo]
    meta = {p: (size, mtime, sha) for p, size, mtime, sha in work.todo}
    done = faces = errors = 0
    key = analyzer.embedder.model_key
    try:
        for res in analyzer.analyze_paths(paths, cancel=cancel):
            size, mtime, sha = meta[res.path]
            try:
                sha = sha or sha256_file(Path(res.path))
            except OSError as exc:
                res.error = res.error or exc
            error = None if res.error is None else str(res.error)
            errors += error is not None
            store.put_photo(res.path, size, mtime, sha, res.image_shape, res.taken, error,
                            [face_record(f) for f in res.faces] if error is None else [], key)
            faces += len(res.faces)
            done += 1
            if progress is not None:
                progress(done, len(paths), res.path)
            if checkpoint is not None and done % every == 0 and done < len(paths):
                checkpoint()
    except Cancelled as exc:
        raise Cancelled(f"Scan cancelled after {done} of {len(paths)} new or changed photos; they are kept, and "
                        "the next scan continues with the rest.") from exc
    return {"folders": [str(f) for f in folders], "new_or_changed": len(paths), "analysed": done,
            "unchanged": work.unchanged + work.touched, "removed_photos": len(work.removed),
            "removed_faces": removed_faces, "faces_found": faces, "unreadable": errors,
            "seconds": round(time.perf_counter() - t0, 2)}
