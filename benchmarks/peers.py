"""Our pipeline side by side with the dlib-based ``face_recognition`` package, on the same photos, in one run.

    python benchmarks/peer_face_recognition.py PHOTOS_DIR --peer-python PEER_VENV/bin/python [--model M] [--detector D]

This script installs nothing. Get the peer into a separate virtual environment:

    python3 -m venv peer && peer/bin/pip install dlib-bin face_recognition_models face_recognition --no-deps
    peer/bin/pip install numpy pillow click

Both run as cold processes (``facerec represent`` and a face_recognition loop): once over every photo and once
over one photo; the difference divided by the other photos is the per-photo cost beyond start-up. Verification
accuracy is measured on the same pairs for both: every same-person pair of the photos' folders and as many
different-person pairs (seeded), ours at the model's 1:1 operating point, theirs at their documented 0.6 distance.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

PEER = r"""
import json, sys, time
import face_recognition as fr
out = {}
for p in sys.argv[1:]:
    img = fr.load_image_file(p)
    locs = fr.face_locations(img)
    encs = fr.face_encodings(img, locs)
    if encs:
        i = max(range(len(locs)), key=lambda k: (locs[k][2] - locs[k][0]) * (locs[k][1] - locs[k][3]))
        out[p] = [float(v) for v in encs[i]]
print(json.dumps(out))
"""


def timed(cmd: list[str]) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=7200)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd[:3])} failed: {proc.stderr[-800:]}")
    return time.perf_counter() - t, proc.stdout


def pairs_of(photos: list[Path], seed: int = 7) -> list[tuple[str, str, bool]]:
    by = {}
    for p in photos:
        by.setdefault(p.parent.name, []).append(str(p))
    same = [(a, b, True) for ps in by.values() for a, b in itertools.combinations(ps, 2)]
    diff = [(a, b, False) for (_, x), (_, y) in itertools.combinations(by.items(), 2) for a in x for b in y]
    return same + random.Random(seed).sample(diff, min(len(diff), len(same)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photos", type=Path)
    ap.add_argument("--peer-python", required=True)
    ap.add_argument("--model", default=None)
    ap.add_argument("--detector", default=None)
    a = ap.parse_args()
    photos = sorted(p for p in a.photos.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    ours = [sys.executable, "main.py", "represent", "--json", *(["--model", a.model] if a.model else []),
            *(["--detector", a.detector] if a.detector else [])]
    peer = [a.peer_python, "-c", PEER]
    rows = {}
    for name, cmd in (("facerec", ours), ("face_recognition", peer)):
        t_one, _ = timed(cmd + [str(photos[0])])
        t_all, out = timed(cmd + [str(p) for p in photos])
        rows[name] = {"cold_one_s": round(t_one, 2), "cold_all_s": round(t_all, 2),
                      "ms_per_photo": round((t_all - t_one) / (len(photos) - 1) * 1000, 1), "out": out}
    doc = json.loads(rows["facerec"]["out"])
    ours_emb = {r["path"]: np.array(max(r["faces"], key=lambda f: f["box"][2] * f["box"][3])["embedding"])
                for r in doc["results"] if r["faces"]}
    theirs = {k: np.array(v) for k, v in json.loads(rows["face_recognition"]["out"]).items()}
    from core.config import load_settings
    from core.decide import verify_point
    from core.zoo import fingerprint, get_spec

    settings = load_settings(model=a.model, detector=a.detector)
    spec = get_spec(settings.model)
    thr = verify_point(spec, settings, fingerprint=fingerprint(spec)).threshold
    pairs = pairs_of(photos)
    acc = {}
    for name, emb, same in (("facerec", ours_emb, lambda x, y: float(x @ y) >= thr),
                            ("face_recognition", theirs, lambda x, y: float(np.linalg.norm(x - y)) <= 0.6)):
        right = sum((a in emb and b in emb and same(emb[a], emb[b])) == lab for a, b, lab in pairs)
        acc[name] = {"accuracy": round(right / len(pairs), 4), "photos_without_face": len(photos) - len(emb)}
    sizes = [image_size(p) for p in photos]
    result = {"photos": len(photos), "median_size": [int(np.median([s[0] for s in sizes])),
                                                     int(np.median([s[1] for s in sizes]))],
              "pairs": len(pairs), "model": spec.name, "detector": settings.detector,
              **{n: {k: v for k, v in r.items() if k != "out"} | acc[n] for n, r in rows.items()}}
    result["speedup"] = round(rows["face_recognition"]["ms_per_photo"] / rows["facerec"]["ms_per_photo"], 2)
    from core.tf_runtime import machine

    result["machine"] = machine()
    print(json.dumps(result, indent=1))


def image_size(p: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(p) as im:
        return im.size


if __name__ == "__main__":
    main()
