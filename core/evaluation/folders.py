"""``facerec eval --folders DIR``: verification over every pair of a folder-per-person photo set.

Each photo's largest face is compared (as ``verify`` does). All same-person pairs and
up to ``max_different`` different-person pairs (a seeded sample) are scored;
10-fold accuracy, TAR@FAR, ROC, the figures at the model's 1:1 operating point,
and the pairs it got wrong (for the GUI's failure thumbnails) are reported.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.config import Settings
from core.errors import UsageError


def evaluate_folders(root: Path, settings: Settings, roc_dir: str | None = None, progress: Callable | None = None,
                     max_different: int = 200_000, seed: int = 0) -> dict:
    from core.decide import identity_folders, verify_point
    from core.evaluation.face_cache import embed_images
    from core.evaluation.verify_bin import evaluate_pairs, plot_roc
    from core.faces import FaceAnalyzer

    people = identity_folders(Path(root))
    paths = [str(p) for ps in people.values() for p in ps]
    owner = np.array([i for i, ps in enumerate(people.values()) for _ in ps])
    analyzer = FaceAnalyzer(settings, warmup=False)
    es = embed_images(paths, analyzer, pick="largest", flip=False, progress=progress)
    ia, ib = np.triu_indices(len(paths), k=1)
    same = owner[ia] == owner[ib]
    rng = np.random.default_rng(seed)
    diff = np.flatnonzero(~same)
    if len(diff) > max_different:
        diff = np.sort(rng.choice(diff, max_different, replace=False))
    keep = np.concatenate([np.flatnonzero(same), diff])
    keep = keep[rng.permutation(len(keep))]
    ia, ib, labels = ia[keep], ib[keep], same[keep]
    if labels.all() or not labels.any() or len(labels) < 10:
        raise UsageError(f"{root} needs at least two people with two photos each to measure verification.")
    scores = np.sum(es.embeddings[ia] * es.embeddings[ib], axis=1)
    res = evaluate_pairs(scores, labels)
    point = verify_point(analyzer.embedder.spec, settings, fingerprint=analyzer.embedder.fingerprint)
    decided = scores >= point.threshold
    wrong = np.flatnonzero(decided != labels)
    wrong = wrong[np.argsort(-np.abs(scores[wrong] - point.threshold))][:24]
    doc = {"model": analyzer.embedder.name, "root": str(root), "identities": len(people), "images": len(paths),
           "no_face": int(es.no_face.sum()), **res, "same_pairs": int(labels.sum()),
           "different_pairs": int((~labels).sum()),
           "operating_point": {**point.to_json(), "accuracy": round(float(np.mean(decided == labels)), 5),
                               "far": round(float(np.mean(decided[~labels])), 6),
                               "tar": round(float(np.mean(decided[labels])), 5)},
           "failures": [{"a": paths[ia[i]], "b": paths[ib[i]], "score": round(float(scores[i]), 4),
                         "same": bool(labels[i])} for i in wrong]}
    if roc_dir:
        doc["roc_png"] = str(plot_roc(scores, labels, Path(roc_dir) / f"{Path(root).name}_{analyzer.embedder.name}_roc.png",
                                      title=f"{Path(root).name}, {analyzer.embedder.name}"))
    return doc
