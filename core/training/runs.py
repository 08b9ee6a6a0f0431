"""Load a trained run (config + latest checkpoint) back into a Keras backbone."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.errors import ModelFileInvalid
from core.preprocess import apply as preprocess
from core.tf_runtime import tf
from core.training.config import read_config


def load_run(run_dir: Path):
    """(config dict, backbone with the latest checkpoint's weights)."""
    from models.backbones import build_backbone

    run_dir = Path(run_dir)
    cfg = read_config(run_dir)
    t = tf()
    latest = t.train.latest_checkpoint(str(run_dir / "ckpt"))
    if latest is None:
        raise ModelFileInvalid(f"{run_dir} has no checkpoint yet.")
    model = build_backbone(cfg["backbone"], cfg["embedding_size"], cfg["input_size"])
    t.train.Checkpoint(model=model).restore(latest).expect_partial()
    return cfg, model


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
