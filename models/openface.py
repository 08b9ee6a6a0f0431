"""OpenFace nn4.small2 (96x96 RGB in [0, 1] -> 128-d), rebuilt in Keras 3 and fed from per-layer CSV weights.

The CSV layout (one folder, one file per array; the layout of the seed and of Keras-OpenFace):

- convolution ``NAME``: ``NAME_w.csv`` (out rows x in*kh*kw columns, Torch order) and ``NAME_b.csv`` (one row);
- batch norm ``NAME``: ``NAME_w.csv``, ``NAME_b.csv``, ``NAME_m.csv``, ``NAME_v.csv`` (gamma, beta, running mean,
  running variance; one row each);
- the last layer: ``dense_w.csv`` (128 x 736) and ``dense_b.csv``.

:func:`t7_to_csv` writes that folder from OpenFace's Torch7 file; :func:`load_csv_weights` fills the network
from any folder in that layout, checking every file's row and column counts. Padding is explicit where Torch
pads, and the inception branches are zero-padded to the widest as Torch's DepthConcat centres them.
"""

from __future__ import annotations

import csv
from pathlib import Path

import keras
import numpy as np
from keras import layers, ops

from core.errors import ModelFileInvalid

INPUT_SIZE = 96
EMBEDDING_SIZE = 128
BN_EPS = 1e-5


@keras.saving.register_keras_serializable(package="facerec")
class CrossMapLRN(layers.Layer):
    """Torch's SpatialCrossMapLRN: x / (k + alpha / size * sum of x^2 over ``size`` neighbouring channels)^beta."""

    def __init__(self, size: int = 5, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.size, self.alpha, self.beta, self.k = int(size), float(alpha), float(beta), float(k)

    def call(self, x):
        sq = ops.square(x)
        half = self.size // 2
        padded = ops.pad(sq, [[0, 0], [0, 0], [0, 0], [half, self.size - 1 - half]])
        c = x.shape[-1]
        window = sum(padded[..., i:i + c] for i in range(self.size))
        b = self.k + self.alpha / self.size * window
        if self.beta == 0.75:  # b ** 0.75 as square roots (b >= k > 0): POW has no fast kernel in LiteRT
            r = ops.sqrt(b)
            return x / (r * ops.sqrt(r))
        return x / ops.power(b, self.beta)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "alpha": self.alpha, "beta": self.beta, "k": self.k}


@keras.saving.register_keras_serializable(package="facerec")
class L2Pool(layers.Layer):
    """Torch's SpatialLPPooling with p=2: the square root of the sum of squares in each window."""

    def __init__(self, pool: int = 3, strides: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.pool, self.strides = int(pool), int(strides)

    def call(self, x):
        s = ops.average_pool(ops.square(x), self.pool, self.strides, padding="valid")
        return ops.sqrt(s * float(self.pool * self.pool))

    def get_config(self):
        return {**super().get_config(), "pool": self.pool, "strides": self.strides}


def _conv_bn(x, filters, kernel, strides, pad, conv, bn):
    if pad:
        x = layers.ZeroPadding2D(pad, name=f"{conv}_pad")(x)
    x = layers.Conv2D(filters, kernel, strides, padding="valid", name=conv)(x)
    x = layers.BatchNormalization(epsilon=BN_EPS, name=bn)(x)
    return layers.Activation("relu", name=f"{conv}_relu")(x)


def _centre(x, size: int, name: str):
    """Zero-pad a smaller branch to ``size`` x ``size``, centred as Torch's DepthConcat does."""
    gap = size - x.shape[1]
    if gap == 0:
        return x
    lo = gap // 2
    return layers.ZeroPadding2D(((lo, gap - lo), (lo, gap - lo)), name=f"{name}_centre")(x)


# inception blocks: (name, 3x3 (reduce, out, stride), 5x5 (reduce, out, stride) or None,
#                    pool ("max" | "l2", pool stride, 1x1 conv out or None), 1x1 out or None)
INCEPTIONS = (
    ("inception_3a", (96, 128, 1), (16, 32, 1), ("max", 2, 32), 64),
    ("inception_3b", (96, 128, 1), (32, 64, 1), ("l2", 3, 64), 64),
    ("inception_3c", (128, 256, 2), (32, 64, 2), ("max", 2, None), None),
    ("inception_4a", (96, 192, 1), (32, 64, 1), ("l2", 3, 128), 256),
    ("inception_4e", (160, 256, 2), (64, 128, 2), ("max", 2, None), None),
    ("inception_5a", (96, 384, 1), None, ("l2", 3, 96), 256),
    ("inception_5b", (96, 384, 1), None, ("max", 2, 96), 256),
)


def _inception(x, spec):
    name, b3, b5, pool, b1 = spec
    branches = []
    r, out, s = b3
    y = _conv_bn(x, r, 1, 1, 0, f"{name}_3x3_conv1", f"{name}_3x3_bn1")
    branches.append(_conv_bn(y, out, 3, s, 1, f"{name}_3x3_conv2", f"{name}_3x3_bn2"))
    if b5 is not None:
        r, out, s = b5
        y = _conv_bn(x, r, 1, 1, 0, f"{name}_5x5_conv1", f"{name}_5x5_bn1")
        branches.append(_conv_bn(y, out, 5, s, 2, f"{name}_5x5_conv2", f"{name}_5x5_bn2"))
    kind, ps, pconv = pool
    y = layers.MaxPooling2D(3, ps, name=f"{name}_pool")(x) if kind == "max" else L2Pool(3, ps, name=f"{name}_pool")(x)
    if pconv is not None:
        y = _conv_bn(y, pconv, 1, 1, 0, f"{name}_pool_conv", f"{name}_pool_bn")
    branches.append(y)
    if b1 is not None:
        branches.append(_conv_bn(x, b1, 1, 1, 0, f"{name}_1x1_conv", f"{name}_1x1_bn"))
    size = max(b.shape[1] for b in branches)
    branches = [_centre(b, size, f"{name}_b{i}") for i, b in enumerate(branches)]
    return layers.Concatenate(axis=-1, name=name)(branches)


def build_openface(input_size: int = INPUT_SIZE) -> keras.Model:
    """Inputs (N, 96, 96, 3) RGB in [0, 1]; outputs (N, 128) (L2-normalised by the embedder)."""
    inp = keras.Input((input_size, input_size, 3), name="image")
    x = _conv_bn(inp, 64, 7, 2, 3, "conv1", "bn1")
    x = layers.ZeroPadding2D(1, name="pool1_pad")(x)  # inputs are >= 0 after ReLU: zero padding = Torch's
    x = layers.MaxPooling2D(3, 2, name="pool1")(x)
    x = CrossMapLRN(name="lrn1")(x)
    x = _conv_bn(x, 64, 1, 1, 0, "conv2", "bn2")
    x = _conv_bn(x, 192, 3, 1, 1, "conv3", "bn3")
    x = CrossMapLRN(name="lrn2")(x)
    x = layers.ZeroPadding2D(1, name="pool2_pad")(x)
    x = layers.MaxPooling2D(3, 2, name="pool2")(x)
    for spec in INCEPTIONS:
        x = _inception(x, spec)
    x = layers.AveragePooling2D(3, 1, name="avg_pool")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(EMBEDDING_SIZE, name="dense_layer")(x)
    return keras.Model(inp, x, name="openface_nn4_small2")


# ---------------------------------------------------------------- CSV weights


def _read_csv(path: Path, rows: int, cols: int) -> np.ndarray:
    try:
        with open(path, newline="") as f:
            data = [[float(v) for v in row if v.strip() != ""] for row in csv.reader(f) if row]
    except OSError as exc:
        raise ModelFileInvalid(f"{path}: cannot be read ({exc.strerror or exc}).") from exc
    except ValueError as exc:
        raise ModelFileInvalid(f"{path}: not a CSV of numbers ({exc}).") from exc
    if rows == 1 and len(data) == cols and all(len(r) == 1 for r in data):
        data = [[r[0] for r in data]]  # one value per line is accepted for vectors
    if len(data) != rows or any(len(r) != cols for r in data):
        got = f"{len(data)} rows x {sorted({len(r) for r in data})} columns"
        raise ModelFileInvalid(f"{path.name}: expected {rows} rows x {cols} columns, found {got}.")
    return np.asarray(data, np.float32)


def csv_layers(model) -> list:
    """The layers that hold weights (convolutions, batch norms, the dense layer)."""
    return [ly for ly in model.layers if ly.weights]


def csv_names() -> list[str]:
    """Weight-holding layer names in Torch's module order (the order of the t7 file)."""
    names = ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3"]
    for name, _b3, b5, pool, b1 in INCEPTIONS:
        names += [f"{name}_3x3_conv1", f"{name}_3x3_bn1", f"{name}_3x3_conv2", f"{name}_3x3_bn2"]
        if b5 is not None:
            names += [f"{name}_5x5_conv1", f"{name}_5x5_bn1", f"{name}_5x5_conv2", f"{name}_5x5_bn2"]
        if pool[2] is not None:
            names += [f"{name}_pool_conv", f"{name}_pool_bn"]
        if b1 is not None:
            names += [f"{name}_1x1_conv", f"{name}_1x1_bn"]
    return names + ["dense_layer"]


def load_csv_weights(model, folder: Path) -> int:
    """Fill ``model`` (:func:`build_openface`) from a CSV folder; returns the number of arrays set."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelFileInvalid(f"{folder} is not a folder of CSV weights.")
    count = 0
    for layer in csv_layers(model):
        stem = "dense" if layer.name == "dense_layer" else layer.name
        if isinstance(layer, layers.Conv2D):
            kh, kw, cin, cout = layer.kernel.shape
            w = _read_csv(folder / f"{stem}_w.csv", cout, cin * kh * kw).reshape(cout, cin, kh, kw)
            layer.set_weights([w.transpose(2, 3, 1, 0), _read_csv(folder / f"{stem}_b.csv", 1, cout)[0]])
        elif isinstance(layer, layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights([_read_csv(folder / f"{stem}_{p}.csv", 1, c)[0] for p in "wbmv"])
        elif isinstance(layer, layers.Dense):
            cin, cout = layer.kernel.shape
            w = _read_csv(folder / f"{stem}_w.csv", cout, cin)
            layer.set_weights([w.T, _read_csv(folder / f"{stem}_b.csv", 1, cout)[0]])
        else:
            raise ModelFileInvalid(f"layer {layer.name} has weights this CSV layout does not describe.")
        count += len(layer.weights)
    return count


def _write_csv(path: Path, rows: np.ndarray) -> None:
    rows = np.atleast_2d(np.asarray(rows, np.float64))
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([[repr(float(v)) for v in r] for r in rows])


def _t7_arrays(t7_path: Path) -> list[tuple[str, np.ndarray, np.ndarray | None]]:
    """(Torch module type, weight, bias/extra) for every conv, BN and linear module of the t7, in order.
    A BN's "weight" is (gamma, beta, mean, variance) stacked."""
    import torchfile

    try:
        root = torchfile.load(str(t7_path))
    except Exception as exc:  # noqa: BLE001 - torchfile raises plain exceptions for a wrong file
        raise ModelFileInvalid(f"{t7_path} is not a Torch7 model file ({exc}).") from exc
    out = []

    def walk(mod):
        t = mod._typename.decode()
        d = mod._obj
        if t in ("nn.SpatialConvolutionMM", "nn.SpatialConvolution"):
            out.append(("conv", np.asarray(d[b"weight"]).reshape(int(d[b"nOutputPlane"]), -1), np.asarray(d[b"bias"])))
        elif t == "nn.SpatialBatchNormalization":
            eps = float(d[b"eps"])
            if d.get(b"running_var") is not None and np.size(d[b"running_var"]):
                var = np.asarray(d[b"running_var"])
            else:  # nn before 2016 kept running_std = 1 / sqrt(var + eps)
                var = np.asarray(d[b"running_std"], np.float64) ** -2 - eps
            out.append(("bn", np.stack([d[b"weight"], d[b"bias"], d[b"running_mean"], var]), None))
        elif t == "nn.Linear":
            out.append(("dense", np.asarray(d[b"weight"]), np.asarray(d[b"bias"])))
        for child in d.get(b"modules") or []:
            walk(child)

    walk(root)
    return out


def t7_to_csv(t7_path: Path, folder: Path) -> int:
    """Write OpenFace's Torch7 weights as per-layer CSV files (the layout above); returns files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = _t7_arrays(Path(t7_path))
    names = csv_names()
    if len(arrays) != len(names):
        raise ModelFileInvalid(f"{t7_path} has {len(arrays)} weight modules; nn4.small2 has {len(names)}.")
    written = 0
    for (kind, w, b), name in zip(arrays, names):
        stem = "dense" if name == "dense_layer" else name
        if kind == "bn":
            for part, row in zip("wbmv", w):
                _write_csv(folder / f"{stem}_{part}.csv", row)
            written += 4
        else:
            _write_csv(folder / f"{stem}_w.csv", w)
            _write_csv(folder / f"{stem}_b.csv", b)
            written += 2
    return written
