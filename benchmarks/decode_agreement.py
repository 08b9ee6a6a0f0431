"""Does decoding at the size needed change what the pipeline finds? Full decoding against the default
(``decode_size``: JPEGs decoded at 1/2-1/8 in the DCT domain, faces too small for that decoded again larger).

    python benchmarks/decode_agreement.py PHOTOS... [--json]

Per photo: the faces both find (box IoU >= 0.5), box IoU, landmark error as a share of the box width, the
cosine between the two embeddings of a face, and the wall time of each (decode + detect + align + embed).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv=None) -> int:
    from core.config import load_settings
    from core.faces import FaceAnalyzer, expand_image_paths
    from core.live import iou

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("photos", nargs="+")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    paths = expand_image_paths(args.photos, keep_missing=False)
    settings = load_settings()
    runs = {}
    for label, size in (("full", 0), ("reduced", settings.decode_size)):
        an = FaceAnalyzer(settings.replace(decode_size=size) if size else settings.replace(decode_size=0))
        list(an.analyze_paths(paths[:2]))  # warm
        t0 = time.perf_counter()
        stamps, results = [], []
        for r in an.analyze_paths(paths):
            results.append(r)
            stamps.append(time.perf_counter() - t0)
        runs[label] = (results, float(np.mean(np.diff([0.0, *stamps]))) * 1000)
    rows, ious, lm_err, cos = [], [], [], []
    for full, red in zip(runs["full"][0], runs["reduced"][0]):
        matched = 0
        for f in full.faces:
            best = max(red.faces, key=lambda g: iou(f.box, g.box), default=None)
            if best is None or iou(f.box, best.box) < 0.5:
                continue
            matched += 1
            w = float(f.box[2] - f.box[0])
            ious.append(iou(f.box, best.box))
            lm_err.append(float(np.linalg.norm(f.detection.landmarks - best.detection.landmarks, axis=1).mean()) / w)
            cos.append(float(f.embedding @ best.embedding))
        rows.append({"photo": Path(full.path).name, "size": full.image_shape, "faces_full": len(full.faces),
                     "faces_reduced": len(red.faces), "matched": matched})
    doc = {"photos": len(paths), "faces_full": sum(r["faces_full"] for r in rows),
           "faces_reduced": sum(r["faces_reduced"] for r in rows), "matched": sum(r["matched"] for r in rows),
           "box_iou_mean": round(float(np.mean(ious)), 4), "landmark_error_mean": round(float(np.mean(lm_err)), 4),
           "embedding_cosine": {"mean": round(float(np.mean(cos)), 4), "min": round(float(np.min(cos)), 4)},
           "ms_per_photo": {"full": round(runs["full"][1], 1), "reduced": round(runs["reduced"][1], 1)},
           "decode_size": settings.decode_size, "rows": rows}
    print(json.dumps(doc, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
