"""FaceNet Inception-ResNet-v1 (160x160x3 -> 128-d) rebuilt in Keras 3.

Layer names follow the Keras 2 ``facenet_keras.h5`` (``Conv2d_1a_3x3``,
``Block35_*``, ``Mixed_6a``, ``Block17_*``, ``Mixed_7a``, ``Block8_*``,
``AvgPool``, ``Bottleneck``, ``Bottleneck_BatchNorm``) so its weights load by
name. The h5's Lambda residual layers become :class:`ScaleSum`.
"""

from __future__ import annotations

import keras
from keras import layers

INPUT_SIZE = 160
EMBEDDING_SIZE = 128


@keras.saving.register_keras_serializable(package="facerec")
class ScaleSum(layers.Layer):
    """``inputs[0] + scale * inputs[1]``: the scaled residual of Inception-ResNet."""

    def __init__(self, scale: float, **kwargs):
        super().__init__(**kwargs)
        self.scale = float(scale)

    def call(self, inputs):
        return inputs[0] + inputs[1] * self.scale

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "scale": self.scale}


def _conv_bn(x, filters, kernel, name, strides=1, padding="same", activation=True):
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False, name=name)(x)
    x = layers.BatchNormalization(axis=3, momentum=0.995, epsilon=0.001, scale=False, name=f"{name}_BatchNorm")(x)
    if activation:
        x = layers.Activation("relu", name=f"{name}_Activation")(x)
    return x


def _residual(x, branches, block, channels, scale, activation=True):
    mixed = layers.Concatenate(axis=3, name=f"{block}_Concatenate")(branches)
    up = layers.Conv2D(channels, 1, padding="same", use_bias=True, name=f"{block}_Conv2d_1x1")(mixed)
    x = ScaleSum(scale, name=f"{block}_ScaleSum")([x, up])
    if activation:
        x = layers.Activation("relu", name=f"{block}_Activation")(x)
    return x


def _block35(x, i):
    b = f"Block35_{i}"
    b0 = _conv_bn(x, 32, 1, f"{b}_Branch_0_Conv2d_1x1")
    b1 = _conv_bn(x, 32, 1, f"{b}_Branch_1_Conv2d_0a_1x1")
    b1 = _conv_bn(b1, 32, 3, f"{b}_Branch_1_Conv2d_0b_3x3")
    b2 = _conv_bn(x, 32, 1, f"{b}_Branch_2_Conv2d_0a_1x1")
    b2 = _conv_bn(b2, 32, 3, f"{b}_Branch_2_Conv2d_0b_3x3")
    b2 = _conv_bn(b2, 32, 3, f"{b}_Branch_2_Conv2d_0c_3x3")
    return _residual(x, [b0, b1, b2], b, 256, 0.17)


def _block17(x, i):
    b = f"Block17_{i}"
    b0 = _conv_bn(x, 128, 1, f"{b}_Branch_0_Conv2d_1x1")
    b1 = _conv_bn(x, 128, 1, f"{b}_Branch_1_Conv2d_0a_1x1")
    b1 = _conv_bn(b1, 128, (1, 7), f"{b}_Branch_1_Conv2d_0b_1x7")
    b1 = _conv_bn(b1, 128, (7, 1), f"{b}_Branch_1_Conv2d_0c_7x1")
    return _residual(x, [b0, b1], b, 896, 0.1)


def _block8(x, i, scale=0.2, activation=True):
    b = f"Block8_{i}"
    b0 = _conv_bn(x, 192, 1, f"{b}_Branch_0_Conv2d_1x1")
    b1 = _conv_bn(x, 192, 1, f"{b}_Branch_1_Conv2d_0a_1x1")
    b1 = _conv_bn(b1, 192, (1, 3), f"{b}_Branch_1_Conv2d_0b_1x3")
    b1 = _conv_bn(b1, 192, (3, 1), f"{b}_Branch_1_Conv2d_0c_3x1")
    return _residual(x, [b0, b1], b, 1792, scale, activation)


def build_inception_resnet_v1(input_size: int = INPUT_SIZE, embedding_size: int = EMBEDDING_SIZE,
                              dropout: float = 0.2) -> keras.Model:
    """Inputs (N, S, S, 3) float32, already standardised; outputs (N, 128) un-normalised."""
    inp = keras.Input((input_size, input_size, 3), name="input_1")
    x = _conv_bn(inp, 32, 3, "Conv2d_1a_3x3", strides=2, padding="valid")
    x = _conv_bn(x, 32, 3, "Conv2d_2a_3x3", padding="valid")
    x = _conv_bn(x, 64, 3, "Conv2d_2b_3x3")
    x = layers.MaxPooling2D(3, strides=2, name="MaxPool_3a_3x3")(x)
    x = _conv_bn(x, 80, 1, "Conv2d_3b_1x1", padding="valid")
    x = _conv_bn(x, 192, 3, "Conv2d_4a_3x3", padding="valid")
    x = _conv_bn(x, 256, 3, "Conv2d_4b_3x3", strides=2, padding="valid")
    for i in range(1, 6):
        x = _block35(x, i)

    b0 = _conv_bn(x, 384, 3, "Mixed_6a_Branch_0_Conv2d_1a_3x3", strides=2, padding="valid")
    b1 = _conv_bn(x, 192, 1, "Mixed_6a_Branch_1_Conv2d_0a_1x1")
    b1 = _conv_bn(b1, 192, 3, "Mixed_6a_Branch_1_Conv2d_0b_3x3")
    b1 = _conv_bn(b1, 256, 3, "Mixed_6a_Branch_1_Conv2d_1a_3x3", strides=2, padding="valid")
    b2 = layers.MaxPooling2D(3, strides=2, name="Mixed_6a_Branch_2_MaxPool_1a_3x3")(x)
    x = layers.Concatenate(axis=3, name="Mixed_6a")([b0, b1, b2])
    for i in range(1, 11):
        x = _block17(x, i)

    b0 = _conv_bn(x, 256, 1, "Mixed_7a_Branch_0_Conv2d_0a_1x1")
    b0 = _conv_bn(b0, 384, 3, "Mixed_7a_Branch_0_Conv2d_1a_3x3", strides=2, padding="valid")
    b1 = _conv_bn(x, 256, 1, "Mixed_7a_Branch_1_Conv2d_0a_1x1")
    b1 = _conv_bn(b1, 256, 3, "Mixed_7a_Branch_1_Conv2d_1a_3x3", strides=2, padding="valid")
    b2 = _conv_bn(x, 256, 1, "Mixed_7a_Branch_2_Conv2d_0a_1x1")
    b2 = _conv_bn(b2, 256, 3, "Mixed_7a_Branch_2_Conv2d_0b_3x3")
    b2 = _conv_bn(b2, 256, 3, "Mixed_7a_Branch_2_Conv2d_1a_3x3", strides=2, padding="valid")
    b3 = layers.MaxPooling2D(3, strides=2, name="Mixed_7a_Branch_3_MaxPool_1a_3x3")(x)
    x = layers.Concatenate(axis=3, name="Mixed_7a")([b0, b1, b2, b3])
    for i in range(1, 6):
        x = _block8(x, i)
    x = _block8(x, 6, scale=1.0, activation=False)

    x = layers.GlobalAveragePooling2D(name="AvgPool")(x)
    x = layers.Dropout(dropout, name="Dropout")(x)
    x = layers.Dense(embedding_size, use_bias=False, name="Bottleneck")(x)
    x = layers.BatchNormalization(momentum=0.995, epsilon=0.001, scale=False, name="Bottleneck_BatchNorm")(x)
    return keras.Model(inp, x, name="inception_resnet_v1")
