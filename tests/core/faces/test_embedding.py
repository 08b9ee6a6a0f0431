import numpy as np
import pytest

from core.errors import ModelFileInvalid
from core.faces import load_image, primary_face


def test_unit_length_and_batch_invariance(analyzer, val_people):
    crops = []
    for paths in val_people.values():
        for p in paths[:2]:
            img = load_image(p)
            crops.append(analyzer.align(img, analyzer.detect(img)[:1])[0])
    crops = np.stack(crops)  # 10 crops -> bucket 32 when together
    emb = analyzer.embedder
    together = emb.embed(crops)
    alone = np.concatenate([emb.embed(c[None]) for c in crops[:3]])
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(together[:3], alone, atol=1e-4)  # zero padding of a bucket changes nothing


def test_no_retracing_across_batch_sizes(analyzer):
    """The TensorFlow runtime (the GPU path) pads batches to fixed buckets: a new batch size never retraces."""
    from core.faces import get_embedder

    emb = get_embedder(analyzer.embedder.name, warmup=False, runtime="tf")
    s = emb.input_size
    for n in (2, 3, 5, 7, 8):
        emb.embed(np.zeros((n, s, s, 3), np.uint8))
    fn = emb._fns[8]
    assert fn.experimental_get_tracing_count() == 1


def test_same_person_closer_than_different(analyzer, val_people):
    embs = {}
    for name, paths in val_people.items():
        embs[name] = [primary_face(analyzer.analyze(load_image(p))).embedding for p in paths[:3]]
    names = list(embs)
    same = np.mean([embs[n][0] @ embs[n][1] for n in names])
    diff = np.mean([embs[a][0] @ embs[b][0] for a in names for b in names if a != b])
    assert same > diff + 0.3


def test_strict_weight_loading_fails_loudly():
    from core.zoo.catalogue import FACENET
    from core.zoo.store import source_file
    from models.facenet import build_inception_resnet_v1
    from models.h5_import import load_weights_by_name, read_h5_weights

    weights = read_h5_weights(source_file(FACENET))
    model = build_inception_resnet_v1()
    missing = dict(weights)
    missing.pop("Block8_6_Conv2d_1x1")
    with pytest.raises(ModelFileInvalid, match="missing"):
        load_weights_by_name(model, missing)
    extra = dict(weights)
    extra["Surplus"] = {"kernel": np.zeros(3)}
    with pytest.raises(ModelFileInvalid, match="unused"):
        load_weights_by_name(model, extra)
    bad = {k: dict(v) for k, v in weights.items()}
    bad["Bottleneck"]["kernel"] = np.zeros((10, 128), np.float32)
    with pytest.raises(ModelFileInvalid, match="mismatch"):
        load_weights_by_name(model, bad)
    assert load_weights_by_name(model, weights) == 490


def test_wrong_file_is_not_weights(tmp_path):
    from models.h5_import import read_h5_weights

    p = tmp_path / "fake.h5"
    p.write_bytes(b"not hdf5 at all")
    with pytest.raises(ModelFileInvalid):
        read_h5_weights(p)


def test_fast_inference_graph_equals_keras_model():
    """The compiled plain-TF FaceNet used at run time gives the Keras 3 model's outputs."""
    from core.zoo import load_keras
    from core.zoo.catalogue import FACENET
    from core.zoo.store import source_file
    from models.keras2_graph import compile_h5

    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 160, 160, 3)).astype(np.float32)
    fast = np.asarray(compile_h5(source_file(FACENET))(x))
    ref = np.asarray(load_keras(FACENET)(x, training=False))
    np.testing.assert_allclose(fast, ref, atol=1e-4)
    assert np.abs(ref).max() > 0.1  # a real, non-degenerate output
