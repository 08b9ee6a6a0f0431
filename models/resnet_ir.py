"""ResNet-IR (insightface LResNet-E-IR): 112x112x3 -> 512-d. ``r50`` = [3, 4, 14, 3], ``r100`` = [3, 13, 30, 3]."""

from __future__ import annotations

import keras
from keras import layers

from core.errors import BadValue

UNITS = {"r18": (2, 2, 2, 2), "r34": (3, 4, 6, 3), "r50": (3, 4, 14, 3), "r100": (3, 13, 30, 3)}
FILTERS = (64, 128, 256, 512)


def _bn(name):
    return layers.BatchNormalization(momentum=0.9, epsilon=2e-5, name=name)


def _ir_unit(x, filters, stride, name):
    """BN -> conv3x3 -> BN -> PReLU -> conv3x3(stride) -> BN, plus (projected) shortcut."""
    if stride == 1 and x.shape[-1] == filters:
        short = x
    else:
        short = layers.Conv2D(filters, 1, stride, use_bias=False, name=f"{name}_sc_conv")(x)
        short = _bn(f"{name}_sc_bn")(short)
    y = _bn(f"{name}_bn1")(x)
    y = layers.Conv2D(filters, 3, 1, padding="same", use_bias=False, name=f"{name}_conv1")(y)
    y = _bn(f"{name}_bn2")(y)
    y = layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(y)
    y = layers.Conv2D(filters, 3, stride, padding="same", use_bias=False, name=f"{name}_conv2")(y)
    y = _bn(f"{name}_bn3")(y)
    return layers.Add(name=f"{name}_add")([short, y])


def build_resnet_ir(depth: str = "r50", input_size: int = 112, embedding_size: int = 512,
                    dropout: float = 0.4) -> keras.Model:
    """Inputs (N, 112, 112, 3) float in [-1, 1]; outputs (N, 512) un-normalised embeddings."""
    if depth not in UNITS:
        raise BadValue(f"Unknown ResNet-IR depth {depth!r}; known: {', '.join(UNITS)}.")
    inp = keras.Input((input_size, input_size, 3), name="image")
    x = layers.Conv2D(64, 3, 1, padding="same", use_bias=False, name="stem_conv")(inp)
    x = _bn("stem_bn")(x)
    x = layers.PReLU(shared_axes=[1, 2], name="stem_prelu")(x)
    for si, (filters, units) in enumerate(zip(FILTERS, UNITS[depth])):
        for ui in range(units):
            x = _ir_unit(x, filters, 2 if ui == 0 else 1, f"stage{si + 1}_unit{ui + 1}")
    # "E" output block: BN -> Dropout -> FC -> BN
    x = _bn("out_bn1")(x)
    x = layers.Dropout(dropout, name="out_dropout")(x)
    x = layers.Flatten(name="out_flatten")(x)
    x = layers.Dense(embedding_size, name="out_fc")(x)
    x = layers.BatchNormalization(momentum=0.9, epsilon=2e-5, scale=False, name="embedding")(x)
    return keras.Model(inp, x, name=f"resnet_ir_{depth}")
