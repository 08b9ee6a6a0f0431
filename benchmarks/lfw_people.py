"""People in a photo library, measured as the issue checks it: `facerec scan` a tree of photos of known people,
then `facerec people list --json`, scored by BCubed against the folder names.

    python benchmarks/lfw_people.py LFW_DIR [--set all|library] [--chunks K] [--seed S] [--json]

``LFW_DIR/images_deepfunneled`` (or any folder-per-person tree). ``--set library``: the people with at least 10
photos and 4,000 one-photo people (seed 0), a library-like set. ``--chunks K``: the photos are scanned in K
random chunks one after another (another order, incremental scans). The face scored in each photo is the one
nearest its centre (the person the file is named for); other faces are grouped too but not scored; an unsorted
face is a group of its own. Photos are hard-linked (copied across file systems) into a temporary tree; nothing is
written elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def choose(images: Path, which: str, seed: int = 0) -> list[Path]:
    people = {d.name: sorted(d.glob("*.jpg")) for d in sorted(images.iterdir()) if d.is_dir()}
    if which == "all":
        return [p for ps in people.values() for p in ps]
    big = [p for ps in people.values() if len(ps) >= 10 for p in ps]
    singles = [ps[0] for ps in people.values() if len(ps) == 1]
    pick = np.random.default_rng(seed).choice(len(singles), min(4000, len(singles)), replace=False)
    return big + [singles[i] for i in sorted(pick)]


def facerec(*args, env=None) -> dict:
    out = subprocess.run([sys.executable, str(ROOT / "main.py"), *args, "--json"], capture_output=True, text=True,
                         env=env, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"facerec {' '.join(args)} failed: {out.stderr[-2000:]}")
    return json.loads(out.stdout)


def score(listing: dict) -> dict:
    from core.decide.metrics import bcubed

    faces = [(g["id"], f) for g in listing["groups"] for f in g["faces"]] + [(-1, f) for f in listing["unsorted"]]
    by_photo: dict[str, list] = {}
    for gid, f in faces:
        by_photo.setdefault(f["photo"], []).append((gid, f["box"]))
    labels, truth = [], []
    for photo, items in by_photo.items():
        w, h = Image.open(photo).size
        gid, _ = min(items, key=lambda it: (it[1][0] + it[1][2] / 2 - w / 2) ** 2 + (it[1][1] + it[1][3] / 2 - h / 2) ** 2)
        labels.append(gid)
        truth.append(Path(photo).parent.name)
    p, r, f = bcubed(np.asarray(labels), np.asarray(truth))
    return {"photos_scored": len(labels), "precision": round(p, 4), "recall": round(r, 4), "f": round(f, 4),
            "groups": len(listing["groups"]), "unsorted_faces": len(listing["unsorted"]),
            "scored_unsorted": int(sum(1 for x in labels if x < 0))}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lfw")
    ap.add_argument("--set", choices=("all", "library"), default="all")
    ap.add_argument("--chunks", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--keep", help="keep the library and its tree of photo links in this folder (default: a "
                                   "temporary one)")
    ap.add_argument("--regroup", action="store_true", help="with --keep: no scan, group the kept library again "
                                                           "from scratch (`people regroup`) and score it")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    images = Path(args.lfw) / "images_deepfunneled"
    images = images if images.is_dir() else Path(args.lfw)
    photos = choose(images, args.set)
    if args.regroup:
        if not args.keep:
            raise SystemExit("--regroup needs --keep DIR (a library kept by an earlier run)")
        lib = Path(args.keep) / "library"
        t0 = time.perf_counter()
        rep = facerec("people", "regroup", "--library", str(lib))
        listing = facerec("people", "list", "--library", str(lib))
        doc = {"set": args.set, "regrouped": True, **score(listing),
               "seconds": round(time.perf_counter() - t0, 1), "grouping": rep}
        print(json.dumps(doc, indent=None if args.json else 2))
        return 0
    with tempfile.TemporaryDirectory(prefix="lfw-people-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        tree, lib = base / "photos", base / "library"
        order = np.random.default_rng(args.seed).permutation(len(photos)) if args.chunks > 1 else np.arange(len(photos))
        chunks = np.array_split(order, args.chunks)
        timings = []
        for i, chunk in enumerate(chunks):
            part = tree / f"part{i}"
            for j in chunk:
                dest = part / photos[j].parent.name / photos[j].name
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:  # a hard link: the scan does not follow a symbolic link out of its folders
                    os.link(photos[j].resolve(), dest)
                except OSError:
                    shutil.copyfile(photos[j], dest)
            t0 = time.perf_counter()
            rep = facerec("scan", str(part), "--library", str(lib))
            timings.append({"photos": len(chunk), "seconds": round(time.perf_counter() - t0, 1),
                            "grouping": rep["grouping"]})
        listing = facerec("people", "list", "--library", str(lib))
        doc = {"set": args.set, "photos": len(photos), "chunks": args.chunks, **score(listing), "scans": timings}
    print(json.dumps(doc, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
