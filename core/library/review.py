"""The review queue ("Is this Ada?") and split proposals, as numbers over the library's embeddings.

A suggestion pairs an unnamed group, or an unsorted face, with a named person (named in the library or
enrolled in the gallery: one person across both). Its score is the gallery's own identity rule: the mean over
the group's faces of their cosine to the person's normalised centroid. It is compared with the 1:N operating
point of a gallery of the named people (the threshold at which a stranger's face is named 1% of the time):
above it the suggestion is likely right, below it likely wrong, and the queue shows the closest to the
threshold first, where a person's answer teaches the most. Nothing is assigned without the user's answer.
"""

from __future__ import annotations

import numpy as np

from core.gallery.identity import centroid
from core.library.cluster import Params
from core.library.grouper import Grouper

WINDOW = 0.12          # suggestions down to this far below the threshold are still shown (likely "no")


def _named_centroids(lib) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    """({name: centroid}, {name: faces}) of the library's named groups, and of gallery people with no library
    group (when the gallery uses the library's model)."""
    dim = lib.spec.embedding_size
    out: dict[str, np.ndarray] = {}
    counts: dict[str, int] = {}
    for g in lib.store.people():
        if g["name"] and g["faces"]:
            ids = [f["id"] for f in lib.store.faces_of(g["id"])]
            out[g["name"]] = centroid(lib.store.embeddings_of(ids, dim))
            counts[g["name"]] = len(ids)
    gallery_dir = lib.settings.gallery_dir()
    if (gallery_dir / "gallery.db").exists():
        with lib._gallery() as gal:
            if gal.model_key == lib.model_key:
                for name, cent in gal.centroids().items():
                    out.setdefault(name, cent)
                counts.update({r["name"]: r["faces"] for r in gal.list() if r["name"] not in counts})
    return out, counts


def suggestions(lib, limit: int = 50) -> list[dict]:
    from core.decide import identify_point

    cents, counts = _named_centroids(lib)
    if not cents:
        return []
    names = sorted(cents)
    c = np.stack([cents[n] for n in names])
    point = identify_point(lib.spec, lib.settings, sorted(counts.values()),
                           fingerprint=lib.model_key.split(":", 1)[1])
    thr = point.threshold
    dim = lib.spec.embedding_size
    rejections, apart = lib.store.constraints()
    person_of = {g["name"]: g["id"] for g in lib.store.people() if g["name"]}
    refused_faces = set(rejections)
    refused_groups = {(a, b) for a, b in apart} | {(b, a) for a, b in apart}
    out = []
    for g in lib.store.people():
        if g["name"] or g["hidden"] or not g["faces"]:
            continue
        ids = [f["id"] for f in lib.store.faces_of(g["id"])]
        scores = (lib.store.embeddings_of(ids, dim) @ c.T).mean(axis=0)
        scores[[i for i, n in enumerate(names) if (g["id"], person_of.get(n)) in refused_groups]] = -1.0
        j = int(np.argmax(scores))
        if scores[j] >= thr - WINDOW:
            out.append({"kind": "group", "id": g["id"], "faces": g["faces"], "person": names[j],
                        "score": round(float(scores[j]), 4), "threshold": round(thr, 4)})
    loose = [f for f in lib.store.faces_of(None) if f["quality"] >= lib.settings.min_quality]
    if loose:
        scores = lib.store.embeddings_of([f["id"] for f in loose], dim) @ c.T
        for i, f in enumerate(loose):
            scores[i, [j for j, n in enumerate(names) if (f["id"], person_of.get(n)) in refused_faces]] = -1.0
        best = scores.argmax(axis=1)
        for f, j, s in zip(loose, best, scores[np.arange(len(loose)), best]):
            if s >= thr - WINDOW:
                out.append({"kind": "face", "id": f["id"], "photo": f["photo"], "person": names[int(j)],
                            "score": round(float(s), 4), "threshold": round(thr, 4)})
    out.sort(key=lambda d: (abs(d["score"] - thr), d["kind"], d["id"]))
    return out[:limit]


def propose_split(lib, person_id: int) -> list[list[int]]:
    """Sub-groups of a group, largest first: the grouping run on the group's faces alone with a 100 times
    stricter stranger rate; where that keeps one group, two parts around its two least similar faces."""
    faces = lib.store.faces_of(person_id)
    if len(faces) < 2:
        return [[f["id"] for f in faces]]
    ids = np.array([f["id"] for f in faces], np.int64)
    x = lib.store.embeddings_of(ids.tolist(), lib.spec.embedding_size)
    photos = np.asarray(lib.store.photo_ids(ids.tolist()), np.int64)
    strict = Params(merge_fpir=Params().merge_fpir / 100, min_size=1)
    g = Grouper(lib.calibration, strict)
    g.fit(x, photos, ids)
    labels = g.labels(ids)
    if len(np.unique(labels)) < 2:
        a, b = np.unravel_index(np.argmin(x @ x.T), (len(x), len(x)))
        ca, cb = x[a], x[b]
        for _ in range(10):  # two centroids, grown from the two least similar faces
            labels = (x @ cb > x @ ca).astype(np.int64)
            if labels.all() or not labels.any():
                break
            ca, cb = centroid(x[labels == 0]), centroid(x[labels == 1])
    parts = [ids[labels == lab].tolist() for lab in np.unique(labels)]
    return sorted(parts, key=lambda p: (-len(p), p[0]))
