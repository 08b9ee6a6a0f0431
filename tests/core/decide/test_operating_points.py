"""Operating points with their provenance, the quality gate, look-alikes and LFW's file formats
(synthetic data: LFW itself cannot be fetched in CI)."""

import numpy as np
import pytest

from core.config import Settings
from core.decide import identify_point, verify_point
from core.decide.metrics import far_table, tail_table
from core.gallery import Gallery
from core.zoo import save_calibration
from tests.fakes import FakeAnalyzer, FakeEmbedder, photo


def _calibration(spec, fp):
    rng = np.random.default_rng(0)
    imp = rng.normal(0.0, 0.1, 200_000)
    return save_calibration(spec, fp, {
        "provenance": {"data": "synthetic", "date": "2026-11-23"},
        "verify": {**far_table(imp), "tar": []},
        "impostor": {"k": [1, 5], "tables": [tail_table(imp), tail_table(rng.normal(0.02, 0.1, 200_000))]},
    })


def test_each_point_says_where_it_came_from(tmp_path):
    fake = FakeAnalyzer(FakeEmbedder(name="fake-calibrated")).embedder  # calibrations persist per model
    s = Settings()
    assert verify_point(fake.spec, s, fingerprint=fake.fingerprint).source == "fallback"
    assert verify_point(fake.spec, s, 0.42).to_json() == {"threshold": 0.42, "source": "override"}
    _calibration(fake.spec, fake.fingerprint)
    v = verify_point(fake.spec, s, fingerprint=fake.fingerprint)
    assert v.source == "calibration" and v.target == {"far": 1e-3} and v.provenance["data"] == "synthetic"
    assert 0.25 < v.threshold < 0.36                         # ~3.1 sigma of N(0, 0.1) for FAR 1e-3
    small = identify_point(fake.spec, s, [5] * 5, fingerprint=fake.fingerprint)
    large = identify_point(fake.spec, s, [5] * 500, fingerprint=fake.fingerprint)
    assert small.source == large.source == "gallery" and large.threshold > small.threshold
    assert large.target == {"fpir": 0.01, "identities": 500}
    assert identify_point(fake.spec, s.replace(identify_threshold=0.6), [5]).source == "override"


def test_gallery_threshold_follows_its_size_and_the_quality_gate_names_no_one(tmp_path):
    fake = FakeAnalyzer(FakeEmbedder(name="fake-calibrated"))
    _calibration(fake.embedder.spec, fake.embedder.fingerprint)
    d = tmp_path / "photos"
    d.mkdir()
    with Gallery(tmp_path / "g", settings=Settings(), analyzer=fake) as g:
        g.enroll("p0", [photo(d / f"a{i}.png", 0, i) for i in range(5)])
        one = g.operating_point().threshold
        for k in range(1, 6):
            g.enroll(f"p{k}", [photo(d / f"p{k}_{i}.png", k, i) for i in range(5)])
        assert g.operating_point().threshold > one      # recomputed when the gallery changes
        probe = photo(d / "probe.png", 0, 99)
        ok = g.identify_paths([probe])[0]["faces"][0]
        assert ok["name"] == "p0" and ok["quality"] > 0.35
        from PIL import Image

        Image.open(probe).resize((14, 14)).save(d / "tiny.png")  # a face too small to trust
        low = g.identify_paths([d / "tiny.png"])[0]["faces"][0]
        assert low["name"] is None and low["reason"] == "low_quality" and low["quality"] < 0.35


def test_lookalikes_are_reported_at_enrolment(tmp_path):
    fake = FakeAnalyzer()
    d = tmp_path / "photos"
    d.mkdir()
    with Gallery(tmp_path / "g", settings=Settings(), analyzer=fake) as g:
        g.enroll("ann", [photo(d / f"a{i}.png", 3, i) for i in range(4)])
        rep = g.enroll("ann-twin", [photo(d / f"t{i}.png", 3, 50 + i) for i in range(4)])  # the same colour: alike
        assert rep.warnings and "looks like ann" in rep.warnings[0]
        rep = g.enroll("bob", [photo(d / f"b{i}.png", 9, i) for i in range(4)])
        assert rep.warnings == []


def test_lfw_pair_files_and_missing_parts(tmp_path):
    from core.errors import DatasetError
    from core.evaluation.lfw import check_tree, read_pairs, read_people

    p = tmp_path / "pairs.txt"
    p.write_text("2\t1\nAnn\t1\t2\nAnn\t1\tBob\t3\nCy\t2\t4\nCy\t1\tDee\t1\n")
    pairs = read_pairs(p)
    assert [(x.same, x.fold) for x in pairs] == [(True, 0), (False, 0), (True, 1), (False, 1)]
    assert pairs[1].a == ("Ann", 1) and pairs[1].b == ("Bob", 3)
    (tmp_path / "people.txt").write_text("2\nAnn\t2\nBob\t3\n")
    assert read_people(tmp_path / "people.txt") == [("Ann", 2), ("Bob", 3)]
    p.write_text("2\t1\nAnn\t1\t2\n")
    with pytest.raises(DatasetError, match="expected 4 pairs"):
        read_pairs(p)
    with pytest.raises(DatasetError, match="images_deepfunneled"):
        check_tree(tmp_path, ("pairs.txt",))


def test_a_weak_model_gets_the_strictest_1to1_point_that_still_accepts_true_matches():
    from core.decide.operating_points import MIN_VERIFY_TAR

    fake = FakeAnalyzer(FakeEmbedder(name="fake-weak")).embedder
    rng = np.random.default_rng(1)
    imp, gen = rng.normal(0.0, 0.1, 200_000), rng.normal(0.3, 0.1, 20_000)  # poorly separated
    table = far_table(imp)
    table["tar"] = [float(np.mean(gen >= t)) for t in table["threshold"]]
    save_calibration(fake.spec, fake.fingerprint, {"provenance": {"data": "synthetic"}, "verify": table})
    v = verify_point(fake.spec, Settings(), fingerprint=fake.fingerprint)
    assert v.target["requested_far"] == 1e-3 and v.target["far"] > 1e-3 and "note" in v.target
    assert np.mean(gen >= v.threshold) >= MIN_VERIFY_TAR - 0.01
    stricter = [f for f, t in zip(table["far"], table["tar"]) if f < v.target["far"]]
    assert all(t < MIN_VERIFY_TAR for f, t in zip(table["far"], table["tar"]) if f in stricter)
    loose = verify_point(fake.spec, Settings(verify_far=0.1), fingerprint=fake.fingerprint)
    assert loose.target == {"far": 0.1}                            # a looser request is kept as asked
