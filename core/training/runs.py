"""Embedding functions over a training run's backbone: the same embeddings during training validation and in
``facerec eval --checkpoint`` (loading the run is :func:`core.zoo.checkpoints.load_run`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.tf_runtime import tf
from core.zoo import load_run
from core.zoo.preprocess import apply as preprocess


def backbone_embed_fn(model, preprocess_kind: str = "arcface", jit: bool = False, batch: int = 64):
    """uint8 (N, S, S, 3) -> (N, D) float32 unit vectors from a backbone: the same embeddings during
    training validation and in ``facerec eval --checkpoint``."""
    t = tf()

    @t.function(jit_compile=jit)
    def f(x):
        y = t.cast(model(preprocess(preprocess_kind, t.cast(x, t.float32), t), training=False), t.float32)
        return t.math.l2_normalize(y, axis=1)

    def run(images):
        return np.concatenate([f(t.constant(images[i:i + batch])).numpy() for i in range(0, len(images), batch)])

    return run


def run_embed_fn(run_dir: Path, batch: int = 64):
    """(embed function, input size) for a checkpointed run."""
    cfg, model = load_run(run_dir)
    return backbone_embed_fn(model, cfg.get("preprocess", "arcface"), batch=batch), int(cfg["input_size"])
