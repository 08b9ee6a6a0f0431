"""Benchmarks (``facerec bench ...``): throughput and latency on the current device."""

from __future__ import annotations

import time

import numpy as np

from core.tf_runtime import machine


def _sample_face_image() -> np.ndarray | None:
    try:
        from core.faces import load_image
        from core.zoo import sample_dataset_dir

        root = sample_dataset_dir()
        first = sorted((root / "val").rglob("*.jpg"))[0]
        return load_image(first)
    except Exception:  # noqa: BLE001 - benchmarks fall back to noise without the samples
        return None


def bench_embed(model: str | None = None, batches: tuple[int, ...] = (1, 8, 32, 64), seconds: float = 3.0,
                runtime: str = "auto") -> dict:
    """Images/s of the embedder at each batch size (after warm-up), on aligned-size random crops."""
    from core.config import DEFAULT_MODEL
    from core.faces import get_embedder

    model = model or DEFAULT_MODEL
    emb = get_embedder(model, runtime=runtime)
    s = emb.input_size
    rng = np.random.default_rng(0)
    out = []
    for b in batches:
        x = rng.integers(0, 255, (b, s, s, 3), dtype=np.uint8)
        emb.embed(x)  # trace + warm
        n, t0 = 0, time.perf_counter()
        while True:
            emb.embed(x)
            n += b
            dt = time.perf_counter() - t0
            if dt >= seconds and n >= 2 * b:
                break
        out.append({"batch": b, "images_per_s": round(n / dt, 1), "ms_per_batch": round(dt / (n / b) * 1000, 2)})
    return {"bench": "embed", "model": model, "runtime": emb.runtime, "input": f"{s}x{s}", "chunk": emb.chunk,
            "results": out, "machine": machine()}


def bench_detect(settings, detector: str = "mtcnn", frames: int = 50, width: int = 640, height: int = 480) -> dict:
    """Milliseconds per ``width`` x ``height`` frame holding one real face (median, p90)."""
    from core.faces import get_detector
    from core.faces.analyzer import detector_options

    det = get_detector(detector, **detector_options(settings, detector))
    frame = np.full((height, width, 3), 110, np.uint8)
    face = _sample_face_image()
    if face is not None:
        fh, fw = min(face.shape[0], height), min(face.shape[1], width)
        y, x = (height - fh) // 2, (width - fw) // 2
        frame[y:y + fh, x:x + fw] = face[:fh, :fw]
    found = len(det.detect(frame))
    times = []
    for _ in range(frames):
        t0 = time.perf_counter()
        det.detect(frame)
        times.append((time.perf_counter() - t0) * 1000)
    return {"bench": "detect", "detector": detector, "frame": f"{width}x{height}", "faces_in_frame": found,
            "ms_median": round(float(np.median(times)), 2), "ms_p90": round(float(np.percentile(times, 90)), 2),
            "fps": round(1000 / float(np.median(times)), 1), "machine": machine()}
