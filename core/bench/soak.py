"""``facerec bench soak --video FILE --minutes N``: the live recognizer for a long time, watching for slow leaks.

The video is played in a loop (as fast as recognition goes) through :class:`LiveRecognizer` with a gallery; every
``every_s`` seconds the process's resident memory and the names per second are recorded. Memory must be flat
after warm-up: the growth is measured from the first sample after ``warmup_s`` to the last.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from core.config import Settings
from core.errors import UsageError


def rss_mb() -> float:
    """Resident memory of this process in MiB (Linux /proc; ru_maxrss elsewhere)."""
    try:
        with open(f"/proc/{os.getpid()}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_soak(video: str, settings: Settings, minutes: float = 1.0, gallery: str | None = None,
               every_s: float = 10.0, warmup_s: float = 60.0, progress: Callable[[str], None] = lambda _m: None) -> dict:
    from core.faces import FaceAnalyzer
    from core.gallery import Gallery
    from core.live import LiveRecognizer, open_source
    from core.tf_runtime import machine

    if not Path(video).exists():
        raise UsageError(f"{video}: no such video.")
    analyzer = FaceAnalyzer(settings, warmup=True, role="live")
    g = Gallery(gallery or settings.gallery_dir(), settings=settings, analyzer=analyzer)
    rec = LiveRecognizer(analyzer, g)
    samples, frames, names, t0 = [], 0, 0, time.perf_counter()
    window_frames = window_names = 0
    last = t0
    src = open_source(video)
    try:
        while time.perf_counter() - t0 < minutes * 60:
            frame = src.read()
            if frame is None:  # loop the video
                src.close()
                src = open_source(video)
                rec.reset()
                continue
            faces = rec.process(frame)
            frames += 1
            window_frames += 1
            n = sum(1 for f in faces if f.name)
            names += n
            window_names += n
            now = time.perf_counter()
            if now - last >= every_s:
                samples.append({"t": round(now - t0, 1), "rss_mb": round(rss_mb(), 1),
                                "frames_per_s": round(window_frames / (now - last), 2),
                                "names_per_s": round(window_names / (now - last), 2)})
                progress(f"{samples[-1]['t']:>7.0f} s  {samples[-1]['rss_mb']:.0f} MiB  "
                         f"{samples[-1]['frames_per_s']:.1f} frames/s")
                window_frames = window_names = 0
                last = now
    finally:
        src.close()
        g.close()
    after = [s for s in samples if s["t"] >= warmup_s] or samples
    base = after[0]["rss_mb"] if after else rss_mb()
    end = samples[-1]["rss_mb"] if samples else rss_mb()
    return {"bench": "soak", "video": str(video), "minutes": minutes, "model": analyzer.embedder.name,
            "detector": analyzer.detector.name, "frames": frames, "names": names,
            "rss_after_warmup_mb": base, "rss_end_mb": end, "rss_growth_pct": round((end - base) / base * 100, 2),
            "rss_max_mb": max((s["rss_mb"] for s in samples), default=end), "samples": samples, "machine": machine()}
