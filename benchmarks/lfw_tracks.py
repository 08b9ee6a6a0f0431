"""Per-track decisions on LFW: a person's photos are one track; calibrate on View 1 people, report on the rest.

    python benchmarks/lfw_tracks.py embed LFW_DIR                 # every LFW photo: embedding and quality (cached)
    python benchmarks/lfw_tracks.py choose LFW_DIR                # View 1: pooling rules compared (DIR at 1% FPIR)
    python benchmarks/lfw_tracks.py calibrate LFW_DIR [--save]    # View 1: the pooled track's impostor tails
    python benchmarks/lfw_tracks.py report LFW_DIR [--json]       # the rest: per frame vs per track, at both points

Everything runs through the app's pipeline (default model, ``yunet-onet``, the face nearest the centre, no flip, the
quality of :mod:`core.faces.quality`). Embeddings come from the evaluation cache (:mod:`core.evaluation.face_cache`);
the (embedding, quality) of each photo is also kept in ``--work`` (default ``~/.cache/facerec/lfw-tracks``) so a
re-run takes seconds.

**Calibrate (View 1 only).** ``peopleDevTrain`` people with at least k photos are enrolled with k random photos
(k = 1, 2, 3, 5, 10, 20, as :mod:`core.evaluation.calibrate`); every ``peopleDevTest`` person with two photos or more
is a stranger *track* (a track shows a face more than once; 569 tracks): their photos in order (at most
``TRACK_LEN``), pooled step by step as :class:`core.live.evidence.Evidence` does, and
decided after every step. The statistic of a stranger track against one identity is the *highest* pooled score
along the track (a track is named as soon as it reaches the threshold), and its exceedance tables per k are the
track calibration: :func:`core.decide.open_set.open_set_threshold` turns them into a gallery's track threshold
exactly as it does the per-face tables.

**Report (never seen by the calibration as strangers).** People with at least 10 photos are enrolled with their
first 5 (as ``benchmarks/lfw_openset.py``); the rest of their photos are genuine tracks of at most ``TRACK_LEN``
photos; strangers are the ``peopleDevTrain`` people with 2 to 9 photos (never a calibration stranger) as one track
each, and the single-photo people as one-photo tracks.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TRACK_LEN = 10
K_BUCKETS = (1, 2, 3, 5, 10, 20)
SEED = 20261204


# ---------------------------------------------------------------- embed every LFW photo once


def all_people(lfw: Path) -> dict[str, int]:
    """{person: photos} of all LFW (``people.txt``'s ten sets)."""
    from core.evaluation.lfw import read_people

    lines = [ln.split() for ln in (lfw / "people.txt").read_text().splitlines() if ln.strip()]
    out: dict[str, int] = {}
    for row in lines:
        if len(row) == 2 and not row[0].isdigit():
            out[row[0]] = int(row[1])
    for f in ("peopleDevTrain.txt", "peopleDevTest.txt"):
        out.update(dict(read_people(lfw / f)))
    return out


def embed_all(lfw: Path, work: Path, model: str | None = None) -> Path:
    """(embedding, quality) of the face nearest the centre of every LFW photo -> ``work/<model>.npz``."""
    from core.config import load_settings
    from core.evaluation.face_cache import CachedAnalyzer, choose
    from core.evaluation.lfw import image_path
    from core.faces import FaceAnalyzer, assess, load_image

    an = CachedAnalyzer(FaceAnalyzer(load_settings(model=model), warmup=False))
    out = work / f"{an.embedder.name}-{an.detector.name}.npz"
    names = [(p, i) for p, n in sorted(all_people(lfw).items()) for i in range(1, n + 1)]
    emb = np.zeros((len(names), an.embedder.dim), np.float32)
    quality = np.zeros(len(names), np.float32)
    found = np.zeros(len(names), bool)
    t0 = time.time()
    for j, (person, i) in enumerate(names):
        path = str(image_path(lfw, person, i))
        img = load_image(path)
        faces = an.detect_cached(path, img)
        face = choose(faces, img.shape[:2], "centre")
        if face is not None:
            idx = next(k for k, f in enumerate(faces) if f is face)
            crops, e = an.embed_faces(path, img, [face], indexes=[idx])
            emb[j], quality[j], found[j] = e[0], assess(face, crops[0], img.shape[:2]).score, True
        if j % 500 == 0:
            print(f"{j}/{len(names)} {time.time() - t0:.0f} s", flush=True)
    work.mkdir(parents=True, exist_ok=True)
    np.savez(out, person=np.array([p for p, _ in names]), index=np.array([i for _, i in names]),
             embedding=emb, quality=quality, found=found, model=an.embedder.name, detector=an.detector.name)
    print(f"{len(names)} photos ({int(found.sum())} with a face) in {time.time() - t0:.0f} s -> {out}")
    return out


# ---------------------------------------------------------------- the data


class Photos:
    """Every LFW photo's embedding (N, D), quality (N,) and owner, read from ``embed_all``'s file."""

    def __init__(self, path: Path):
        d = np.load(path)
        self.person, self.index = d["person"], d["index"]
        self.embedding, self.quality, self.found = d["embedding"], d["quality"], d["found"]
        self.model, self.detector = str(d["model"]), str(d["detector"])
        self.rows: dict[str, np.ndarray] = {}
        for j, p in enumerate(self.person):
            self.rows.setdefault(str(p), []).append(j)  # type: ignore[attr-defined]
        self.rows = {k: np.asarray(v) for k, v in self.rows.items()}

    def usable(self, person: str) -> np.ndarray:
        """Rows of ``person``'s photos in which a face was found, in LFW order."""
        r = self.rows[person]
        return r[self.found[r]]


def view1(lfw: Path) -> tuple[list[str], list[str]]:
    from core.evaluation.lfw import read_people

    return ([p for p, _ in read_people(lfw / "peopleDevTrain.txt")],
            [p for p, _ in read_people(lfw / "peopleDevTest.txt")])


def tracks_of(photos: Photos, people: list[str], cap: int = TRACK_LEN, skip: int = 0) -> list[np.ndarray]:
    """One track per person: rows of their usable photos after the first ``skip``, in order, at most ``cap``
    (people with more photos give several tracks)."""
    out = []
    for p in people:
        r = photos.usable(p)[skip:]
        out += [r[i:i + cap] for i in range(0, len(r), cap) if len(r[i:i + cap])]
    return out


def pooled_steps(photos: Photos, tracks: list[np.ndarray], rule: str, min_q: float) -> tuple[np.ndarray, np.ndarray]:
    """(S, D) the pooled embedding after each step of every track under ``rule`` and (S,) its track number;
    steps whose track has no usable face yet are zero rows."""
    from core.live.evidence import Evidence

    rows, owner = [], []
    for ti, tr in enumerate(tracks):
        ev, best = Evidence(), (-1.0, None)
        for j in tr:
            e, q = photos.embedding[j], float(photos.quality[j])
            if rule == "mean":
                ev.add(e, 1.0 if q >= min_q else 0.0, min_q)
            elif rule == "quality^2":
                ev.add(e, q * q if q >= min_q else 0.0, min_q * min_q)
            elif rule == "best face":
                if q >= min_q and q > best[0]:
                    best = (q, e)
                ev = Evidence(None if best[1] is None else np.asarray(best[1], np.float64), 1.0)
            elif rule == "last face":
                ev = Evidence()
                ev.add(e, q, min_q)
            else:  # "quality" (the app's rule)
                ev.add(e, q, min_q)
            p = ev.pooled()
            rows.append(np.zeros(photos.embedding.shape[1], np.float32) if p is None else p)
            owner.append(ti)
    return np.stack(rows), np.asarray(owner)


def enrol_centroids(photos: Photos, people: list[str], k: int, rng=None, min_q: float = 0.0) -> np.ndarray:
    """(P, D) centroids of ``people`` enrolled with k photos each (random when ``rng``, else their first k usable
    photos of quality >= ``min_q``, as the enrolment policy refuses the others)."""
    from core.gallery.identity import centroid

    out = []
    for p in people:
        r = photos.usable(p)
        r = r[photos.quality[r] >= min_q] if rng is None else r
        out.append(centroid(photos.embedding[rng.choice(r, k, replace=False) if rng is not None else r[:k]]))
    return np.stack(out)


def track_max(steps: np.ndarray, owner: np.ndarray, cents: np.ndarray) -> np.ndarray:
    """(tracks, P): each track's highest pooled score along its steps for each identity."""
    starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    out = []
    for a in range(0, len(cents), 1024):
        s = steps @ cents[a:a + 1024].T
        s[~steps.any(axis=1)] = -1.0
        out.append(np.maximum.reduceat(s, starts, axis=0))
    return np.concatenate(out, axis=1)


def choose(lfw: Path, photos: Photos, settings, a) -> dict:
    """View 1: per pooling rule, at the threshold naming 1% of the multi-photo stranger tracks (their highest
    score along the track): genuine tracks right at their end, and the share of their steps named right."""
    train, test = view1(lfw)
    rng = np.random.default_rng(SEED)
    enrolled = [p for p in train if len(photos.usable(p)) >= 7]
    cents = enrol_centroids(photos, enrolled, 5, rng)
    gen_people, gen_tracks = [], []
    for i, p in enumerate(enrolled):  # the photos not enrolled: a track (random enrolment above; LFW order here)
        for tr in tracks_of(photos, [p], skip=5):
            gen_people.append(i)
            gen_tracks.append(tr)
    strangers = [t for t in tracks_of(photos, test) if len(t) > 1]
    q = photos.quality[photos.found]
    out = {"enrolled": len(enrolled), "genuine_tracks": len(gen_tracks), "stranger_tracks": len(strangers),
           "quality": {"below_min": round(float(np.mean(q < settings.min_quality)), 4),
                       "median": round(float(np.median(q)), 3)}, "rules": {}}
    for rule in ("quality", "mean", "quality^2", "best face", "last face"):
        s_steps, s_owner = pooled_steps(photos, strangers, rule, settings.min_quality)
        thr = float(np.quantile(track_max(s_steps, s_owner, cents).max(axis=1), 1 - settings.identify_fpir))
        g_steps, g_owner = pooled_steps(photos, gen_tracks, rule, settings.min_quality)
        truth = np.asarray(gen_people)[g_owner]
        sc = g_steps @ cents.T
        ok = (sc.argmax(axis=1) == truth) & (sc.max(axis=1) >= thr)
        last = np.flatnonzero(np.r_[g_owner[1:] != g_owner[:-1], True])
        out["rules"][rule] = {"threshold": round(thr, 4), "tracks_right_at_end": round(float(ok[last].mean()), 4),
                              "steps_right": round(float(ok.mean()), 4)}
    return out


def calibrate(lfw: Path, photos: Photos, settings, a) -> dict:
    """View 1: tails of a stranger track's highest pooled score against one identity with k faces."""
    from core.decide.metrics import tail_table
    from core.decide.open_set import open_set_threshold
    from core.gallery.identity import RULE
    from core.zoo import get_spec

    train, test = view1(lfw)
    rng = np.random.default_rng(SEED)
    strangers = [t for t in tracks_of(photos, test) if len(t) > 1]   # a track: two faces or more
    steps, owner = pooled_steps(photos, strangers, "quality", settings.min_quality)
    tables, ks = [], []
    for k in K_BUCKETS:
        people = [p for p in train if len(photos.usable(p)) >= k]
        if len(people) < 20:
            break
        tab = tail_table(track_max(steps, owner, enrol_centroids(photos, people, k, rng)).ravel())
        tab["identities"] = len(people)
        tables.append(tab)
        ks.append(k)
    imp = {"k": ks, "tables": tables, "rule": RULE + "; the track: quality-weighted mean of its face embeddings, "
           f"its highest score over up to {TRACK_LEN} photos", "strangers": int(owner.max() + 1)}
    from core.zoo import fingerprint

    spec = get_spec(photos.model)
    doc = {"model": spec.name, "fingerprint": fingerprint(spec),
           "provenance": {"data": "LFW View 1 people split (peopleDevTrain: enrolled; peopleDevTest: stranger tracks, "
                                  f"each person's photos in order, at most {TRACK_LEN}), images_deepfunneled",
                          "pipeline": f"{photos.detector} detector, face nearest the centre, {spec.template} alignment, "
                                      "no flip, quality-weighted pooling (min_quality "
                                      f"{settings.min_quality})", "date": time.strftime("%Y-%m-%d"),
                          "made_by": "benchmarks/lfw_tracks.py calibrate"},
           "impostor": imp,
           "summary": {"track_fpir_1e-2": {str(n): round(open_set_threshold(imp, [5] * n, 0.01), 4)
                                           for n in (1, 5, 50, 500)}}}
    if a.save:
        from core.fileutil import write_bytes_atomic
        from core.zoo.calibration_store import BUNDLED

        write_bytes_atomic(BUNDLED / f"{spec.name}-track.json", (json.dumps(doc, indent=1) + "\n").encode())
    return {"summary": doc["summary"], "strangers": imp["strangers"], "k": ks, "saved": a.save}


def follow(score_rows: np.ndarray, names: list[str], thr: float, per_face: bool, usable: np.ndarray) -> list:
    """The name shown after each step of one track: ``score_rows`` (T, P) pooled (or, ``per_face``, single-photo)
    scores; per track with :func:`decide_track`'s hysteresis, per face with the plain rule and the quality gate."""
    from core.gallery.identity import decide_name
    from core.live.evidence import decide_track

    shown, cur = [], None
    for t, row in enumerate(score_rows):
        top = np.argsort(-row)[:5]
        cands = [(names[i], float(row[i])) for i in top]
        if per_face:
            cur = decide_name(cands, thr)[0] if usable[t] else None
        elif usable[: t + 1].any():
            cur = decide_track(cands, thr, cur).name
        shown.append(cur)
    return shown


def report(lfw: Path, photos: Photos, settings, a) -> dict:
    """People never used as calibration strangers: per-frame vs per-track decisions at both operating points."""
    from core.decide import identify_point
    from core.live.evidence import track_point
    from core.zoo import fingerprint, get_spec

    spec = get_spec(photos.model)
    train, _test = view1(lfw)
    people = all_people(lfw)
    q_ok = photos.quality >= settings.min_quality
    enrolled = sorted(p for p, n in people.items() if n >= 10)
    cents = enrol_centroids(photos, enrolled, 5, min_q=settings.min_quality)
    counts = [5] * len(enrolled)
    face_thr = identify_point(spec, settings, counts, fingerprint=fingerprint(spec)).threshold
    tpoint = track_point(spec, settings, counts, fingerprint(spec))
    genuine = []
    for i, p in enumerate(enrolled):
        r = photos.usable(p)
        keep = r[q_ok[r]][:5]
        rest = np.array([j for j in r if j not in set(keep)])
        genuine += [(i, rest[s:s + TRACK_LEN]) for s in range(0, len(rest), TRACK_LEN)]
    strangers = [(-1, tr) for tr in tracks_of(photos, [p for p in train if people[p] < 10])]
    out = {"model": spec.name, "detector": photos.detector, "enrolled": len(enrolled),
           "genuine_tracks": len(genuine), "genuine_photos": int(sum(len(t) for _, t in genuine)),
           "stranger_tracks": len(strangers), "stranger_photos": int(sum(len(t) for _, t in strangers)),
           "stranger_tracks_multi": int(sum(len(t) > 1 for _, t in strangers)),
           "face_threshold": round(face_thr, 4), "track_point": tpoint.to_json()}
    for label, thr, per_face in (("per_face", face_thr, True), ("per_track_at_face_threshold", face_thr, False),
                                 ("per_track", tpoint.threshold, False)):
        steps, _ = pooled_steps(photos, [t for _, t in genuine + strangers], "quality", settings.min_quality)
        rows = (photos.embedding[np.concatenate([t for _, t in genuine + strangers])] if per_face else steps) @ cents.T
        k = 0
        g_right_steps = g_steps = g_end_right = g_wrong = s_named = s_multi = s_frames_named = s_frames = 0
        first, changes = [], []
        for who, tr in genuine + strangers:
            shown = follow(rows[k:k + len(tr)], enrolled, thr, per_face, q_ok[tr])
            k += len(tr)
            real = [n for n in shown if n is not None]
            changes.append(sum(1 for x, y in zip(shown, shown[1:]) if x is not None and x != y))
            if who >= 0:
                truth = enrolled[who]
                g_steps += len(tr)
                g_right_steps += sum(n == truth for n in shown)
                g_end_right += shown[-1] == truth
                g_wrong += any(n not in (None, truth) for n in shown)
                if truth in shown:
                    first.append(shown.index(truth) + 1)
            else:
                s_named += bool(real)
                s_multi += bool(real) and len(tr) > 1
                s_frames_named += len(real)
                s_frames += len(tr)
        ng, ns = len(genuine), len(strangers)
        out[label] = {"threshold": round(thr, 4), "frames_named_right": round(g_right_steps / g_steps, 4),
                      "tracks_right_at_end": round(g_end_right / ng, 4),
                      "tracks_ever_named_wrong": round(g_wrong / ng, 4),
                      "stranger_tracks_named": round(s_named / ns, 4), "stranger_tracks_named_n": s_named,
                      "multi_photo_stranger_tracks_named": round(s_multi / out["stranger_tracks_multi"], 4),
                      "stranger_frames_named": round(s_frames_named / s_frames, 4),
                      "photos_to_first_name": {"median": float(np.median(first)) if first else None,
                                               "mean": round(float(np.mean(first)), 3) if first else None},
                      "name_changes_per_track": round(float(np.mean(changes)), 4)}
    return out


def _text(doc: dict) -> str:
    return json.dumps(doc, indent=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("stage", choices=("embed", "choose", "calibrate", "report"))
    ap.add_argument("lfw", type=Path)
    ap.add_argument("--work", type=Path, default=Path.home() / ".cache" / "facerec" / "lfw-tracks")
    ap.add_argument("--model", default=None)
    ap.add_argument("--save", action="store_true", help="calibrate: write the bundled track calibration")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.stage == "embed":
        embed_all(a.lfw, a.work, a.model)
        return
    photos = Photos(a.work / f"{a.model or 'sface'}-yunet-onet.npz")
    from core.config import load_settings

    settings = load_settings(model=photos.model)
    doc = {"choose": choose, "calibrate": calibrate, "report": report}[a.stage](a.lfw, photos, settings, a)
    print(json.dumps(doc, indent=1) if a.json else _text(doc))


if __name__ == "__main__":
    main()
