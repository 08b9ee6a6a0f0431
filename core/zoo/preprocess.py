"""Input normalisation per model family: the one place each formula is written.

Each function maps float32 RGB pixels 0..255 (any shape ending in 3) to what the
network was trained on; they use TensorFlow ops so the embedder, the trainer's
``tf.data`` pipeline and exported serving functions share them.
"""

from __future__ import annotations

import numpy as np

from core.errors import UnknownName

DESCRIPTIONS = {
    "standardize": "per-image (x - mean) / max(std, 1/sqrt(N)) (FaceNet)",
    "arcface": "(x - 127.5) / 128 (our trainer, SFace)",
    "insightface": "(x - 127.5) / 127.5 (InsightFace ArcFace models)",
    "unit": "x / 255 (OpenFace)",
}


def apply(kind: str, x, tf):
    """``x``: float32 tensor (N, S, S, 3) of 0..255 RGB -> the network's input for ``kind``."""
    if kind == "standardize":
        mean, var = tf.nn.moments(x, axes=[1, 2, 3], keepdims=True)
        n = float(np.prod(x.shape[1:]))
        return (x - mean) / tf.maximum(tf.sqrt(var), 1.0 / np.sqrt(n))
    if kind == "arcface":
        return (x - 127.5) / 128.0
    if kind == "insightface":
        return (x - 127.5) / 127.5
    if kind == "unit":
        return x / 255.0
    raise UnknownName(f"Unknown preprocessing '{kind}'. Known: {', '.join(DESCRIPTIONS)}.")


def check(kind: str) -> str:
    if kind not in DESCRIPTIONS:
        raise UnknownName(f"Unknown preprocessing '{kind}'. Known: {', '.join(DESCRIPTIONS)}.")
    return kind
