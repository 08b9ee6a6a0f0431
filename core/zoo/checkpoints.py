"""A training run folder as a model source: its ``config.json`` and latest checkpoint back into a Keras backbone
(user models of kind ``checkpoint``, exports and evaluation of a run). Writing runs is :mod:`core.training`."""

from __future__ import annotations

import json
from pathlib import Path

from core.errors import ModelFileInvalid, UsageError
from core.tf_runtime import tf


def read_config(run_dir: Path) -> dict:
    """A run's ``config.json`` (with the classes and images the trainer added)."""
    try:
        doc = json.loads((Path(run_dir) / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{run_dir} is not a training run (no readable config.json).") from exc
    if not isinstance(doc, dict) or "backbone" not in doc:
        raise UsageError(f"{run_dir}/config.json is not a training config.")
    return doc



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
