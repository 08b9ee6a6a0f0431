"""How well a detector agrees with MTCNN on the same photos: faces found, box IoU, landmark error, speed.

    python benchmarks/detector_agreement.py PHOTOS_DIR [--detector yunet] [--reference mtcnn]

A photo agrees when both find the same number of faces and every reference face has a match (IoU > 0.5).
Landmark error is the mean distance of the 5 points in units of the reference box's width.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("photos", type=Path)
    ap.add_argument("--detector", default="yunet")
    ap.add_argument("--reference", default="mtcnn")
    a = ap.parse_args()
    from core.faces import get_detector, image_files, load_image
    from core.live import iou

    det, ref = get_detector(a.detector), get_detector(a.reference)
    paths = image_files(a.photos)
    agree, ious, errs, ms, missing, extra = 0, [], [], [], 0, 0
    for p in paths:
        img = load_image(p)
        r = ref.detect(img)
        t = time.perf_counter()
        d = det.detect(img)
        ms.append((time.perf_counter() - t) * 1000)
        matched = 0
        for f in r:
            best = max(d, key=lambda g: iou(f.box, g.box), default=None)
            if best is not None and iou(f.box, best.box) > 0.5:
                matched += 1
                ious.append(iou(f.box, best.box))
                errs.append(float(np.linalg.norm(f.landmarks - best.landmarks, axis=1).mean() / (f.box[2] - f.box[0])))
        agree += int(len(d) == len(r) and matched == len(r))
        missing += max(0, len(r) - matched)
        extra += max(0, len(d) - matched)
    print(json.dumps({"photos": len(paths), "detector": a.detector, "reference": a.reference,
                      "same_faces": agree, "same_faces_share": round(agree / len(paths), 4),
                      "reference_faces_missed": missing, "extra_faces": extra,
                      "box_iou_mean": round(float(np.mean(ious)), 3),
                      "landmark_error_of_box_width": round(float(np.mean(errs)), 4),
                      "ms_per_photo_median": round(float(np.median(ms)), 2)}, indent=1))


if __name__ == "__main__":
    main()
