"""MobileFaceNet (Chen et al. 2018): 112x112x3 -> 512-d embedding, about 1M parameters."""

from __future__ import annotations

import keras
from keras import layers, ops

# (expansion t, channels c, repeats n, first stride s)
BOTTLENECKS = ((2, 64, 5, 2), (4, 128, 1, 2), (2, 128, 6, 1), (4, 128, 1, 2), (2, 128, 2, 1))


def _conv(x, filters, kernel, strides, name, act=True, depthwise=False):
    if depthwise:
        global_dw = kernel == x.shape[1] and kernel > 3  # the global depthwise layer covers the whole map
        x = layers.DepthwiseConv2D(kernel, strides, padding="valid" if global_dw else "same", use_bias=False,
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


# ---------------------------------------------------------------- InsightFace variant (the arcface-mbf weights)

@keras.saving.register_keras_serializable(package="facerec")
class GroupSum(layers.Layer):
    """Finishes a grouped convolution computed as a depthwise one: (..., G * gi * go) -> (..., G * go), summing
    each group's ``gi`` input channels. TensorFlow's CPU grouped convolution is several times slower than this."""

    def __init__(self, groups: int, per_group_in: int, **kwargs):
        super().__init__(**kwargs)
        self.groups, self.per_group_in = int(groups), int(per_group_in)

    def call(self, x):
        c = x.shape[-1]
        go = c // (self.groups * self.per_group_in)
        y = ops.reshape(x, (-1, x.shape[1], x.shape[2], self.groups, self.per_group_in, go))
        return ops.reshape(ops.sum(y, axis=4), (-1, x.shape[1], x.shape[2], self.groups * go))

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "per_group_in": self.per_group_in}


@keras.saving.register_keras_serializable(package="facerec")
class ChannelBias(layers.Layer):
    """Adds a per-channel bias (the bias of a grouped conv computed as depthwise + :class:`GroupSum`)."""

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(int(input_shape[-1]),), initializer="zeros")

    def call(self, x):
        return x + self.bias


def _ins_conv(x, filters, kernel, strides, name, groups=1, act=True):
    """Conv with bias (InsightFace's exported BN is folded into it), explicit symmetric padding, PReLU.
    A grouped conv (1 < groups < channels) is a depthwise conv with ``filters / groups`` outputs per channel
    followed by :class:`GroupSum`."""
    if kernel > 1:
        x = layers.ZeroPadding2D(kernel // 2, name=f"{name}_pad")(x)
    channels = x.shape[-1]
    if groups == channels == filters and groups > 1:
        x = layers.DepthwiseConv2D(kernel, strides, padding="valid", use_bias=True, name=f"{name}_dw")(x)
    elif groups > 1:
        x = layers.DepthwiseConv2D(kernel, strides, padding="valid", depth_multiplier=filters // groups,
                                   use_bias=False, name=f"{name}_gdw")(x)
        x = GroupSum(groups, channels // groups, name=f"{name}_gsum")(x)
        x = ChannelBias(name=f"{name}_bias")(x)
    else:
        x = layers.Conv2D(filters, kernel, strides, padding="valid", use_bias=True, name=f"{name}_conv")(x)
    if act:
        x = layers.PReLU(shared_axes=[1, 2], name=f"{name}_prelu")(x)
    return x


def _ins_depthwise(x, c_mid, c_out, strides, name):
    """1x1 expand -> 3x3 depthwise -> 1x1 linear projection (InsightFace 'DepthWise')."""
    x = _ins_conv(x, c_mid, 1, 1, f"{name}_expand")
    x = _ins_conv(x, c_mid, 3, strides, f"{name}_depth", groups=c_mid)
    return _ins_conv(x, c_out, 1, 1, f"{name}_project", act=False)


# (channels, residual units after the stride-2 block, expanded channels of the stride-2 block)
INSIGHTFACE_STAGES = ((128, 4, 128), (256, 6, 256), (256, 2, 512))


def build_insightface_mbf(input_size: int = 112, embedding_size: int = 512) -> keras.Model:
    """InsightFace's MobileFaceNet (``w600k_mbf``, blocks (1, 4, 6, 2), scale 2): (N, 112, 112, 3) in
    [-1, 1] ((x - 127.5) / 127.5) -> (N, 512) un-normalised. Layer order equals the ONNX node order."""
    inp = keras.Input((input_size, input_size, 3), name="image")
    x = _ins_conv(inp, 128, 3, 2, "conv1")
    x = _ins_conv(x, 128, 3, 1, "conv2", groups=64)
    for si, (c, units, c_mid) in enumerate(INSIGHTFACE_STAGES):
        x = _ins_depthwise(x, c_mid, c, 2, f"stage{si + 1}_down")
        for ui in range(units):
            y = _ins_depthwise(x, c, c, 1, f"stage{si + 1}_unit{ui + 1}")
            x = layers.Add(name=f"stage{si + 1}_unit{ui + 1}_add")([x, y])
    x = _ins_conv(x, 512, 1, 1, "conv_sep")
    x = _ins_conv(x, 64, 1, 1, "conv_reduce")
    x = layers.Flatten(name="flatten")(x)           # (7 * 7 * 64) in H, W, C order
    x = layers.Dense(embedding_size, name="fc")(x)
    x = layers.BatchNormalization(epsilon=1e-5, momentum=0.9, name="features")(x)
    return keras.Model(inp, x, name="mobilefacenet_insightface")
