"""Import ONNX weights into our own Keras 3 networks (SFace, InsightFace MobileFaceNet), strictly.

The ``onnx`` package reads the file's initializers and graph; nothing is executed.
Every Keras weight must be filled and every ONNX initializer used, with equal
shapes after the layout change (ONNX NCHW / OIHW -> Keras NHWC / HWIO);
otherwise :class:`ModelFileInvalid` names what does not fit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import ModelFileInvalid


def read_onnx(path: Path) -> tuple[list, dict[str, np.ndarray]]:
    """(graph nodes in order, {initializer name: array})."""
    import onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path), load_external_data=False)
    except Exception as exc:  # noqa: BLE001 - protobuf raises its own errors for a wrong file
        raise ModelFileInvalid(f"{path} is not an ONNX model ({exc}).") from exc
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return list(model.graph.node), inits


def _attrs(node) -> dict:
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv_kernel(w: np.ndarray, depthwise: bool) -> np.ndarray:
    """ONNX (out, in/groups, kh, kw) -> Keras Conv2D (kh, kw, in/groups, out) or DepthwiseConv2D (kh, kw, C, 1)."""
    return w.transpose(2, 3, 0, 1) if depthwise else w.transpose(2, 3, 1, 0)


def dense_after_flatten(w: np.ndarray, chw: tuple[int, int, int]) -> np.ndarray:
    """ONNX Gemm weight (out, C*H*W) fed by a CHW flatten -> Keras Dense kernel (H*W*C, out) fed by NHWC."""
    c, h, wd = chw
    return w.reshape(w.shape[0], c, h, wd).transpose(2, 3, 1, 0).reshape(h * wd * c, w.shape[0])


def grouped_as_depthwise(w: np.ndarray, groups: int) -> np.ndarray:
    """ONNX grouped kernel (O, gi, kh, kw) -> DepthwiseConv2D kernel (kh, kw, G * gi, go) so that summing each
    group's gi outputs (GroupSum) gives the grouped convolution."""
    o, gi, kh, kw = w.shape
    go = o // groups
    k = w.reshape(groups, go, gi, kh, kw).transpose(3, 4, 0, 2, 1)   # kh, kw, G, gi, go
    return np.ascontiguousarray(k.reshape(kh, kw, groups * gi, go))


class _Assigner:
    """Collects (layer, arrays) assignments, checking shapes, and which initializers were used."""

    def __init__(self, inits: dict[str, np.ndarray]):
        self.inits, self.used, self.problems, self.count = inits, set(), [], 0

    def take(self, name: str) -> np.ndarray:
        if name not in self.inits:
            self.problems.append(f"missing initializer {name}")
            return np.zeros(0, np.float32)
        self.used.add(name)
        return np.asarray(self.inits[name], np.float32)

    def set(self, layer, arrays: list[np.ndarray]) -> None:
        want = [tuple(w.shape) for w in layer.weights]
        got = [tuple(a.shape) for a in arrays]
        if want != got:
            self.problems.append(f"{layer.name}: file {got} model {want}")
            return
        layer.set_weights(arrays)
        self.count += len(arrays)

    def finish(self, ignore: tuple[str, ...] = ()) -> int:
        unused = sorted(set(self.inits) - self.used - set(ignore))
        if unused:
            self.problems.append(f"{len(unused)} file arrays unused (e.g. {', '.join(unused[:3])})")
        if self.problems:
            raise ModelFileInvalid("The weights do not fit this network: " + "; ".join(self.problems[:5]) + ".")
        return self.count


def import_sface(model, path: Path) -> int:
    """Fill :func:`models.sface.build_sface` from the OpenCV Zoo ONNX file, by layer name."""
    nodes, inits = read_onnx(path)
    op1, op2 = inits.get("scalar_op1"), inits.get("scalar_op2")
    if op1 is None or op2 is None or float(op1.ravel()[0]) != 127.5 or float(op2.ravel()[0]) != 0.0078125:
        raise ModelFileInvalid(f"{path} does not normalise its input as SFace does ((x - 127.5) * 0.0078125).")
    a = _Assigner(inits)
    by_name = {layer.name: layer for layer in model.layers}
    for node in nodes:
        name = node.output[0]
        if node.op_type == "Conv":
            layer = by_name.get(name)
            if layer is None:
                a.problems.append(f"no layer {name}")
                continue
            a.set(layer, [conv_kernel(a.take(node.input[1]), depthwise=_attrs(node).get("group", 1) > 1)])
        elif node.op_type == "BatchNormalization":
            layer = by_name.get(name)
            if layer is None:
                a.problems.append(f"no layer {name}")
                continue
            a.set(layer, [a.take(n) for n in node.input[1:5]])
        elif node.op_type == "PRelu":
            slope = a.take(node.input[1])
            a.set(by_name[name], [slope.reshape(1, 1, -1)])
        elif node.op_type == "Gemm":
            w, b = a.take(node.input[1]), a.take(node.input[2])
            a.set(by_name[name], [dense_after_flatten(w, (1024, 7, 7)), b])
    return a.finish(ignore=("scalar_op1", "scalar_op2"))


def import_insightface_mbf(model, path: Path) -> int:
    """Fill :func:`models.mobilefacenet.build_insightface_mbf` from InsightFace's ``w600k_mbf.onnx``:
    its layers in order (Conv, PRelu, Gemm, BatchNormalization), shapes checked."""
    import keras

    from models.mobilefacenet import ChannelBias

    nodes, inits = read_onnx(path)
    a = _Assigner(inits)
    convs = [ly for ly in model.layers if isinstance(ly, (keras.layers.Conv2D, keras.layers.DepthwiseConv2D))]
    biases = {ly.name.rsplit("_", 1)[0]: ly for ly in model.layers if isinstance(ly, ChannelBias)}
    prelus = [ly for ly in model.layers if isinstance(ly, keras.layers.PReLU)]
    ops = [n.op_type for n in nodes]
    if ops.count("Conv") != len(convs) or ops.count("PRelu") != len(prelus):
        raise ModelFileInvalid(f"{path} has {ops.count('Conv')} convolutions and {ops.count('PRelu')} PReLUs; "
                               f"this network has {len(convs)} and {len(prelus)}.")
    ci = pi = 0
    for node in nodes:
        if node.op_type == "Conv":
            layer = convs[ci]
            ci += 1
            w, group = a.take(node.input[1]), _attrs(node).get("group", 1)
            if layer.name.endswith("_gdw"):  # grouped conv as depthwise (multiplier go) + GroupSum + ChannelBias
                a.set(layer, [grouped_as_depthwise(w, group)])
                a.set(biases[layer.name[:-4]], [a.take(node.input[2])])
                continue
            depthwise = isinstance(layer, keras.layers.DepthwiseConv2D)
            a.set(layer, [conv_kernel(w, depthwise), a.take(node.input[2])])
        elif node.op_type == "PRelu":
            a.set(prelus[pi], [a.take(node.input[1]).reshape(1, 1, -1)])
            pi += 1
        elif node.op_type == "Gemm":
            a.set(model.get_layer("fc"), [dense_after_flatten(a.take(node.input[1]), (64, 7, 7)), a.take(node.input[2])])
        elif node.op_type == "BatchNormalization":
            a.set(model.get_layer("features"), [a.take(n) for n in node.input[1:5]])
    return a.finish()
