"""A Keras 3 functional network as a lean TensorFlow inference graph.

Batch norms are folded into the convolution or dense layer before them (kernel
scaled, bias added), so grappler fuses conv + bias into one kernel; PReLU with
every slope <= 1 becomes ``max(x, a * x)`` (one pass instead of four); dropout
vanishes. Every other layer is called as it is. On a CPU whose memory bandwidth
limits small networks this is 1.6x faster than calling the Keras model
(SFace: see docs/benchmarks.md); the output equals the Keras model's to float
rounding (tests/models/test_inference_graph.py).

With ``lite=True`` the graph is written for TensorFlow Lite's CPU runtime (LiteRT with XNNPACK) instead,
where other ops are fast: PReLU stays the layer (LiteRT has a fused PRELU); Flatten reshapes to (-1, D)
(Keras 3's dynamic-batch reshape becomes shape ops XNNPACK does not take, splitting the graph); a grouped
convolution computed as depthwise + :class:`models.mobilefacenet.GroupSum` (fast in TensorFlow) becomes one
grouped convolution (fast in XNNPACK, 3x slower in TensorFlow).

Only public Keras API is used: ``model.layers`` with each layer's ``input`` and
``output`` tensors (one call per layer, as in every network built here).
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from models.keras2_graph import bn_affine


def _flat(t) -> list:
    return list(t) if isinstance(t, (list, tuple)) else [t]


def _bn_affine(bn: layers.BatchNormalization) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift) with ``bn(x) == x * scale + shift`` at inference; shapes (C,)."""
    def arr(v):
        return keras.ops.convert_to_numpy(v).astype(np.float32)

    return bn_affine(arr(bn.moving_mean), arr(bn.moving_variance), bn.epsilon,
                     arr(bn.gamma) if bn.scale else 1.0, arr(bn.beta) if bn.center else 0.0)


def _linear(layer) -> bool:
    return getattr(layer, "activation", None) in (None, keras.activations.linear)


def _foldable(layer) -> bool:
    if isinstance(layer, layers.DepthwiseConv2D):
        return layer.data_format == "channels_last" and _linear(layer)
    if isinstance(layer, layers.Conv2D):
        return (type(layer) is layers.Conv2D and layer.data_format == "channels_last" and layer.groups == 1
                and _linear(layer))
    return type(layer) is layers.Dense and _linear(layer) and len(layer.input.shape) == 2


def _weights(layer, scale: np.ndarray | None, shift: np.ndarray | None) -> tuple[tf.Tensor, tf.Tensor | None]:
    """The layer's kernel and bias with an optional following affine (a batch norm) folded in."""
    kernel = keras.ops.convert_to_numpy(layer.kernel).astype(np.float32)
    bias = keras.ops.convert_to_numpy(layer.bias).astype(np.float32) if layer.use_bias else None
    if scale is not None:
        if isinstance(layer, layers.DepthwiseConv2D):  # (kh, kw, C, M): output channel c * M + m
            kernel = kernel * scale.reshape(kernel.shape[2], kernel.shape[3])
        else:  # (kh, kw, Cin, Cout) or (Din, Dout)
            kernel = kernel * scale
        bias = shift if bias is None else bias * scale + shift
    return tf.constant(kernel), (None if bias is None else tf.constant(bias))


def _conv_fn(layer, scale=None, shift=None) -> Callable:
    kernel, bias = _weights(layer, scale, shift)
    pad = getattr(layer, "padding", "valid").upper()
    if isinstance(layer, layers.DepthwiseConv2D):
        strides = [1, *layer.strides, 1]

        def conv(x):
            return tf.nn.depthwise_conv2d(x, kernel, strides, pad, dilations=layer.dilation_rate)
    elif isinstance(layer, layers.Conv2D):
        def conv(x):
            return tf.nn.conv2d(x, kernel, layer.strides, pad, dilations=layer.dilation_rate)
    else:
        def conv(x):
            return tf.matmul(x, kernel)
    if bias is None:
        return conv
    return lambda x: tf.nn.bias_add(conv(x), bias)


def _prelu_fn(layer) -> Callable | None:
    alpha = keras.ops.convert_to_numpy(layer.alpha).astype(np.float32)
    if np.any(alpha > 1):
        return None  # max(x, a*x) equals PReLU only for slopes <= 1
    a = tf.constant(alpha)
    return lambda x: tf.maximum(x, a * x)


def _grouped_conv_fn(dw: layers.DepthwiseConv2D, per_group_in: int) -> Callable:
    """A depthwise conv (kh, kw, C, M) whose output a GroupSum of ``per_group_in`` channels finishes, as one
    grouped conv: depthwise channel c * M + m with c = g * gi + i -> grouped kernel K[:, :, i, g * M + m]."""
    k = keras.ops.convert_to_numpy(dw.kernel).astype(np.float32)
    kh, kw, c, m = k.shape
    groups = c // per_group_in
    kernel = tf.constant(k.reshape(kh, kw, groups, per_group_in, m).transpose(0, 1, 3, 2, 4)
                         .reshape(kh, kw, per_group_in, groups * m))
    strides, pad = [1, *dw.strides, 1], dw.padding.upper()
    return lambda x: tf.nn.conv2d(x, kernel, strides, pad)


def _lite_plan(model: keras.Model, plan: dict[int, Callable]) -> None:
    """Replace, in ``plan``, what is fast in TensorFlow but slow or split in LiteRT (see the module doc)."""
    by_output = {id(layer.output): layer for layer in model.layers}
    for layer in model.layers:
        if isinstance(layer, layers.PReLU):
            plan[id(layer)] = lambda x, _layer=layer: _layer(x, training=False)
        elif isinstance(layer, layers.Flatten):
            d = int(np.prod(layer.output.shape[1:]))
            plan[id(layer)] = lambda x, _d=d: tf.reshape(x, (-1, _d))
        elif type(layer).__name__ == "GroupSum":
            dw = by_output.get(id(layer.input))
            if isinstance(dw, layers.DepthwiseConv2D) and not dw.use_bias and _linear(dw):
                plan[id(dw)] = _grouped_conv_fn(dw, layer.per_group_in)
                plan[id(layer)] = _identity


def _plan(model: keras.Model) -> dict[int, Callable]:
    """A callable per layer (keyed by id), with batch norms folded where they follow a foldable layer."""
    by_output = {id(layer.output): layer for layer in model.layers}
    consumers: dict[int, int] = {}
    for layer in model.layers:
        if not isinstance(layer, layers.InputLayer):
            for t in _flat(layer.input):
                consumers[id(t)] = consumers.get(id(t), 0) + 1
    folded: dict[int, layers.BatchNormalization] = {}
    for bn in model.layers:
        if isinstance(bn, layers.BatchNormalization) and _last_axis(bn):
            prev = by_output.get(id(bn.input))
            if prev is not None and _foldable(prev) and consumers.get(id(prev.output)) == 1:
                folded[id(prev)] = bn
    folded_bns = {id(bn) for bn in folded.values()}
    plan: dict[int, Callable] = {}
    for layer in model.layers:
        fn = None
        if id(layer) in folded_bns or isinstance(layer, layers.Dropout):
            fn = _identity
        elif id(layer) in folded:
            fn = _conv_fn(layer, *_bn_affine(folded[id(layer)]))
        elif _foldable(layer):
            fn = _conv_fn(layer)
        elif isinstance(layer, layers.BatchNormalization) and _last_axis(layer):
            scale, shift = (tf.constant(v) for v in _bn_affine(layer))
            fn = lambda x, s=scale, b=shift: x * s + b  # noqa: E731
        elif isinstance(layer, layers.PReLU):
            fn = _prelu_fn(layer)
        plan[id(layer)] = fn or (lambda *a, _layer=layer: _layer(*a, training=False))
    return plan


def _last_axis(bn: layers.BatchNormalization) -> bool:
    return bn.axis in (-1, len(bn.input.shape) - 1)


def _topological(model: keras.Model) -> list:
    """The model's layers (inputs excluded) in an order where each comes after the layers it reads."""
    ready = {id(t) for t in model.inputs}
    todo = [layer for layer in model.layers if not isinstance(layer, layers.InputLayer)]
    order = []
    while todo:
        later = [layer for layer in todo if not all(id(t) in ready for t in _flat(layer.input))]
        if len(later) == len(todo):
            raise ValueError(f"{model.name}: layers {[x.name for x in later][:3]} are not reachable from the input.")
        for layer in todo:
            if layer not in later:
                order.append(layer)
                ready.add(id(layer.output))
        todo = later
    return order


def _identity(x):
    return x


def compile_inference(model: keras.Model, lite: bool = False) -> Callable:
    """``f(x, training=False) -> outputs`` equal to ``model(x, training=False)``, faster (see module doc);
    ``lite``: written for LiteRT rather than TensorFlow.

    ``x``: the model's single input, e.g. (N, 112, 112, 3) float32. The weights are copied as constants:
    compile again after changing them.
    """
    if len(model.inputs) != 1:
        raise ValueError(f"{model.name} has {len(model.inputs)} inputs; the inference graph takes one.")
    plan = _plan(model)
    if lite:
        _lite_plan(model, plan)
    order = _topological(model)
    inp, outputs = model.inputs[0], _flat(model.outputs)

    def call(x, training=False):
        values = {id(inp): x}
        for layer in order:
            args = [values[id(t)] for t in _flat(layer.input)]
            fn = plan[id(layer)]
            values[id(layer.output)] = fn(args) if isinstance(layer.input, (list, tuple)) else fn(args[0])
        out = [values[id(t)] for t in outputs]
        return out[0] if len(out) == 1 else out

    call.input_shape = tuple(model.inputs[0].shape)
    call.output_shape = tuple(outputs[0].shape)
    return call
