"""``facerec bench gallery``: index build time, single-query latency and recall at scale.

Gallery vectors are seeded random unit vectors. Queries are noisy copies of random
gallery vectors (cosine ~0.75 to their source, like a new photo of an enrolled person);
recall@1 is the share of queries whose top hit equals exact brute-force search. A
second recall figure uses unstructured random queries, the worst case for HNSW.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import faiss
import numpy as np

from core.gallery.index import VectorIndex


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _exact_top1(base: np.ndarray, q: np.ndarray, chunk: int = 200_000) -> np.ndarray:
    best = np.full(len(q), -np.inf, np.float32)
    arg = np.zeros(len(q), np.int64)
    for start in range(0, len(base), chunk):
        s = q @ base[start:start + chunk].T
        j = s.argmax(1)
        v = s[np.arange(len(q)), j]
        better = v > best
        best[better], arg[better] = v[better], j[better] + start
    return arg


def bench_gallery(n: int = 100_000, dim: int = 128, queries: int = 1000, exact_limit: int = 50_000, seed: int = 0,
                  large: str = "binary",
                  progress: Callable[[str], None] = lambda _m: None) -> dict:
    from core.tf_runtime import machine

    rng = np.random.default_rng(seed)
    progress(f"Generating {n} x {dim} unit vectors ...")
    base = np.empty((n, dim), np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        base[start:start + m] = _unit(rng.standard_normal((m, dim), dtype=np.float32))
    ids = np.arange(1, n + 1, dtype=np.int64)
    progress("Building the index ...")
    t0 = time.perf_counter()
    index = VectorIndex.build("bench", dim, ids, base, exact_limit=exact_limit, large=large)
    build_s = time.perf_counter() - t0
    src = rng.integers(0, n, queries)
    q_near = _unit(base[src] + rng.standard_normal((queries, dim), dtype=np.float32) * 0.08)
    q_rand = _unit(rng.standard_normal((queries, dim), dtype=np.float32))
    progress("Exact search for ground truth ...")
    truth_near = _exact_top1(base, q_near) + 1
    truth_rand = _exact_top1(base, q_rand) + 1
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)  # one query at a time, as the app issues them
    try:
        index.search(q_near[:10], 5)
        lat, hits = [], []
        for q in q_near:
            t = time.perf_counter()
            _, found = index.search(q[None], 5)
            lat.append((time.perf_counter() - t) * 1000)
            hits.append(found[0, 0])
        _, found_rand = index.search(q_rand, 1)
    finally:
        faiss.omp_set_num_threads(threads)
    return {
        "bench": "gallery", "n": n, "dim": dim, "queries": queries, "index": index.kind,
        "build_s": round(build_s, 2),
        "query_top5_ms_p50": round(float(np.median(lat)), 3), "query_top5_ms_p99": round(float(np.percentile(lat, 99)), 3),
        "recall_at_1": round(float(np.mean(np.array(hits) == truth_near)), 4),
        "recall_at_1_random_queries": round(float(np.mean(found_rand[:, 0] == truth_rand)), 4),
        "mean_cosine_query_to_source": round(float(np.mean(np.sum(q_near * base[src], 1))), 3),
        "machine": machine(),
    }
