"""The review queue ("Is this Ada?") and split proposals, as numbers over the library's embeddings.

A suggestion pairs an unnamed group, or an unsorted face, with a named person (named in the library or
enrolled in the gallery: one person across both). Its score is the gallery's own identity rule: the mean over
the group's faces of their cosine to the person's normalised centroid. It is compared with the 1:N operating
point of a gallery of the named people (``threshold``: a stranger's face reaches it 1% of the time): at or
above it the suggestion is *likely* right. Nothing is assigned without the user's answer.

What is asked, all from the model's calibration (its impostor tables on LFW View 1), never from photos:

- a **face** only down to ``floor``, the score a stranger's face reaches with a chance that leaves at most
  ``STRANGER_QUESTIONS`` questions about strangers among all the candidates (but never stricter than the naming
  point): a library of 1,000 unsorted strangers is asked about none of them, a small one also about the faces
  just under the threshold;
- a **group** only at or above ``threshold``: a group is several faces that agree with each other, and its mean
  under the naming point means another person (it is never asked as "Is this group George?" at a low score);
- the questions about the **most recently named people first** (the person a user just named is the one they are
  thinking about), and within those the **nearest the threshold first** (where an answer teaches the most).

A split is proposed only when its parts fail the grouping's own same-person test (the merge test of
:mod:`core.library.likeness` at the library's stranger rate); otherwise the group is one part ("looks like one
person").
"""

from __future__ import annotations

import numpy as np

from core.decide.open_set import Thresholds
from core.gallery.identity import centroid
from core.library.cluster import Params, _margins
from core.library.grouper import Grouper
from core.library.likeness import stranger_tau
from core.library.tags import pending
from core.zoo import key_fingerprint

STRANGER_QUESTIONS = 5   # expected questions about strangers the queue may hold, whatever the library's size
ASK_RATE_MAX = 0.1       # ... and never below the score a stranger reaches 1 time in 10
RECENT_DECISIONS = 50    # decisions looked at to find the recently named people


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
    gal = lib.existing_gallery()
    if gal is not None:
        with gal:
            if gal.model_key == lib.model_key:
                for name, cent in gal.centroids().items():
                    out.setdefault(name, cent)
                counts.update({r["name"]: r["faces"] for r in gal.list() if r["name"] not in counts})
    return out, counts


def recent_names(lib) -> list[str]:
    """Names the latest decisions were about, newest first (naming, confirming, answering, merging into)."""
    name_of = {g["id"]: g["name"] for g in lib.store.people() if g["name"]}
    out: list[str] = []
    for d in lib.store.decisions(limit=RECENT_DECISIONS):
        if d["undone"]:
            continue
        s = d["summary"] or {}
        name = s.get("name") or name_of.get(s.get("target")) or name_of.get(s.get("to"))
        if name and name not in out:
            out.append(name)
    return out


def ask_floor(impostor: dict, face_counts: list[int], candidates: int, fpir: float, threshold: float) -> float:
    """The lowest score worth asking about: a stranger reaches it with chance STRANGER_QUESTIONS / candidates
    (within [fpir, ASK_RATE_MAX]), never above the naming threshold."""
    from core.decide.open_set import open_set_threshold

    rate = min(ASK_RATE_MAX, max(fpir, STRANGER_QUESTIONS / max(candidates, 1)))
    return min(threshold, open_set_threshold(impostor, face_counts, rate))


def from_photos(lib) -> list[dict]:
    """What the names in the photos (other tools' XMP face regions) leave to ask, first: in a group whose faces
    the photos name differently, "Is this NAME?" about each face whose photo disagrees with the group's name (or,
    unnamed, with most of its faces), then "Is this group NAME?" (the name most of its photos give)."""
    names = {g["id"]: g["name"] for g in lib.store.people()}
    by_group: dict[int, list[tuple[int, str]]] = {}
    for fid, name, pid in pending(lib.store):
        if pid is not None and names.get(pid) != name:
            by_group.setdefault(pid, []).append((fid, name))
    faces, groups = [], []
    ask = {"score": 1.0, "threshold": 1.0, "floor": 1.0, "likely": True, "source": "photo"}
    for pid, tagged in sorted(by_group.items()):
        counts: dict[str, int] = {}
        for _f, n in tagged:
            counts[n] = counts.get(n, 0) + 1
        group_name = names.get(pid) or max(sorted(counts), key=counts.get)
        faces += [{"kind": "face", "id": f, "person": n, "group": pid, **ask} for f, n in tagged if n != group_name]
        if names.get(pid) is None:
            groups.append({"kind": "group", "id": pid, "person": group_name, "group": pid, **ask})
    return faces + groups


def suggestions(lib, limit: int = 50) -> list[dict]:
    """The review queue: the names found in the photos that disagree with a group first, then the suggestions
    of the gallery's identity rule (see the module's docstring)."""
    asked = from_photos(lib)
    return (asked + _suggestions(lib, {a["id"] for a in asked}))[:limit]


def _suggestions(lib, skip: set[int]) -> list[dict]:
    from core.decide import identify_point

    limit = 10 ** 9
    cents, counts = _named_centroids(lib)
    if not cents:
        return []
    names = sorted(cents)
    c = np.stack([cents[n] for n in names])
    face_counts = [counts[n] for n in names if n in counts] or [1]
    point = identify_point(lib.spec, lib.settings, face_counts, fingerprint=key_fingerprint(lib.model_key))
    thr = point.threshold
    dim = lib.spec.embedding_size
    rejections, apart = lib.store.constraints()
    people = lib.store.people()
    person_of = {g["name"]: g["id"] for g in people if g["name"]}
    refused_faces = set(rejections)
    refused_groups = {(a, b) for a, b in apart} | {(b, a) for a, b in apart}
    groups = [g for g in people if not g["name"] and not g["hidden"] and g["faces"]]
    loose = [f for f in lib.store.faces_of(None) if f["quality"] >= lib.settings.min_quality]
    imp = (lib.calibration or {}).get("impostor")
    floor = ask_floor(imp, face_counts, len(groups) + len(loose), lib.settings.identify_fpir, thr) if imp else thr

    def item(kind: str, ident: int, person: str, score: float, **extra) -> dict:
        return {"kind": kind, "id": ident, "person": person, "score": round(float(score), 4),
                "threshold": round(thr, 4), "floor": round(floor, 4), "likely": bool(score >= thr), **extra}

    out = []
    for g in groups:
        ids = [f["id"] for f in lib.store.faces_of(g["id"])]
        scores = (lib.store.embeddings_of(ids, dim) @ c.T).mean(axis=0)
        scores[[i for i, n in enumerate(names) if (g["id"], person_of.get(n)) in refused_groups]] = -1.0
        j = int(np.argmax(scores))
        if scores[j] >= thr:                       # a group is asked about only when it is likely them
            out.append(item("group", g["id"], names[j], scores[j], faces=g["faces"]))
    if loose:
        scores = lib.store.embeddings_of([f["id"] for f in loose], dim) @ c.T
        for i, f in enumerate(loose):
            scores[i, [j for j, n in enumerate(names) if (f["id"], person_of.get(n)) in refused_faces]] = -1.0
        best = scores.argmax(axis=1)
        for f, j, s in zip(loose, best, scores[np.arange(len(loose)), best]):
            if s >= floor:
                out.append(item("face", f["id"], names[int(j)], s, photo=f["photo"]))
    recent = {n: i for i, n in enumerate(recent_names(lib))}
    out.sort(key=lambda d: (recent.get(d["person"], len(recent)), abs(d["score"] - thr), d["kind"], d["id"]))
    return [d for d in out if not (d["kind"] == "face" and d["id"] in skip)][:limit]


def _join_alike(x: np.ndarray, photos: np.ndarray, labels: np.ndarray, tau: Thresholds) -> np.ndarray:
    """Join the parts that pass the grouping's same-person test (the best pair first; never two faces of one
    photo): a proposal never splits what the grouping would call one person."""
    labels = labels.copy()
    while True:
        labs = np.unique(labels)
        if len(labs) < 2:
            return labels
        sums = np.stack([x[labels == lab].sum(0, dtype=np.float64) for lab in labs])
        cnt = np.array([(labels == lab).sum() for lab in labs])
        i, j = np.triu_indices(len(labs), 1)
        m = _margins(sums[i], cnt[i], sums[j], cnt[j], tau)
        for k in np.argsort(-m):
            if m[k] < 0:
                return labels
            a, b = labs[i[k]], labs[j[k]]
            if not np.intersect1d(photos[labels == a], photos[labels == b]).size:
                labels[labels == b] = a
                break
        else:
            return labels


def propose_split(lib, person_id: int) -> list[list[int]]:
    """Sub-groups of a group, largest first: the grouping run on the group's faces alone with a 100 times
    stricter stranger rate (where that keeps one group, two parts around its two least similar faces), then the
    parts that pass the grouping's same-person test joined again. One part: the group looks like one person."""
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
    labels = _join_alike(x, photos, labels, stranger_tau(lib))
    parts = [ids[labels == lab].tolist() for lab in np.unique(labels)]
    return sorted(parts, key=lambda p: (-len(p), p[0]))
