import numpy as np
import pytest

from core.gallery.index import VectorIndex, ids_fingerprint


def _unit(rng, n, d):
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_exact_search_equals_brute_force():
    rng = np.random.default_rng(0)
    base = _unit(rng, 3000, 64)
    ids = rng.permutation(100000)[:3000].astype(np.int64)
    idx = VectorIndex.build("m", 64, ids, base)
    assert idx.kind == "exact"
    q = _unit(rng, 50, 64)
    scores, found = idx.search(q, 5)
    sims = q @ base.T
    order = np.argsort(-sims, axis=1)[:, :5]
    np.testing.assert_array_equal(found, ids[order])
    np.testing.assert_allclose(scores, np.take_along_axis(sims, order, 1), atol=1e-5)


@pytest.mark.parametrize("large", ["binary", "hnsw"])
def test_approximate_index_above_limit_has_high_recall(large, tmp_path):
    rng = np.random.default_rng(1)
    base = _unit(rng, 20000, 128)
    ids = np.arange(1, 20001, dtype=np.int64)
    idx = VectorIndex.build("m", 128, ids, base, exact_limit=1000, large=large)
    assert idx.kind == large
    idx.save(tmp_path / "x.faiss")
    idx = VectorIndex.load(tmp_path / "x.faiss")
    assert idx is not None and idx.kind == large and len(idx) == 20000
    src = rng.integers(0, 20000, 300)
    q = base[src] + rng.standard_normal((300, 128)).astype(np.float32) * 0.08
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    truth = ids[(q @ base.T).argmax(1)]
    _, found = idx.search(q, 1)
    assert np.mean(found[:, 0] == truth) >= 0.99
    if large == "binary":  # removal and addition keep results exact on what remains
        idx.remove(ids[src[:10]])
        _, found = idx.search(q[:10], 1)
        assert not np.isin(found[:, 0], ids[src[:10]]).any()
        idx.add(ids[src[:10]], base[src[:10]])
        assert idx.header.ids_hash == ids_fingerprint(ids)
        assert len(idx) == 20000 and (idx.search(base[src[:3]], 1)[1][:, 0] == ids[src[:3]]).all()


def test_save_load_roundtrip_and_fingerprint(tmp_path):
    rng = np.random.default_rng(2)
    base = _unit(rng, 100, 16)
    ids = np.arange(10, 110, dtype=np.int64)
    idx = VectorIndex.build("facenet:abc", 16, ids, base)
    p = tmp_path / "i.faiss"
    idx.save(p)
    back = VectorIndex.load(p)
    assert back is not None and back.header.matches("facenet:abc", 100, ids_fingerprint(ids))
    assert not back.header.matches("facenet:abc", 100, ids_fingerprint(ids[:-1]))
    np.testing.assert_array_equal(back.search(base[:3], 1)[1][:, 0], ids[:3])
    idx.remove(ids[:10])
    assert idx.header.matches("facenet:abc", 90, ids_fingerprint(ids[10:]))
    assert not idx.header.matches("sface:abc", 90, ids_fingerprint(ids[10:]))  # another model's index
    assert len(idx) == 90 and idx.search(base[:1], 1)[1][0, 0] != ids[0]


def test_corrupt_or_foreign_file_loads_as_none(tmp_path):
    p = tmp_path / "i.faiss"
    p.write_bytes(b"garbage" * 100)
    assert VectorIndex.load(p) is None
    assert VectorIndex.load(tmp_path / "missing.faiss") is None
    idx = VectorIndex.build("m", 8, np.arange(5), np.eye(5, 8, dtype=np.float32))
    idx.save(p)
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])  # truncated
    assert VectorIndex.load(p) is None


def test_empty_index_search():
    idx = VectorIndex.build("m", 8, np.zeros(0, np.int64), np.zeros((0, 8), np.float32))
    s, i = idx.search(np.ones((2, 8), np.float32), 3)
    assert (i == -1).all()


@pytest.mark.large
def test_million_scale_benchmark():
    from core.bench.gallery import bench_gallery

    res = bench_gallery(n=1_000_000, queries=300)
    assert res["recall_at_1"] >= 0.99
