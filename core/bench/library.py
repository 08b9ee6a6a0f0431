"""``facerec bench scan`` and ``facerec bench group``: what a photo library costs on this machine.

- scan: photos/s of a first scan of PHOTOS into a new, temporary library (decode at the size needed, detect,
  quality, align, embed in batches, store), and the grouping that follows;
- group: grouping N faces from scratch (time and peak memory), then adding 100 new faces (the regrouping that
  follows a scan of 100 new photos), on a temporary library database. The faces are real embeddings repeated
  with noise (``--from-library``: any scanned library) or synthetic people with SFace-like statistics.
"""

from __future__ import annotations

import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from core.tf_runtime import machine


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_scan(photos: list[str], settings, progress=None) -> dict:
    from core.faces import FaceAnalyzer, expand_image_paths
    from core.library import Library

    paths = expand_image_paths(photos, keep_missing=False)
    an = FaceAnalyzer(settings, warmup=True)
    list(an.analyze_paths(paths[:2]))  # trace the common shapes first, as a warm process would have
    with tempfile.TemporaryDirectory(prefix="facerec-bench-scan-") as tmp:
        with Library(Path(tmp) / "lib", settings=settings, analyzer=an) as lib:
            t0 = time.perf_counter()
            rep = lib.scan(photos, progress=progress)
            wall = time.perf_counter() - t0
    sizes = []
    for p in paths:
        from PIL import Image

        with Image.open(p) as im:
            sizes.append(im.size[0] * im.size[1] / 1e6)
    analyse = wall - rep["grouping"]["seconds"]
    return {"bench": "scan", "photos": rep["analysed"], "faces": rep["faces_found"], "model": an.embedder.name,
            "detector": an.detector.name, "decode_size": settings.decode_size,
            "megapixels": {"median": round(float(np.median(sizes)), 2), "min": round(min(sizes), 2),
                           "max": round(max(sizes), 2)},
            "photos_per_s": round(rep["analysed"] / analyse, 2), "ms_per_photo": round(analyse / rep["analysed"] * 1000, 1),
            "grouping_s": rep["grouping"]["seconds"], "machine": machine()}


def synthetic_faces(n: int, dim: int = 128, seed: int = 0, source: np.ndarray | None = None) -> np.ndarray:
    """(n, dim) unit rows: ``source`` embeddings repeated with small noise, or synthetic people (sizes from a
    power law, 1 to ~500 faces; same-person cosine about 0.65, strangers about 0)."""
    rng = np.random.default_rng(seed)
    if source is not None and len(source):
        x = source[rng.integers(0, len(source), n)] + rng.normal(0, 0.02, (n, source.shape[1]))
    else:
        sizes = np.minimum(rng.zipf(1.8, n), 500)
        person = np.repeat(np.arange(n), sizes)[:n]
        centres = rng.normal(size=(person.max() + 1, dim))
        centres /= np.linalg.norm(centres, axis=1, keepdims=True)
        x = centres[person] + rng.normal(0, 0.9 / np.sqrt(dim), (n, dim)) * 1.3
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def bench_group(n: int, settings, from_library: str | None = None, progress=None) -> dict:
    from core.library import Library
    from core.library.people import Regrouper

    with tempfile.TemporaryDirectory(prefix="facerec-bench-group-") as tmp:
        lib = Library(Path(tmp) / "lib", settings=settings)
        dim = lib.spec.embedding_size
        source = None
        if from_library:
            with Library(from_library, settings=settings) as src:
                source = src.store.face_arrays(src.model_key, dim).embeddings
        x = synthetic_faces(n + 100, dim, source=source)
        t0 = time.perf_counter()
        _insert(lib, x[:n], progress)
        insert_s = time.perf_counter() - t0
        rss0 = _rss_mb()
        t0 = time.perf_counter()
        full = Regrouper(lib.store, lib.model_key, dim, lib.calibration).regroup(full=True)
        full_s = time.perf_counter() - t0
        rss1 = _rss_mb()
        _insert(lib, x[n:], None, first=n)
        t0 = time.perf_counter()
        inc = Regrouper(lib.store, lib.model_key, dim, lib.calibration).regroup()
        inc_s = time.perf_counter() - t0
        lib.close()
    return {"bench": "group", "faces": n, "source": "library embeddings + noise" if source is not None else "synthetic",
            "insert_s": round(insert_s, 1), "group_s": round(full_s, 2), "groups": full["groups"],
            "unsorted": full["unsorted"], "peak_rss_mb": round(max(rss0, rss1), 1),
            "add_100_faces_s": round(inc_s, 2), "add_mode": inc["regrouped"], "machine": machine()}


def _insert(lib, x: np.ndarray, progress, first: int = 0, batch: int = 5000) -> None:
    """One photo per face, written straight to the store in large transactions (no model: the benchmark is
    about grouping)."""
    for start in range(0, len(x), batch):
        lib.store.put_photos([{"path": f"/bench/{first + j:07d}.jpg", "size": 1, "mtime_ns": 1,
                               "sha256": f"{first + j:064x}", "shape": (100, 100),
                               "faces": [{"box": [10.0, 10.0, 50.0, 50.0], "landmarks": [[0, 0]] * 5,
                                          "det_score": 0.9, "quality": 0.9, "embedding": x[j],
                                          "crop": b"\xff\xd8\xff\xd9"}]}
                              for j in range(start, min(start + batch, len(x)))], lib.model_key)
        if progress is not None:
            progress(min(start + batch, len(x)), len(x), "")
