"""MobileFaceNet (Chen et al. 2018): 112x112x3 -> 512-d embedding, about 1M parameters."""

from __future__ import annotations

from core.tf_runtime import tf

tf()
import keras  # noqa: E402
from keras import layers  # noqa: E402

# (expansion t, channels c, repeats n, first stride s)
BOTTLENECKS = ((2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1))


def _conv(x, filters, kernel, strides, name, act=True, depthwise=False):
    if depthwise:
        x = layers.DepthwiseConv2D(kernel, strides, padding="same" if kernel != 7 else "valid", use_bias=False,
                                   name=f"{name}_dw")(x)
    else:
        x = layers.Conv2D(filters, kernel, strides, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=f"{name}_bn")(x)
    if act:
        x = layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(x)
    return x


def _bottleneck(x, t, c, s, name):
    inp = x
    x = _conv(x, x.shape[-1] * t, 1, 1, f"{name}_expand")
    x = _conv(x, None, 3, s, f"{name}_depth", depthwise=True)
    x = _conv(x, c, 1, 1, f"{name}_project", act=False)
    if s == 1 and inp.shape[-1] == c:
        x = layers.Add(name=f"{name}_add")([inp, x])
    return x


def build_mobilefacenet(input_size: int = 112, embedding_size: int = 512) -> keras.Model:
    """Inputs (N, 112, 112, 3) float in [-1, 1]; outputs (N, 512) un-normalised embeddings."""
    inp = keras.Input((input_size, input_size, 3), name="image")
    x = _conv(inp, 64, 3, 2, "conv1")
    x = _conv(x, None, 3, 1, "conv2", depthwise=True)
    for bi, (t, c, n, s) in enumerate(BOTTLENECKS):
        for i in range(n):
            x = _bottleneck(x, t, c, s if i == 0 else 1, f"block{bi}_{i}")
    x = _conv(x, 512, 1, 1, "conv_sep")
    x = _conv(x, None, x.shape[1], 1, "gdconv", act=False, depthwise=True)  # global depthwise, 7x7 -> 1x1
    x = layers.Conv2D(embedding_size, 1, use_bias=False, name="embedding_conv")(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name="embedding_bn")(x)
    x = layers.Flatten(name="embedding")(x)
    return keras.Model(inp, x, name="mobilefacenet")
