"""An independent NumPy forward pass of a Torch7 ``nn`` module tree (test reference for the OpenFace import).

It reads the modules straight from the ``.t7`` (via torchfile) and runs them in Torch's own layout
(C, H, W), sharing no code with ``models/openface.py``.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _pad(x, ph, pw, value=0.0):
    return np.pad(x, ((0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _conv(x, w, b, kh, kw, dh, dw, ph, pw):
    x = _pad(x, ph, pw)
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::dh, ::dw]   # (C, H', W', kh, kw)
    w = w.reshape(w.shape[0], x.shape[0], kh, kw)
    return np.einsum("chwij,ocij->ohw", win, w, optimize=True) + b[:, None, None]


def _pool(x, kh, kw, dh, dw, ph, pw, how):
    x = _pad(x, ph, pw, -np.inf if how == "max" else 0.0)
    win = sliding_window_view(x, (kh, kw), axis=(1, 2))[:, ::dh, ::dw]
    return win.max(axis=(3, 4)) if how == "max" else win.mean(axis=(3, 4))


def forward(mod, x: np.ndarray) -> np.ndarray:
    """Run module ``mod`` (a torchfile object) on ``x`` (C, H, W) or (N,) float64."""
    t = mod._typename.decode()
    d = mod._obj
    g = lambda k: d[k.encode()]  # noqa: E731
    if t in ("nn.Sequential", "nn.Inception"):
        for child in g("modules"):
            x = forward(child, x)
        return x
    if t == "nn.DepthConcat":
        outs = [forward(c, x) for c in g("modules")]
        h = max(o.shape[1] for o in outs)
        w = max(o.shape[2] for o in outs)
        res = []
        for o in outs:
            top, left = (h - o.shape[1]) // 2, (w - o.shape[2]) // 2
            pad = np.zeros((o.shape[0], h, w))
            pad[:, top:top + o.shape[1], left:left + o.shape[2]] = o
            res.append(pad)
        return np.concatenate(res, axis=0)
    if t in ("nn.SpatialConvolutionMM", "nn.SpatialConvolution"):
        return _conv(x, np.asarray(g("weight"), np.float64), np.asarray(g("bias"), np.float64), g("kH"), g("kW"),
                     g("dH"), g("dW"), g("padH"), g("padW"))
    if t == "nn.SpatialBatchNormalization":
        inv_std = np.asarray(g("running_std"), np.float64)  # old nn: 1 / sqrt(var + eps)
        return ((x - np.asarray(g("running_mean"))[:, None, None]) * inv_std[:, None, None]
                * np.asarray(g("weight"))[:, None, None] + np.asarray(g("bias"))[:, None, None])
    if t == "nn.ReLU":
        return np.maximum(x, 0.0)
    if t == "nn.SpatialMaxPooling":
        return _pool(x, g("kH"), g("kW"), g("dH"), g("dW"), g("padH"), g("padW"), "max")
    if t == "nn.SpatialAveragePooling":
        return _pool(x, g("kH"), g("kW"), g("dH"), g("dW"), g("padH"), g("padW"), "avg")
    if t == "nn.SpatialCrossMapLRN":
        size, alpha, beta, k = g("size"), g("alpha"), g("beta"), g("k")
        sq = np.pad(x ** 2, ((size // 2, size // 2), (0, 0), (0, 0)))
        s = sum(sq[i:i + x.shape[0]] for i in range(size))
        return x / (k + alpha / size * s) ** beta
    if t == "nn.SpatialLPPooling":
        return forward_sequence(g("modules"), x)
    if t == "nn.Square":
        return x ** 2
    if t == "nn.Sqrt":
        return np.sqrt(x)
    if t == "nn.MulConstant":
        return x * g("constant_scalar")
    if t in ("nn.Reshape", "nn.View"):
        size = tuple(int(v) for v in np.asarray(g("size")).ravel())
        return x.reshape(size if len(size) > 1 else -1)
    if t == "nn.Linear":
        return np.asarray(g("weight"), np.float64) @ x + np.asarray(g("bias"), np.float64)
    if t == "nn.Normalize":
        return x / np.linalg.norm(x)
    raise NotImplementedError(t)


def forward_sequence(mods, x):
    for m in mods:
        x = forward(m, x)
    return x
