"""Identity decisions as pure numpy: how face similarities become a name or "unknown".

An identity's score for a query face is the cosine similarity to the identity's
*centroid*, the normalised mean of its enrolled face embeddings. Chosen by
measurement on LFW View 1 (``benchmarks/score_rule.py``): at 1% of strangers named
it names more enrolled people than the best single face or the mean of the best 2
or 3 faces, with 1 to 10 photos per person (docs/accuracy.md). The face index
finds the candidate people (those with a face among the query's nearest
``SEARCH_FACES``); their centroids score them. A face is named when the best
identity's score reaches the 1:N threshold; otherwise it is unknown (``None``).
Candidates are always reported.
"""

from __future__ import annotations

import numpy as np

from core.decide import population_mean

SEARCH_FACES = 64           # faces fetched per query to find the candidate people
RULE = "cosine to the normalised mean of the person's face embeddings"

Candidates = list[tuple[str, float]]


def centroid(faces: np.ndarray) -> np.ndarray:
    """(n, D) unit rows -> (D,) the unit vector of their mean."""
    c = np.asarray(faces, np.float64).mean(axis=0)
    return (c / max(np.linalg.norm(c), 1e-12)).astype(np.float32)


def centroids(identities: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {name: centroid(f) for name, f in identities.items() if len(f)}


def rule_scores(queries: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """The identity score of each query (Q, D) for one identity with ``faces`` (n, D): (Q,)."""
    return np.asarray(queries, np.float32) @ centroid(faces)


def identity_score(query: np.ndarray, faces: np.ndarray) -> float:
    return float(rule_scores(np.asarray(query)[None], faces)[0])


def rank(ids: np.ndarray, owner: dict[int, str], queries: np.ndarray, cents: dict[str, np.ndarray],
         k: int) -> list[Candidates]:
    """Per query: the people owning its face hits (``ids`` (Q, K), -1 = none), scored by their centroids,
    best first, at most ``k``."""
    ids = np.asarray(ids)
    if ids.ndim != 2 or len(ids) != len(queries):
        raise ValueError(f"ids {ids.shape} must be (Q, K) for {len(queries)} queries")
    out: list[Candidates] = []
    for q, row in zip(np.asarray(queries, np.float32), ids):
        names = list(dict.fromkeys(owner[int(i)] for i in row if i >= 0 and int(i) in owner and owner[int(i)] in cents))
        scored = sorted(((n, float(q @ cents[n])) for n in names), key=lambda t: -t[1])
        out.append(scored[:k])
    return out


def decide_name(candidates: Candidates, threshold: float,
                person_thresholds: dict[str, float] | None = None) -> tuple[str | None, float]:
    """(best candidate's name, its score) when the score reaches its threshold (the person's own when
    given, never below ``threshold``), else (None, score); (None, -1.0) without candidates."""
    if not candidates:
        return None, -1.0
    name, score = candidates[0]
    bar = max(threshold, (person_thresholds or {}).get(name, threshold))
    return (name if score >= bar else None), float(score)


# ---------------------------------------------------------------- per-person adaptation and look-alikes

MAX_SHIFT = 0.08          # a person's own threshold is at most this much above the gallery's
MIN_COHORT = 20           # faces of other people needed before a person's threshold is adapted
MAX_FACES = 20_000        # above this many enrolled faces adaptation is skipped (cost grows with faces^2)


def cohort_scores(faces: np.ndarray, others: np.ndarray) -> np.ndarray:
    """The identity score of each of ``others`` (M, D) for the identity with ``faces`` (n, D): (M,)."""
    return rule_scores(others, faces)


def adapt_people(identities: dict[str, np.ndarray], threshold: float, impostor: dict | None = None
                 ) -> tuple[dict[str, float], list[dict]]:
    """Per-person thresholds and look-alike warnings from the gallery itself.

    For each person, every other enrolled person's faces are a cohort of impostors. When the
    cohort scores higher against this person than strangers score against an average person
    (the model's impostor statistics), the person attracts look-alikes, and their threshold is
    raised by the difference (at most ``MAX_SHIFT``). When another person's face would itself
    be named as this person at ``threshold``, both are reported as look-alikes.
    Returns ({name: threshold} for adapted people, [{"person", "like", "score"}]).
    """
    names = sorted(identities)
    total = sum(len(v) for v in identities.values())
    thresholds: dict[str, float] = {}
    lookalikes: list[dict] = []
    if len(names) < 2 or total > MAX_FACES:
        return thresholds, lookalikes
    owner = np.concatenate([[i] * len(identities[n]) for i, n in enumerate(names)])
    allf = np.concatenate([identities[n] for n in names]).astype(np.float32)
    for i, name in enumerate(names):
        others = owner != i
        s = cohort_scores(identities[name], allf[others])
        who = owner[others]
        if impostor and len(s) >= MIN_COHORT:
            shift = float(np.clip(s.mean() - population_mean(impostor, len(identities[name])), 0.0, MAX_SHIFT))
            if shift > 1e-4:
                thresholds[name] = threshold + shift
        for j in np.unique(who[s >= threshold]):
            best = float(s[who == j].max())
            lookalikes.append({"person": name, "like": names[j], "score": round(best, 4)})
    return thresholds, lookalikes
