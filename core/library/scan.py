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
from core.faces.imageio import MAX_FILE_BYTES
from core.fileutil import sha256_file, shown
from core.library.store import LibraryStore
from core.progress import CancelFn, ProgressFn


@dataclass
class Plan:
    todo: list[tuple[str, int, int, str]] = field(default_factory=list)   # (path, size, mtime_ns, sha256 or "")
    touched: int = 0
    unchanged: int = 0
    removed: list[int] = field(default_factory=list)                      # photo ids whose files are gone
    found: Found | None = None


@dataclass
class Found:
    """What :func:`walk` found: {absolute path: (size, mtime_ns)} of the image files, the folders given that
    are not there (an unplugged drive), those with no photo, and files left out with the reason."""

    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)


def under(path: str, roots: list[str]) -> bool:
    """Whether ``path`` is one of ``roots`` or lies inside one."""
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def walk(folders: list[str | Path]) -> Found:
    """Every image file under ``folders`` (recursively; hidden folders and files are skipped, symbolic links to
    folders are not followed, and a link to a file outside the folders is left out). A folder that is not there
    is reported and skipped; when none of them is there, :class:`UsageError`."""
    out = Found()
    roots: list[str] = []
    for f in folders:
        p = Path(f).expanduser()
        if not p.exists():
            out.missing.append(str(f))
            continue
        roots.append(str(p.resolve()))
    if folders and not roots:
        raise UsageError(f"{shown(folders[0])}: no such folder." if len(folders) == 1 else
                         f"None of the {len(folders)} folders is there: {', '.join(shown(f) for f in folders)}.")
    for root in roots:
        before = len(out.files)
        if Path(root).is_file():
            st = Path(root).stat()
            out.files[root] = (st.st_size, st.st_mtime_ns)
            continue
        stack = [root]
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
                        stack.append(e.path)
                    elif e.is_file() and is_image_path(Path(e.name)):
                        if e.is_symlink() and not under(os.path.realpath(e.path), roots):
                            out.skipped.append({"path": e.path, "reason": "a link to a file outside the scanned "
                                                                          "folders"})
                            continue
                        st = e.stat()
                        out.files[e.path] = (st.st_size, st.st_mtime_ns)
                except OSError:
                    continue
        if len(out.files) == before:
            out.empty.append(root)
    return out


def plan(store: LibraryStore, folders: list[str | Path]) -> Plan:
    found = walk(folders)
    files = found.files
    known = store.photo_index()
    roots = [str(Path(f).expanduser().resolve()) for f in folders if str(f) not in found.missing]
    out = Plan(found=found)
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
        if under(path, roots) and path not in files:
            out.removed.append(pid)
    return out


def face_record(face) -> dict:
    """What the library stores of an analysed face (core.faces.Face)."""
    from core.gallery.enroller import encode_crop

    return {"box": face.detection.xywh, "landmarks": [[round(float(x), 1), round(float(y), 1)]
                                                      for x, y in face.detection.landmarks],
            "det_score": round(float(face.score), 4), "quality": round(float(face.quality.score), 4),
            "embedding": face.embedding, "crop": encode_crop(face.crop)}


def _overlap(a, b) -> float:
    """IoU of two [x, y, w, h] boxes."""
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union > 0 else 0.0


MATCH_IOU = 0.25   # another tool's face box and ours (theirs are often looser): at least this overlap ...


def match_tags(records: list[dict], regions) -> int:
    """Give each face record the name of the region it matches (``record["tag"] = (name, kind)``): greedy by
    overlap, one region per face; a region also matches when our face's centre lies inside it and it is at most
    four times our face's area (a loose box drawn around a head). Returns how many faces were named."""
    pairs = []
    for i, r in enumerate(records):
        bx, by, bw, bh = r["box"]
        cx, cy = bx + bw / 2, by + bh / 2
        for j, reg in enumerate(regions):
            x, y, w, h = reg.box
            iou = _overlap(r["box"], reg.box)
            inside = x <= cx <= x + w and y <= cy <= y + h and w * h <= 4 * bw * bh
            if iou >= MATCH_IOU or inside:
                pairs.append((iou, i, j))
    used_r, used_g = set(), set()
    for _iou, i, j in sorted(pairs, reverse=True):
        if i not in used_r and j not in used_g:
            records[i]["tag"] = (regions[j].name, regions[j].kind)
            used_r.add(i)
            used_g.add(j)
    return len(used_r)


def tagged_records(res) -> tuple[list[dict], list[str]]:
    """The face records of an analysed photo (:class:`core.faces.analyzer.ImageResult`), named where another
    tool's XMP face regions say who they are; and the warnings reading those regions gave (malformed XMP,
    regions outside the image: never fatal). The regions come from what the decoder read (no second opening)."""
    from core.library.xmp import read_regions

    records = [face_record(f) for f in res.faces]
    shape = res.image_shape
    regions, warnings = read_regions(res.path, None if shape is None else ((shape[1], shape[0]), res.orientation,
                                                                           res.xmp))
    if regions and records:
        match_tags(records, regions)
    return records, warnings


def scan(store: LibraryStore, analyzer, folders: list[str | Path], progress: ProgressFn | None = None,
         cancel: CancelFn | None = None, checkpoint: Callable[[], None] | None = None, every: int = 500) -> dict:
    """Bring the library up to date with ``folders``; returns what changed. ``checkpoint`` is called after every
    ``every`` photos (the caller groups what is there so far); grouping at the end is the caller's step."""
    t0 = time.perf_counter()
    work = plan(store, folders)
    found = work.found
    # a folder that is not there, or holds no photo, is not added (a scan of the wrong folder leaves no trace)
    store.add_folders([r for f in folders if str(f) not in found.missing
                       and (r := str(Path(f).expanduser().resolve())) not in found.empty])
    removed_faces = store.remove_photos(work.removed)
    too_big = [(p, size, mtime) for p, size, mtime, _sha in work.todo if size > MAX_FILE_BYTES]
    for p, size, mtime in too_big:  # refused unread (and not hashed): a 1.5 GB file named .jpg is not a photo
        store.put_photo(p, size, mtime, "", None, None, f"the file is {size >> 20} MB, over the "
                        f"{MAX_FILE_BYTES >> 20} MB a photo may be", [], analyzer.embedder.model_key)
    unreadable = [{"path": shown(p), "reason": "too large"} for p, *_ in too_big]
    unreadable += [{"path": shown(s_["path"]), "reason": s_["reason"]} for s_ in found.skipped]
    paths = [p for p, size, *_ in work.todo if size <= MAX_FILE_BYTES]
    meta = {p: (size, mtime, sha) for p, size, mtime, sha in work.todo}
    done = faces = errors = tagged = 0
    warnings: list[str] = []
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
            if error is not None:
                unreadable.append({"path": shown(res.path), "reason": error})
            records, xmp_warnings = tagged_records(res) if error is None else ([], [])
            warnings += xmp_warnings
            tagged += sum(1 for r in records if r.get("tag"))
            store.put_photo(res.path, size, mtime, sha, res.image_shape, res.taken, error, records, key)
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
            "removed_faces": removed_faces, "faces_found": faces, "unreadable": errors + len(too_big),
            "unreadable_photos": unreadable, "missing_folders": [shown(f) for f in found.missing],
            "empty_folders": [shown(f) for f in found.empty], "named_by_other_tools": tagged,
            "xmp_warnings": warnings, "seconds": round(time.perf_counter() - t0, 2)}
