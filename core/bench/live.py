"""``facerec bench live``: the live view's recognizer on 640x480 frames with three faces, frame by frame.

The scene: three sample people's photos (two enrolled into a temporary gallery from their train photos, one a
stranger) drifting a few pixels a frame on grey, 640x480, ``frames`` frames played as fast as recognition goes.
Reported: frames/s and ms per frame (median, p90) of the whole recognizer (detection, tracking, the budget's
embeddings, decisions), embeddings per frame, frames until each enrolled person is named, name changes per track,
and whether the stranger was ever named. The view paints every frame at the source's pace; the overlay follows
every frame when frames/s is at least the source's (25 for a webcam).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.config import Settings

PEOPLE = ("jerry_seinfeld", "elton_john", "madonna")   # the last one is not enrolled


def scene(photos: list[np.ndarray], frames: int, size: int = 150) -> list[np.ndarray]:
    """``frames`` (480, 640, 3) uint8 frames: each photo resized to ``size`` px, side by side, drifting."""
    import cv2

    faces = [cv2.resize(p, (size, size)) for p in photos]
    out = []
    for i in range(frames):
        canvas = np.full((480, 640, 3), 60, np.uint8)
        for k, f in enumerate(faces):
            x = int(20 + 210 * k + 15 * np.sin(i / 12 + k))
            y = int(150 + 20 * np.cos(i / 17 + 2 * k))
            canvas[y:y + size, x:x + size] = f
        out.append(canvas)
    return out


def bench_live(settings: Settings, frames: int = 250, warmup: int = 10,
               progress: Callable[[str], None] = lambda _m: None) -> dict:
    from core.faces import FaceAnalyzer, load_image
    from core.gallery import Gallery
    from core.live import Frame, LiveRecognizer
    from core.tf_runtime import machine
    from core.zoo import sample_dataset_dir

    root = Path(sample_dataset_dir())
    val = {p: sorted((root / "val" / p).glob("*.jpg")) for p in PEOPLE}
    analyzer = FaceAnalyzer(settings, warmup=True, role="live")
    video = scene([load_image(val[p][0]) for p in PEOPLE], frames + warmup)
    with tempfile.TemporaryDirectory() as tmp, Gallery(Path(tmp) / "g", settings=settings, analyzer=analyzer) as g:
        progress("Enrolling two sample people ...")
        for p in PEOPLE[:2]:
            g.enroll(p, sorted((root / "train" / p).glob("*.jpg")))
        warm = LiveRecognizer(analyzer, g)
        for i, img in enumerate(video[:warmup]):
            warm.process(Frame(img, i, i / 25))
        rec = LiveRecognizer(analyzer, g)
        ms, names, embeds = [], [], []
        for i, img in enumerate(video[warmup:]):
            before = rec.embeds_done
            t0 = time.perf_counter()
            views = rec.process(Frame(img, i, i / 25))
            ms.append((time.perf_counter() - t0) * 1000)
            embeds.append(rec.embeds_done - before)
            names.append({v.track_id: v.name for v in views})
        point = rec.operating_point().to_json()
    first = {}
    for p in PEOPLE[:2]:
        first[p] = next((i + 1 for i, n in enumerate(names) if p in n.values()), None)
    shown: dict[int, list] = {}
    for n in names:
        for tid, name in n.items():
            shown.setdefault(tid, []).append(name)
    changes = [sum(1 for a, b in zip(s, s[1:]) if a is not None and a != b) for s in shown.values()]
    a = np.asarray(ms)
    return {"bench": "live", "model": analyzer.embedder.name, "detector": analyzer.detector.name,
            "frame": [640, 480], "faces": len(PEOPLE), "frames": frames,
            "frames_per_s": round(1000 / float(a.mean()), 2),
            "ms_per_frame": {"median": round(float(np.median(a)), 2), "p90": round(float(np.percentile(a, 90)), 2),
                             "max": round(float(a.max()), 2)},
            "embeddings_per_frame": round(float(np.mean(embeds)), 3), "budget_per_frame": rec.budget.per_frame(),
            "frames_to_first_name": first, "tracks": len(shown),
            "name_changes_per_track": round(float(np.mean(changes)), 3) if changes else 0.0,
            "stranger_named": any(PEOPLE[2] == x for n in names for x in n.values()) or
            any(x not in (None, *PEOPLE[:2]) for n in names for x in n.values()),
            "operating_point": point, "machine": machine()}
