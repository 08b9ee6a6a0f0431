"""Pooling, hysteresis, the embedding budget and the appearance log as pure logic (the real-face behaviour is in
test_tracks.py)."""

from __future__ import annotations

import csv
import io
import json
from types import SimpleNamespace

import numpy as np

from core.live import evidence
from core.live.appearances import KEEP_FACES, AppearanceLog, face_region
from core.live.evidence import Budget, Evidence, decide_track, plan_embeddings, pool, track_calibration, track_point

HOLD, SATURATED, SWITCH = evidence.HOLD, evidence.SATURATED, evidence.SWITCH


def unit(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return v / np.linalg.norm(v)


def test_evidence_is_the_quality_weighted_mean_and_ignores_unusable_faces():
    ev = Evidence()
    assert ev.pooled() is None and ev.agrees(unit([1, 0]))
    assert ev.add(unit([1, 0]), 0.9, 0.35) == 0.9
    assert ev.add(unit([0, 1]), 0.3, 0.35) == 0.0            # below min_quality: no weight
    assert ev.add(unit([0, 1]), 0.45, 0.35) == 0.45
    assert (ev.faces, ev.seen) == (2, 3)
    np.testing.assert_allclose(ev.pooled(), unit([0.9, 0.45]), atol=1e-6)
    assert not ev.agrees(unit([-1, 0])) and ev.agrees(unit([1, 0.2]))
    np.testing.assert_allclose(pool(np.array([unit([1, 0]), unit([0, 1])]), np.array([0.9, 0.45]), 0.35),
                               unit([0.9, 0.45]), atol=1e-6)
    assert pool(np.array([unit([1, 0])]), np.array([0.1]), 0.35) is None


def test_a_name_appears_at_the_threshold_holds_and_changes_only_on_clear_evidence():
    thr = 0.5
    assert decide_track([("ada", 0.49)], thr).name is None
    assert decide_track([("ada", 0.50)], thr).name == "ada"
    assert decide_track([("ada", thr - HOLD + 0.01)], thr, current="ada").name == "ada"   # held
    assert decide_track([("ada", thr - HOLD - 0.01)], thr, current="ada").name is None    # no longer supported
    close = decide_track([("bob", 0.60), ("ada", 0.60 - SWITCH + 0.01)], thr, current="ada")
    assert close.name == "ada" and close.switched_from is None                           # not clearly bob
    clear = decide_track([("bob", 0.70), ("ada", 0.70 - SWITCH - 0.01)], thr, current="ada")
    assert clear.name == "bob" and clear.switched_from == "ada"
    assert decide_track([("ada", 0.55)], thr, person_thresholds={"ada": 0.6}).name is None
    assert decide_track([], thr) .name is None


def test_the_budget_goes_to_new_then_unnamed_then_least_evidenced_tracks():
    def track(i, at):
        return SimpleNamespace(id=i, embedded_at=at)

    def state(w, name=None):
        return SimpleNamespace(evidence=Evidence(None, w), name=name)

    tracks = [track(1, 0.9), track(2, None), track(3, 0.95), track(4, 0.5), track(5, 0.99)]
    states = {1: state(3.0, "ada"), 3: state(1.0), 4: state(0.5, "bob"), 5: state(SATURATED + 1, "cy")}
    order = [t.id for t in plan_embeddings(tracks, states, now=1.0, budget=10, refresh_s=1.0)]
    assert order == [2, 3, 4, 1]                       # 5 is saturated and was embedded 0.01 s ago
    assert [t.id for t in plan_embeddings(tracks, states, now=2.0, budget=2)] == [2, 3]
    b = Budget(frame_ms=40, cap=4)
    b.detect_ms, b.embed_ms = 8.0, 12.0
    assert b.per_frame() == 2
    for _ in range(50):
        b.measured(detect_ms=30.0, embed_ms=40.0, faces=2)
    assert b.per_frame() == 1                           # never below the floor


def test_the_track_point_is_calibrated_for_every_built_in_model_and_falls_back_for_other_weights():
    from core.config import Settings
    from core.decide import identify_point
    from core.zoo import get_spec

    spec = get_spec("sface")
    assert track_calibration(spec) is not None
    p = track_point(spec, Settings(), [5] * 10)
    assert p.source == "track" and p.target["per"] == "track" and -1 < p.threshold < 1
    assert track_point(spec, Settings(), [5] * 10, override=0.4).threshold == 0.4
    assert abs(evidence.track_stranger_rate(spec, [5] * 10, p.threshold) - 0.01) < 1e-3
    for name in ("arcface-mbf", "facenet", "openface"):
        other = get_spec(name)
        assert track_calibration(other) is not None and track_point(other, Settings(), [5]).source == "track"
        assert track_point(other, Settings(), [5]).threshold > identify_point(other, Settings(), [5]).threshold
    retrained = "0" * 64            # the same model name with other weights: its own track tails are not known
    assert track_calibration(spec, retrained) is None
    assert (track_point(spec, Settings(), [5], retrained).threshold
            == identify_point(spec, Settings(), [5], fingerprint=retrained).threshold)
    assert evidence.track_stranger_rate(spec, [5], 0.5, retrained) is None


def test_the_log_keeps_one_entry_per_track_its_best_faces_and_exports(tmp_path):
    log = AppearanceLog()
    img = np.zeros((100, 100, 3), np.uint8)
    for t in range(5):
        log.seen(1, t * 0.04, None, 0.2).offer_face(0.1 * t, face_region(img, [10, 10, 50, 50]))
    log.seen(1, 0.2, "ada", 0.71)
    log.seen(1, 0.24, None, 0.30)                        # a name once given stays in the entry
    log.seen(2, 0.24, None, 0.1, switched_from="bob")
    log.end([1])
    a = log.get(1)
    assert (a.name, a.frames, a.first_seen, a.last_seen, a.active) == ("ada", 7, 0.0, 0.24, False)
    assert len(a.faces) == KEEP_FACES and [q for q, _ in a.faces] == sorted([q for q, _ in a.faces], reverse=True)
    assert a.best_face.shape == (66, 66, 3)           # the 40 px box and 40% margins, cut by the image
    rows = list(csv.DictReader(io.StringIO(log.to_csv())))
    assert [(r["track"], r["name"], r["frames"]) for r in rows] == [("1", "ada", "7"), ("2", "", "1")]
    doc = json.loads(log.save(tmp_path / "seen.json").read_text())
    assert doc["people"] == ["ada"] and doc["unknown_tracks"] == 1 and "faces" not in doc["appearances"][0]
    assert log.save(tmp_path / "seen.csv").read_text().startswith("track,name,")
    assert len(log.to_json(faces=True)["appearances"][0]["faces"]) == KEEP_FACES
    import pytest

    from core.errors import UsageError
    from core.paths import data_dir

    with pytest.raises(UsageError):                      # plain files never go into the app's (encrypted) folders
        log.save(data_dir() / "seen.csv")


def test_the_tracker_finds_a_lost_track_nearby_and_a_split_starts_a_new_id():
    from core.faces import DetectedFace
    from core.live.tracking import IoUTracker

    def det(x, size=60):
        return DetectedFace(np.array([x, 100, x + size, 100 + size], np.float32), np.zeros((5, 2), np.float32), 0.9)

    tr = IoUTracker(max_missed=3)
    a = tr.update([det(100)], 0.0)[0]
    tr.update([], 0.04)
    assert tr.update([det(150)], 0.08)[0].id == a.id          # IoU 0.09 but 50 px away: found again
    assert tr.update([det(400)], 0.12)[0].id != a.id          # far away: someone new
    b = tr.split(tr.tracks[0])
    assert b.id not in (a.id,) and a.id in tr.ended and tr.tracks[0] is b
    for t in (0.16, 0.2, 0.24, 0.28, 0.32):
        tr.update([], t)
    assert tr.tracks == [] and len(set(tr.ended)) == 3
