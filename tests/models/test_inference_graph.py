"""The run-time inference graph equals the Keras model it was built from, whatever it folds or leaves alone."""

import keras
import numpy as np
import pytest
from keras import layers

from models.inference_graph import compile_inference


def _randomise(model, seed=0):
    """Random weights, with batch-norm statistics far from identity so a wrong fold shows."""
    rng = np.random.default_rng(seed)
    for w in model.weights:
        shape = tuple(w.shape)
        if "variance" in w.path:
            w.assign(rng.uniform(0.2, 3.0, shape).astype("float32"))
        elif "alpha" in w.path:
            w.assign(rng.uniform(-0.5, 0.9, shape).astype("float32"))
        else:
            w.assign(rng.normal(0, 0.5, shape).astype("float32"))
    return model


def _net(prelu_max=0.9):
    inp = keras.Input((16, 16, 3))
    x = layers.Conv2D(8, 3, 2, padding="same", use_bias=False)(inp)
    x = layers.BatchNormalization(epsilon=1e-3)(x)
    x = layers.PReLU(shared_axes=[1, 2])(x)
    y = layers.DepthwiseConv2D(3, 1, padding="valid", depth_multiplier=2, use_bias=True)(layers.ZeroPadding2D(1)(x))
    y = layers.BatchNormalization()(y)
    y = layers.Conv2D(8, 1, use_bias=True)(y)
    z = layers.Conv2D(8, 1, use_bias=False)(x)              # x feeds two layers: the batch norm below
    x = layers.Add()([y, layers.BatchNormalization()(z)])  # folds into z's conv, not into x's
    x = layers.PReLU(shared_axes=[1, 2], name="steep")(x)
    x = layers.BatchNormalization()(layers.Conv2D(4, 1, activation="relu")(x))  # activation: not foldable
    x = layers.Dropout(0.5)(layers.Flatten()(x))
    x = layers.BatchNormalization()(layers.Dense(6)(x))
    model = _randomise(keras.Model(inp, x))
    alpha = model.get_layer("steep").alpha
    alpha.assign(np.full(alpha.shape, prelu_max, np.float32))
    return model


@pytest.mark.parametrize("steep_slope", [0.9, 1.7], ids=["prelu-as-max", "prelu-kept"])
def test_inference_graph_equals_the_keras_model(steep_slope):
    model = _net(steep_slope)
    x = np.random.default_rng(1).normal(0, 1, (3, 16, 16, 3)).astype("float32")
    want = np.asarray(model(x, training=False))
    got = np.asarray(compile_inference(model)(x))
    assert got.shape == (3, 6)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    assert np.abs(want).max() > 0.1


def test_a_wrong_fold_would_be_seen():
    """The test network is sensitive to batch-norm statistics: changing one changes the output."""
    model = _net()
    x = np.random.default_rng(1).normal(0, 1, (2, 16, 16, 3)).astype("float32")
    before = compile_inference(model)(x).numpy()
    bn = next(layer for layer in model.layers if isinstance(layer, layers.BatchNormalization))
    bn.moving_mean.assign(bn.moving_mean + 1.0)
    assert np.abs(compile_inference(model)(x).numpy() - before).max() > 1e-3
