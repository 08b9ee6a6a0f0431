"""Every backbone and head: built, called, and rebuilt from its own config (keras-hub's round trip)."""

import numpy as np
import pytest

from models.backbones import BACKBONES, HEADS, build_backbone, build_head

LARGEST = {"r100"}


def roundtrip(layer_or_model, *call_args):
    """Rebuild from get_config, copy the weights, and check the outputs are equal."""
    import keras

    cls = type(layer_or_model)
    config = layer_or_model.get_config()
    if isinstance(layer_or_model, keras.Model) and cls is keras.Model or cls.__name__ == "Functional":
        clone = keras.Model.from_config(config)
    else:
        clone = cls.from_config(config)
        clone.build(*[np.shape(a) for a in call_args[:1]])
    clone.set_weights(layer_or_model.get_weights())
    a = np.asarray(layer_or_model(*call_args))
    b = np.asarray(clone(*call_args))
    np.testing.assert_allclose(a, b, atol=1e-5)
    return a


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.large) if n in LARGEST else n for n in BACKBONES])
def test_backbone_builds_calls_and_roundtrips(name):
    model = build_backbone(name)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 112, 112, 3)).astype(np.float32)
    out = roundtrip(model, x)
    assert out.shape == (2, 512) and np.isfinite(out).all() and out.std() > 0


@pytest.mark.parametrize("kind", list(HEADS))
def test_head_builds_calls_and_roundtrips(kind):
    head = build_head(kind, 7)
    emb = np.random.default_rng(1).standard_normal((3, 16)).astype(np.float32)
    head.build((None, 16))
    labels = np.array([0, 3, 6])
    out = roundtrip(head, emb, labels)
    assert out.shape == (3, 7) and out.dtype == np.float32


def test_saved_keras_file_with_a_head_loads_back(tmp_path):
    """A .keras export that holds a margin head loads (Keras 3 used to get `dtype` twice)."""
    import keras

    import models.heads  # noqa: F401  (registers the heads)

    inp = keras.Input((16,))
    lab = keras.Input((), dtype="int32")
    out = build_head("arcface", 5)(inp, lab)
    model = keras.Model([inp, lab], out)
    path = tmp_path / "with_head.keras"
    model.save(path)
    back = keras.saving.load_model(path, compile=False)
    x = np.random.default_rng(2).standard_normal((2, 16)).astype(np.float32)
    y = np.array([1, 4], np.int32)
    np.testing.assert_allclose(np.asarray(model([x, y])), np.asarray(back([x, y])), atol=1e-5)


def test_unknown_names_are_domain_errors():
    from core.errors import BadValue, UnknownName

    with pytest.raises(UnknownName, match="r50"):
        build_backbone("r9000")
    with pytest.raises(UnknownName, match="arcface"):
        build_head("sphereface", 3)
    with pytest.raises(BadValue, match="classes"):
        build_head("arcface", 1)
