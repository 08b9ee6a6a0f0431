"""Inference-only compiler: a Keras 2 ``.h5`` (config + weights) -> one function of plain TensorFlow ops.

Building the Keras 3 FaceNet (400+ layers) and tracing it takes ~5 s on two cores,
most of it Keras' per-layer machinery. For inference the same network is compiled
straight from the h5's own layer graph: each layer becomes one or two TF ops, and
every BatchNormalization that follows a bias-free convolution or dense layer is folded
into that layer's weights. Tests check the outputs against the Keras 3 model.
Supported layers: InputLayer, Conv2D, BatchNormalization, Activation (relu, linear),
MaxPooling2D, Concatenate, Lambda scaled sums (``x + scale * y``), GlobalAveragePooling2D,
Dropout and Dense.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import h5py
import numpy as np

from core.errors import ModelFileInvalid
from models.h5_import import read_h5_weights


def bn_affine(mean, var, eps: float, gamma=1.0, beta=0.0) -> tuple[np.ndarray, np.ndarray]:
    """(scale, shift), shapes (C,), with ``batchnorm(x) == x * scale + shift`` at inference."""
    scale = np.asarray(gamma / np.sqrt(np.asarray(var) + eps), np.float32)
    return scale, np.asarray(beta - np.asarray(mean) * scale, np.float32)


def _inbound(layer: dict) -> list[str]:
    nodes = layer.get("inbound_nodes") or []
    return [n[0] for n in nodes[0]] if nodes else []


def compile_h5(path: Path):
    """A callable ``f(x, training=False) -> (N, D)`` for float32 NHWC input, from a Keras 2 h5 file."""
    import tensorflow as t
    with h5py.File(path, "r") as f:
        try:
            config = json.loads(f.attrs["model_config"])
        except (KeyError, ValueError) as exc:
            raise ModelFileInvalid(f"{path} holds no Keras model config.") from exc
    weights = read_h5_weights(Path(path))
    layers = config["config"]["layers"]
    consumers = Counter(src for layer in layers for src in _inbound(layer))
    by_name = {layer["name"]: layer for layer in layers}

    # fold BN (after a bias-free Conv2D/Dense with one consumer) into that layer's kernel and bias
    folded: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    skip: set[str] = set()
    for layer in layers:
        if layer["class_name"] != "BatchNormalization":
            continue
        (src,) = _inbound(layer)
        prev = by_name[src]
        w = weights.get(layer["name"], {})
        scale, shift = bn_affine(w["moving_mean"], w["moving_variance"], float(layer["config"].get("epsilon", 1e-3)),
                                 w.get("gamma", 1.0), w.get("beta", 0.0))
        if prev["class_name"] in ("Conv2D", "Dense") and consumers[src] == 1 and not prev["config"].get("use_bias"):
            k = weights[src]["kernel"]
            folded[src] = ((k * scale).astype(np.float32), shift)
            skip.add(layer["name"])
        else:
            folded[layer["name"]] = (scale, shift)

    consts: dict[str, list] = {}
    for layer in layers:
        name, cls = layer["name"], layer["class_name"]
        if name in skip:
            continue
        if cls in ("Conv2D", "Dense"):
            if name in folded:
                k, b = folded[name]
            else:
                k = weights[name]["kernel"]
                b = weights[name].get("bias")
            consts[name] = [t.constant(k), None if b is None else t.constant(b)]
        elif cls == "BatchNormalization":
            a, b = folded[name]
            consts[name] = [t.constant(a), t.constant(b)]

    out_name = config["config"]["output_layers"][0][0]
    in_name = config["config"]["input_layers"][0][0]

    def forward(x, training=False):
        vals = {in_name: x}
        for layer in layers:
            name, cls, cfg = layer["name"], layer["class_name"], layer["config"]
            if cls == "InputLayer":
                continue
            ins = [vals[n] for n in _inbound(layer)]
            if name in skip or cls == "Dropout":
                y = ins[0]
            elif cls == "Conv2D":
                k, b = consts[name]
                y = t.nn.conv2d(ins[0], k, cfg["strides"], cfg["padding"].upper())
                y = y if b is None else t.nn.bias_add(y, b)
            elif cls == "Dense":
                k, b = consts[name]
                y = t.matmul(ins[0], k)
                y = y if b is None else y + b
            elif cls == "BatchNormalization":
                a, b = consts[name]
                y = ins[0] * a + b
            elif cls == "Activation":
                act = cfg["activation"]
                if act == "relu":
                    y = t.nn.relu(ins[0])
                elif act == "linear":
                    y = ins[0]
                else:
                    raise ModelFileInvalid(f"activation {act!r} is not supported by the fast path")
            elif cls == "MaxPooling2D":
                y = t.nn.max_pool2d(ins[0], cfg["pool_size"], cfg["strides"], cfg["padding"].upper())
            elif cls == "Concatenate":
                y = t.concat(ins, axis=cfg.get("axis", -1))
            elif cls == "Lambda":
                scale = (cfg.get("arguments") or {}).get("scale")
                if scale is None or len(ins) != 2:
                    raise ModelFileInvalid(f"Lambda layer {name} is not a scaled sum")
                y = ins[0] + ins[1] * float(scale)
            elif cls == "GlobalAveragePooling2D":
                y = t.reduce_mean(ins[0], axis=[1, 2])
            else:
                raise ModelFileInvalid(f"layer type {cls} ({name}) is not supported by the fast path")
            vals[name] = y
        return vals[out_name]

    return forward
