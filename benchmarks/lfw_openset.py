"""Build the LFW open-set protocol as three folder trees of symlinks (nothing is copied).

    python benchmarks/lfw_openset.py LFW_DIR OUT_DIR [--enrol 5] [--min-photos 10]

- OUT_DIR/enroll/<person>/: the first ``--enrol`` photos of every person with at least
  ``--min-photos`` photos (158 people in LFW);
- OUT_DIR/probes/<person>/: the rest of those people's photos;
- OUT_DIR/strangers/<person>/: every person with exactly one photo (4,069 people).

Then: ``facerec eval --enroll OUT_DIR/enroll --probes OUT_DIR/probes --strangers OUT_DIR/strangers --json``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def build(lfw: Path, out: Path, enrol: int = 5, min_photos: int = 10) -> dict:
    images = Path(lfw) / "images_deepfunneled"
    if not images.is_dir():
        raise SystemExit(f"{lfw} has no images_deepfunneled/ folder")
    counts = {"enrolled_people": 0, "enrolled_photos": 0, "probes": 0, "strangers": 0}
    for person in sorted(p for p in images.iterdir() if p.is_dir()):
        photos = sorted(person.glob("*.jpg"))
        if len(photos) >= min_photos:
            groups = (("enroll", photos[:enrol]), ("probes", photos[enrol:]))
            counts["enrolled_people"] += 1
            counts["enrolled_photos"] += enrol
            counts["probes"] += len(photos) - enrol
        elif len(photos) == 1:
            groups = (("strangers", photos),)
            counts["strangers"] += 1
        else:
            continue
        for tree, files in groups:
            d = out / tree / person.name
            d.mkdir(parents=True, exist_ok=True)
            for f in files:
                link = d / f.name
                if not link.exists():
                    os.symlink(f.resolve(), link)
    return counts


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lfw", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--enrol", type=int, default=5)
    ap.add_argument("--min-photos", type=int, default=10)
    a = ap.parse_args()
    print(build(a.lfw, a.out, a.enrol, a.min_photos))
