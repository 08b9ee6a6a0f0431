"""The gallery's four parts with a fake embedder: milliseconds, no TensorFlow (real faces: test_service.py)."""

import numpy as np
import pytest

from core.config import Settings
from core.gallery import Gallery
from core.gallery.identity import decide_name, identity_score
from tests.fakes import FakeAnalyzer, FakeEmbedder, photo


@pytest.fixture
def people(tmp_path):
    """4 people x 5 photos, plus one photo of each as a probe."""
    d = tmp_path / "photos"
    d.mkdir()
    enrol = {f"p{k}": [photo(d / f"p{k}_{v}.png", k, v) for v in range(5)] for k in range(4)}
    probes = {f"p{k}": photo(d / f"p{k}_probe.png", k, 99) for k in range(4)}
    return enrol, probes


@pytest.fixture
def gallery(tmp_path):
    g = Gallery(tmp_path / "g", settings=Settings(model="facenet"), analyzer=FakeAnalyzer())
    yield g
    g.close()


def test_enrol_then_identify_names_each_person(gallery, people):
    enrol, probes = people
    for name, paths in enrol.items():
        assert gallery.enroll(name, paths).added == 5
    assert gallery.count() == (4, 20) and len(gallery.index()) == 20
    got = [r["faces"][0]["name"] for r in gallery.identify_paths(probes.values())]
    assert got == list(probes)


def test_enrolment_policy_reasons(gallery, people, tmp_path):
    from PIL import Image

    enrol, _ = people
    blank = tmp_path / "blank.png"
    Image.new("RGB", (80, 80)).save(blank)
    two = photo(tmp_path / "two.png", 1, 7, two_faces=True)
    text = tmp_path / "note.jpg"
    text.write_text("not an image")
    rep = gallery.enroll("p0", [*enrol["p0"][:2], enrol["p0"][0], blank, two, text])
    reasons = sorted(r.reason for r in rep.rejected)
    assert rep.added == 2 and reasons == ["duplicate", "multiple_faces", "no_face", "unreadable"]
    rep = gallery.enroll("p0", [two], choose={str(two): 1})  # a click picks the second face
    assert rep.added == 1 and rep.rejected == []


def test_nothing_enrolled_leaves_no_person(gallery, tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (50, 50)).save(blank)
    assert gallery.enroll("ghost", [blank]).added == 0
    assert gallery.names() == []


def test_remove_takes_rows_and_index_entries(gallery, people):
    enrol, probes = people
    for name, paths in enrol.items():
        gallery.enroll(name, paths)
    out = gallery.remove("p2")
    assert out["faces"] == 5 and len(gallery.index()) == 15
    hits = gallery.search(gallery.analyzer.analyze_paths([probes["p2"]]).__next__().faces[0].embedding[None], k=10)
    assert all(n != "p2" for n, _ in hits[0])


def test_switching_model_reembeds_and_keeps_people(gallery, people, tmp_path):
    enrol, probes = people
    for name, paths in enrol.items():
        gallery.enroll(name, paths)
    new = FakeAnalyzer(FakeEmbedder(version="v2"))  # same name, other weights: a new model key
    with Gallery(gallery.root, settings=gallery.settings, analyzer=new) as g2:
        assert g2.model_key != gallery.model_key
        assert g2.missing_embeddings() == 20
        assert g2.reembed()["embedded"] == 20 and g2.missing_embeddings() == 0
        got = [r["faces"][0]["name"] for r in g2.identify_paths(probes.values())]
        assert got == list(probes)


def test_index_follows_other_writers_and_repairs_damage(gallery, people):
    enrol, _ = people
    gallery.enroll("p0", enrol["p0"])
    assert len(gallery.index()) == 5
    with Gallery(gallery.root, settings=gallery.settings, analyzer=gallery.analyzer) as other:
        other.enroll("p1", enrol["p1"])  # another writer (the CLI while the GUI runs)
    assert len(gallery.index()) == 10      # its rows are picked up
    gallery.index_path.write_bytes(b"\0" * 64)
    warnings = []
    with Gallery(gallery.root, settings=gallery.settings, analyzer=gallery.analyzer, warn=warnings.append) as g3:
        assert len(g3.index()) == 10 and warnings and "rebuilding" in warnings[0]


def test_ranking_equals_brute_force_over_every_person():
    from core.gallery.identity import centroids, rank

    rng = np.random.default_rng(3)
    faces = rng.standard_normal((30, 8))
    faces /= np.linalg.norm(faces, axis=1, keepdims=True)
    owner = {i: f"id{i % 7}" for i in range(30)}
    people = {n: faces[[i for i in range(30) if owner[i] == n]] for n in set(owner.values())}
    q = faces[4] + 0.2 * rng.standard_normal(8)
    q /= np.linalg.norm(q)
    order = np.argsort(-(faces @ q))  # every face is a hit: every person is a candidate
    cands = rank(order[None], owner, q[None], centroids(people), k=7)[0]
    want = sorted(((n, identity_score(q, f)) for n, f in people.items()), key=lambda t: -t[1])
    assert [n for n, _ in cands] == [n for n, _ in want]
    for (_, s), (_, w) in zip(cands, want):
        assert s == pytest.approx(w, abs=1e-5)
    mean = people["id4"].mean(axis=0)
    assert identity_score(q, people["id4"]) == pytest.approx(q @ mean / np.linalg.norm(mean), abs=1e-5)


def test_decide_name_rule():
    assert decide_name([("a", 0.6), ("b", 0.5)], 0.55) == ("a", 0.6)
    assert decide_name([("a", 0.5)], 0.55) == (None, 0.5)
    assert decide_name([], 0.55) == (None, -1.0)
    assert decide_name([("a", 0.6)], 0.55, {"a": 0.65}) == (None, 0.6)  # a person's own, higher bar
    assert decide_name([("a", 0.6)], 0.55, {"a": 0.3}) == ("a", 0.6)   # never below the gallery's


def test_a_commit_landing_while_the_index_is_checked_is_not_missed(tmp_path, people):
    """Another process commits after the reader read the rows, before the reader next asks for the database
    version: the reader's next look must still see that face (it once noted the newer version as seen after
    building from the older rows, and kept a stale index until the next commit)."""
    enrol, _ = people
    settings = Settings(model="facenet")
    with Gallery(tmp_path / "g", settings=settings, analyzer=FakeAnalyzer()) as writer:
        writer.enroll("p0", enrol["p0"][:3])
        with Gallery(tmp_path / "g", settings=settings, analyzer=FakeAnalyzer()) as reader:
            assert len(reader.index()) == 3
            writer.enroll("p1", enrol["p1"][:1])          # a change the reader has to pick up
            rows, version = reader.store.embedding_ids, reader.store.data_version
            state = {"armed": False, "done": False}

            def read_rows(key):
                state["armed"] = True
                return rows(key)

            def read_version():
                if state["armed"] and not state["done"]:
                    state["done"] = True
                    writer.enroll("p2", enrol["p2"][:2])  # lands after the rows were read
                return version()

            reader.store.embedding_ids, reader.store.data_version = read_rows, read_version
            reader.index()
            assert len(reader.index()) == reader.count()[1] == 6
            assert state["done"]
