"""``facerec bench vault``: what encryption at rest costs, plain against encrypted galleries of the same faces.

For each size, two galleries (plain, encrypted) hold the same synthetic people (unit embeddings of the
settings' model with a small JPEG crop each, written straight to the store). Measured on each, in one run:
opening (the gallery and its search index, from a new object), identifying (a search and the 1:N decision's
centroids, one face at a time) and enrolling (a face committed with its crop and embedding, then its index
entry). Figures are medians, in milliseconds.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np

from core.tf_runtime import machine
from core.zoo import key_fingerprint


def _fill(g, n: int, rng, crop: bytes) -> None:
    from core.gallery.schema import EmbeddingRow, FaceRow, Identity

    dim = g.spec.embedding_size
    g.store.ensure_model(g.model_key, g.spec.name, dim, key_fingerprint(g.model_key))
    people = max(1, n // 20)
    centres = rng.normal(size=(people, dim))
    with g.store.Session.begin() as s:
        idents = [Identity(name=f"person {i:06d}") for i in range(people)]
        s.add_all(idents)
        s.flush()
        for i in range(n):
            v = centres[i % people] + 0.5 * rng.normal(size=dim)
            f = FaceRow(identity_id=idents[i % people].id, source_path=f"/bench/{i}.jpg", image_hash=f"{i:064x}",
                        box=[0, 0, 100, 100], thumbnail=crop, det_score=0.99, quality=50.0)
            s.add(f)
            s.flush()
            s.add(EmbeddingRow(face_id=f.id, model_key=g.model_key, dim=dim,
                               vector=(v / np.linalg.norm(v)).astype("<f4").tobytes()))
    g.rebuild_index()


def _median_ms(fn, times: int) -> float:
    out = []
    for _ in range(times):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return round(float(np.median(out)), 3)


def bench_vault(sizes: tuple[int, ...], settings, progress=None, rounds: int = 5) -> dict:
    import cv2

    from core.gallery import Gallery
    from core.gallery.store import NewFace

    rng = np.random.default_rng(0)
    crop = cv2.imencode(".jpg", rng.integers(0, 255, (112, 112, 3), dtype=np.uint8))[1].tobytes()
    kinds = (("plain", False), ("encrypted", True))
    rows = []
    with tempfile.TemporaryDirectory(prefix="facerec-bench-vault-") as tmp:
        for n in sizes:
            galleries = {}
            for kind, encrypt in kinds:
                s = settings.replace(encrypt=encrypt)
                g = Gallery(Path(tmp) / f"{kind}-{n}", settings=s)
                _fill(g, n, rng, crop)
                g.search(rng.normal(size=(1, g.spec.embedding_size)).astype(np.float32))  # warm: index, centroids
                galleries[kind] = (g, s, g.store.identity_id("newcomer", True))
                if progress is not None:
                    progress(len(rows) * 2 + len(galleries), 2 * len(sizes), f"{kind} {n}")
            times: dict = {k: {"open_ms": [], "identify_ms": [], "enrol_ms": []} for k, _ in kinds}
            for _ in range(rounds):  # interleaved, so both see the same machine
                for kind, (g, s, ident) in galleries.items():
                    dim = g.spec.embedding_size
                    q = rng.normal(size=(40, dim)).astype(np.float32)
                    q /= np.linalg.norm(q, axis=1, keepdims=True)
                    it = iter(q)
                    times[kind]["identify_ms"].append(_median_ms(lambda g=g, it=it: g.search(next(it)[None]), 40))

                    def enrol(g=g, ident=ident, dim=dim):
                        v = rng.normal(size=dim).astype(np.float32)
                        v /= np.linalg.norm(v)
                        _fid, eid = g.store.add_face(ident, NewFace("/bench/new.jpg", f"{rng.integers(1 << 62):064x}",
                                                                    [0, 0, 100, 100], crop, 0.99, 50.0), g.model_key, v)
                        g.indexes.added([eid], [v])

                    times[kind]["enrol_ms"].append(_median_ms(enrol, 4))

                    def reopen(root=g.root, s=s):
                        with Gallery(root, settings=s) as g2:
                            g2.index()

                    times[kind]["open_ms"].append(_median_ms(reopen, 1))
            row: dict = {"faces": n}
            for kind, (g, _s, _i) in galleries.items():
                row[kind] = {k: round(float(np.median(v)), 3) for k, v in times[kind].items()}
                row[kind]["files_mb"] = round(sum(p.stat().st_size for p in g.root.iterdir() if p.is_file()) / 1e6, 1)
                g.close()
            for k in ("identify", "enrol", "open"):
                row[f"{k}_change"] = round(row["encrypted"][f"{k}_ms"] / row["plain"][f"{k}_ms"] - 1, 3)
            rows.append(row)
    return {"bench": "vault", "model": settings.model, "rounds": rounds, "results": rows, "machine": machine()}
