"""The training run's typed config: the one source of defaults for the trainer, the CLI and the GUI.

Written into the run folder as ``config.json``; ``facerec train`` builds its flags
from :data:`DEFAULTS`, the Training tab its fields, and resuming checks that the
network-defining values did not change.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from core.errors import BadValue
from core.fileutil import write_bytes_atomic
from models.backbones import BACKBONES, HEADS, check_backbone, check_head

OPTIMIZERS = ("sgd", "adamw")
STRATEGIES = ("auto", "mirrored", "multiworker")
# what must not change when a run is resumed
NETWORK_KEYS = ("backbone", "head", "embedding_size", "input_size", "preprocess")


@dataclass
class TrainConfig:
    data: str
    out: str
    backbone: str = "mobilefacenet"
    head: str = "arcface"
    steps: int = 1000
    batch_size: int = 64
    lr: list[float] = field(default_factory=lambda: [0.1, 0.01, 0.001])
    lr_steps: list[int] = field(default_factory=list)   # boundaries; empty -> spread between 60% and 90%
    optimizer: str = "sgd"                                # sgd (momentum 0.9) | adamw
    weight_decay: float = 5e-4
    momentum: float = 0.9
    embedding_size: int = 512
    input_size: int = 112
    preprocess: str = "arcface"                           # core.zoo.preprocess kind the backbone is fed
    margin_s: float = 64.0
    margin_m: float | None = None
    easy_margin: bool = False
    mixed_precision: bool = False
    xla: bool | None = None                               # default: on when a GPU is present
    strategy: str = "auto"                                # auto | mirrored | multiworker
    log_every: int = 1
    checkpoint_every: int = 500
    val_bins: list[str] = field(default_factory=list)
    val_every: int = 1000
    seed: int = 0
    shuffle_buffer: int = 10_000
    init: str = ""                                        # start from this model's backbone weights
    augment: bool = False                                 # random crops and colour jitter (small data)
    freeze_bn: bool = False                               # keep batch-norm statistics (fine-tuning on few faces)
    head_init: str = ""                                   # .npy (embedding_size, classes): the head's first weights
    name: str = ""                                        # a label for the runs table

    def check(self) -> None:
        check_backbone(self.backbone)
        check_head(self.head)
        if self.steps < 1 or self.batch_size < 1:
            raise BadValue(f"steps ({self.steps}) and batch size ({self.batch_size}) must be positive.")
        if self.optimizer not in OPTIMIZERS:
            raise BadValue(f"optimizer = {self.optimizer!r}; use one of {', '.join(OPTIMIZERS)}.")
        if self.strategy not in STRATEGIES:
            raise BadValue(f"strategy = {self.strategy!r}; use one of {', '.join(STRATEGIES)}.")
        if not self.lr or any(not (v > 0 and math.isfinite(v)) for v in self.lr):
            raise BadValue(f"learning rates {self.lr} must be positive numbers (at least one).")
        if self.lr_steps and len(self.lr_steps) != len(self.lr) - 1:
            raise BadValue(f"{len(self.lr)} learning rates need {len(self.lr) - 1} step boundaries, "
                           f"not {len(self.lr_steps)}.")
        if self.lr_steps and list(self.lr_steps) != sorted(self.lr_steps):
            raise BadValue(f"learning-rate step boundaries {self.lr_steps} must increase.")
        if self.weight_decay < 0 or self.margin_s <= 0:
            raise BadValue("weight decay must be >= 0 and the margin scale s > 0.")
        if self.margin_m is not None and not 0 <= self.margin_m < 1.5:
            raise BadValue(f"margin m = {self.margin_m} must be between 0 and 1.5 (radians or cosine).")
        for name in ("log_every", "checkpoint_every", "val_every", "input_size", "embedding_size"):
            if getattr(self, name) < 1:
                raise BadValue(f"{name} = {getattr(self, name)} must be a positive whole number.")

    def boundaries(self) -> list[int]:
        if self.lr_steps:
            return list(self.lr_steps)
        if len(self.lr) == 1:
            return []
        fracs = np.linspace(0.6, 0.9, len(self.lr) - 1)
        return [max(1, int(self.steps * f)) for f in fracs]

    def to_json(self) -> dict:
        return asdict(self)

    def save(self, run_dir: Path, **extra) -> None:
        write_bytes_atomic(Path(run_dir) / "config.json", json.dumps({**asdict(self), **extra}, indent=2).encode())


DEFAULTS = TrainConfig(data="", out="")


def config_from_dict(doc: dict) -> TrainConfig:
    known = {f.name for f in fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in doc.items() if k in known})


__all__ = ["BACKBONES", "DEFAULTS", "HEADS", "NETWORK_KEYS", "OPTIMIZERS", "STRATEGIES", "TrainConfig",
           "config_from_dict"]
