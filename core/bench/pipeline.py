"""``facerec bench pipeline PHOTOS``: what a photo costs from file to embedding, stage by stage.

Two passes over the same photos after a warm-up: (1) each stage timed alone (decode,
detect, align, embed in batches of 32 faces, shared per face); (2) the real pipeline
(``analyze_paths``: decoding overlapped with inference, embeddings batched across
photos) timed end to end, which gives photos/s and ms/photo (median and p90 of the
per-photo wall time between results).
"""

from __future__ import annotations

import time

import numpy as np

from core.config import Settings


def _summary(ms: list[float]) -> dict:
    a = np.asarray(ms, np.float64)
    return {"median": round(float(np.median(a)), 2), "p90": round(float(np.percentile(a, 90)), 2),
            "mean": round(float(a.mean()), 2)}


def bench_pipeline(photos: list[str], settings: Settings, warmup: int = 3) -> dict:
    from core.errors import UsageError
    from core.faces import FaceAnalyzer, expand_image_paths, load_image
    from core.tf_runtime import machine

    paths = expand_image_paths(photos, keep_missing=False)
    if not paths:
        raise UsageError("No photos found in the given paths.")
    an = FaceAnalyzer(settings, warmup=True)
    for p in paths[:warmup]:  # trace the common shapes first, as a warm process would have
        an.analyze(load_image(p))
    stages = {"decode": [], "detect": [], "align": [], "embed": []}
    sizes, faces_per_photo, crops = [], [], []
    for p in paths:
        t0 = time.perf_counter()
        img = load_image(p)
        t1 = time.perf_counter()
        dets = an.detect(img)
        t2 = time.perf_counter()
        c = an.align(img, dets)
        t3 = time.perf_counter()
        stages["decode"].append((t1 - t0) * 1000)
        stages["detect"].append((t2 - t1) * 1000)
        stages["align"].append((t3 - t2) * 1000)
        sizes.append(img.shape[:2])
        faces_per_photo.append(len(dets))
        crops.extend(c)
    embed_ms = 0.0
    for start in range(0, len(crops), 32):
        t = time.perf_counter()
        an.embedder.embed(np.stack(crops[start:start + 32]))
        embed_ms += (time.perf_counter() - t) * 1000
    per_face = embed_ms / max(1, len(crops))
    stages["embed"] = [per_face * n for n in faces_per_photo]
    stage_mean = {k: float(np.mean(v)) for k, v in stages.items()}
    total = sum(stage_mean.values())
    t_start = time.perf_counter()
    stamps = [time.perf_counter() - t_start for _ in an.analyze_paths(paths)]
    wall = stamps[-1]
    gaps = np.diff([0.0, *stamps]) * 1000
    hw = np.array(sizes)
    return {"bench": "pipeline", "photos": len(paths), "faces": int(sum(faces_per_photo)),
            "model": an.embedder.name, "detector": an.detector.name,
            "photo_size": {"median": [int(np.median(hw[:, 1])), int(np.median(hw[:, 0]))],
                           "min": [int(hw[:, 1].min()), int(hw[:, 0].min())],
                           "max": [int(hw[:, 1].max()), int(hw[:, 0].max())]},
            "stages_ms_per_photo": {k: _summary(v) for k, v in stages.items()},
            "stage_share": {k: round(v / total, 3) for k, v in stage_mean.items()},
            "pipeline": {"photos_per_s": round(len(paths) / wall, 2), "ms_per_photo": round(wall / len(paths) * 1000, 2),
                         "ms_between_results": _summary(list(gaps))},
            "machine": machine()}
