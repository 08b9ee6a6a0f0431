"""``facerec bench train``: training images/s on synthetic batches (no input pipeline in the way)."""

from __future__ import annotations

import time

import numpy as np


def bench_train(backbone: str = "r50", batch_size: int = 128, mixed_precision: bool = False, steps: int = 10,
                classes: int = 1000) -> dict:
    from core.tf_runtime import machine, tf
    from core.training.config import TrainConfig
    from core.training.trainer import Trainer

    t = tf()
    cfg = TrainConfig(data="", out="", backbone=backbone, batch_size=batch_size, mixed_precision=mixed_precision,
                      steps=steps, lr=[0.1])
    cfg.check()
    tr = Trainer(cfg, classes)
    step = tr.step_fn(batch_size)
    rng = np.random.default_rng(0)
    x = t.constant(rng.uniform(-1, 1, (batch_size, 112, 112, 3)).astype(np.float32))
    y = t.constant(rng.integers(0, classes, batch_size).astype(np.int32))
    t0 = time.perf_counter()
    loss, _ = step(x, y)
    float(loss)
    first = time.perf_counter() - t0
    times = []
    for _ in range(max(1, steps)):
        t0 = time.perf_counter()
        loss, _ = step(x, y)
        float(loss)
        times.append(time.perf_counter() - t0)
    med = float(np.median(times))
    return {"bench": "train", "backbone": backbone, "head": "arcface", "batch_size": batch_size,
            "mixed_precision": mixed_precision, "xla": tr.xla, "steps_timed": len(times),
            "images_per_s": round(batch_size / med, 1), "ms_per_step": round(med * 1000, 1),
            "first_step_s": round(first, 1), "machine": machine()}
