"""Margin heads for training face embeddings: ArcFace, CosFace and a plain softmax baseline.

Each head maps (embeddings (N, D), labels (N,)) to logits (N, classes) in float32.
``cosine(embeddings)`` gives the margin-free logits used for training accuracy.
"""

from __future__ import annotations

import math

import keras
from keras import ops

from core.errors import BadValue


@keras.saving.register_keras_serializable(package="facerec")
class MarginHead(keras.layers.Layer):
    """Normalised-weight head. ``kind``: 'arcface' (cos(theta + m)), 'cosface' (cos(theta) - m)."""

    def __init__(self, classes: int, kind: str = "arcface", s: float = 64.0, m: float | None = None,
                 easy_margin: bool = False, **kwargs):
        kwargs["dtype"] = "float32"  # logits stay float32 under mixed precision (and from_config passes dtype)
        super().__init__(**kwargs)
        if kind not in ("arcface", "cosface"):
            raise BadValue(f"Unknown margin head {kind!r}; use arcface or cosface.")
        if int(classes) < 2:
            raise BadValue(f"A margin head needs at least 2 classes, not {classes}.")
        self.classes, self.kind, self.s = int(classes), kind, float(s)
        self.m = float(m if m is not None else (0.5 if kind == "arcface" else 0.35))
        self.easy_margin = bool(easy_margin)

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(int(input_shape[-1]), self.classes),
                                 initializer=keras.initializers.GlorotNormal(), trainable=True)

    def cosine(self, emb):
        emb = ops.normalize(ops.cast(emb, "float32"), axis=1)
        w = ops.normalize(self.w, axis=0)
        return ops.clip(ops.matmul(emb, w), -1.0 + 1e-7, 1.0 - 1e-7)

    def call(self, emb, labels):
        cos = self.cosine(emb)
        onehot = ops.one_hot(ops.cast(labels, "int32"), self.classes, dtype="float32")
        if self.kind == "cosface":
            target = cos - self.m
        else:
            sin = ops.sqrt(ops.maximum(1.0 - cos * cos, 0.0))
            phi = cos * math.cos(self.m) - sin * math.sin(self.m)
            if self.easy_margin:
                phi = ops.where(cos > 0, phi, cos)
            else:  # keep the target logit monotonic in theta beyond pi - m
                th, mm = math.cos(math.pi - self.m), math.sin(math.pi - self.m) * self.m
                phi = ops.where(cos > th, phi, cos - mm)
            target = phi
        return self.s * (onehot * target + (1.0 - onehot) * cos)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "kind": self.kind, "s": self.s, "m": self.m,
                "easy_margin": self.easy_margin}


@keras.saving.register_keras_serializable(package="facerec")
class SoftmaxHead(keras.layers.Layer):
    """Plain linear classifier on the raw embedding (baseline)."""

    def __init__(self, classes: int, **kwargs):
        kwargs["dtype"] = "float32"
        super().__init__(**kwargs)
        self.classes = int(classes)

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(int(input_shape[-1]), self.classes), initializer="glorot_uniform")
        self.b = self.add_weight(name="b", shape=(self.classes,), initializer="zeros")

    def cosine(self, emb):
        return ops.matmul(ops.cast(emb, "float32"), self.w) + self.b

    def call(self, emb, labels):
        return self.cosine(emb)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}
