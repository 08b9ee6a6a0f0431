"""ArcFace-style training of a face embedder from TFRecord shards, on one device, several GPUs
(``MirroredStrategy``) or several processes and machines (``MultiWorkerMirroredStrategy``).

A run lives in ``RUN_DIR``: ``config.json`` (:mod:`core.training.config`), ``ckpt/``
(``tf.train.CheckpointManager``) and ``events.jsonl`` (:mod:`core.training.events`).
Ctrl-C, SIGTERM or a file named ``CANCEL`` in the run folder stops the run after
saving a checkpoint (a CANCEL written before the trainer starts is honoured too, and
removed once honoured); ``resume=True`` continues from the latest one. In a multi-worker
run only the chief writes checkpoints and events; every worker can resume.
"""

from __future__ import annotations

import json
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core.errors import BadValue, UsageError
from core.progress import CancelFn
from core.tf_runtime import multiworker_strategy, tf
from core.training.config import NETWORK_KEYS, TrainConfig
from core.training.data import make_dataset
from core.training.events import EventLog

CANCEL_FILE = "CANCEL"


def make_strategy(name: str):
    """auto: MirroredStrategy over several local GPUs, else the default; mirrored; multiworker (TF_CONFIG)."""
    if name == "multiworker":
        if not os.environ.get("TF_CONFIG"):
            raise UsageError("--strategy multiworker needs TF_CONFIG (or --workers HOST:PORT,... --worker-index I).")
        return multiworker_strategy()
    t = tf()
    gpus = t.config.list_physical_devices("GPU")
    if name == "mirrored" or (name == "auto" and len(gpus) > 1):
        return t.distribute.MirroredStrategy()
    return t.distribute.get_strategy()


def worker_info(strategy) -> tuple[int, int, bool]:
    """(worker index, worker count, is chief) of this process."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not getattr(resolver, "task_type", None):
        return 0, 1, True
    spec = resolver.cluster_spec().as_dict()
    workers = len(spec.get("worker", [])) + len(spec.get("chief", []))
    index = int(resolver.task_id or 0)
    chief = resolver.task_type == "chief" or (resolver.task_type == "worker" and index == 0 and "chief" not in spec)
    return index, max(1, workers), chief


class Trainer:
    """Builds the model, head and optimizer under a distribution strategy and runs the steps."""

    def __init__(self, cfg: TrainConfig, classes: int, strategy=None):
        import keras

        from models.backbones import build_backbone, build_head

        t = tf()
        self.cfg, self.classes = cfg, classes
        gpus = t.config.list_physical_devices("GPU")
        self.strategy = strategy or make_strategy(cfg.strategy)
        self.xla = bool(gpus) if cfg.xla is None else cfg.xla
        keras.mixed_precision.set_global_policy(("mixed_float16" if gpus else "mixed_bfloat16")
                                                if cfg.mixed_precision else "float32")
        with self.strategy.scope():
            keras.utils.set_random_seed(cfg.seed)
            self.model = build_backbone(cfg.backbone, cfg.embedding_size, cfg.input_size)
            if cfg.init:
                from core.training.init import load_init_weights

                load_init_weights(self.model, cfg.init)
            kw = {} if cfg.head == "softmax" else {"s": cfg.margin_s, "m": cfg.margin_m, "easy_margin": cfg.easy_margin}
            self.head = build_head(cfg.head, classes, **kw)
            self.head.build((None, cfg.embedding_size))
            if cfg.head_init:  # e.g. class centroids of the pretrained embeddings ("imprinting")
                import numpy as np

                w = np.load(cfg.head_init, allow_pickle=False)
                if tuple(w.shape) != tuple(self.head.w.shape):
                    raise BadValue(f"head_init {cfg.head_init}: shape {w.shape}, the head needs {tuple(self.head.w.shape)}.")
                self.head.w.assign(w.astype("float32"))
            bounds = cfg.boundaries()
            self.schedule = keras.optimizers.schedules.PiecewiseConstantDecay(bounds, list(cfg.lr)) if bounds \
                else (lambda step: cfg.lr[0])
            lr = self.schedule if bounds else cfg.lr[0]
            if cfg.optimizer == "sgd":
                opt = keras.optimizers.SGD(lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
            else:
                opt = keras.optimizers.AdamW(lr, weight_decay=cfg.weight_decay)
            if cfg.mixed_precision and gpus:
                opt = keras.optimizers.LossScaleOptimizer(opt)
            self.opt = opt
            self.step = t.Variable(0, dtype=t.int64, trainable=False, name="global_step")
        self.ckpt = t.train.Checkpoint(model=self.model, head=self.head, optimizer=self.opt, step=self.step)
        self._embed = None

    def lr_at(self, step: int) -> float:
        v = self.schedule(step)
        return float(v.numpy() if hasattr(v, "numpy") else v)

    def step_fn(self, global_batch: int):
        t = tf()
        model, head, opt, strategy = self.model, self.head, self.opt, self.strategy
        scaled = hasattr(opt, "scale_loss") and self.cfg.mixed_precision and bool(t.config.list_physical_devices("GPU"))

        def one(images, labels):
            with t.GradientTape() as tape:
                emb = model(images, training=not self.cfg.freeze_bn)
                logits = head(emb, labels)
                per = t.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=t.cast(logits, t.float32))
                loss = t.nn.compute_average_loss(per, global_batch_size=global_batch)
                reg = t.add_n(model.losses) / strategy.num_replicas_in_sync if model.losses else 0.0
                target = opt.scale_loss(loss + reg) if scaled else loss + reg
            variables = model.trainable_variables + head.trainable_variables
            opt.apply_gradients(zip(tape.gradient(target, variables), variables))
            pred = t.argmax(head.cosine(emb), axis=1, output_type=t.int32)
            return loss, t.reduce_sum(t.cast(t.equal(pred, labels), t.float32))

        def step(images, labels):
            loss, correct = strategy.run(one, args=(images, labels))
            loss = strategy.reduce("SUM", loss, axis=None)
            correct = strategy.reduce("SUM", correct, axis=None)
            self.step.assign_add(1)
            return loss, correct / global_batch

        return t.function(step, jit_compile=self.xla and strategy.num_replicas_in_sync == 1)

    def embed_fn(self):
        """uint8 (N, S, S, 3) -> (N, D) with the current weights (for verification), traced once per run."""
        if self._embed is None:
            from core.training.runs import backbone_embed_fn

            self._embed = backbone_embed_fn(self.model, self.cfg.preprocess, jit=self.xla)
        return self._embed


def _check_resume(run: Path, cfg: TrainConfig, resume: bool) -> None:
    cfg_path = run / "config.json"
    if cfg_path.exists() and resume:
        old = json.loads(cfg_path.read_text())
        for key in NETWORK_KEYS:
            if key in old and old.get(key) != getattr(cfg, key):
                raise UsageError(f"Cannot resume: this run was trained with {key}={old.get(key)!r}, "
                                 f"not {getattr(cfg, key)!r}.")
    elif cfg_path.exists() and (run / "ckpt").exists() and not resume:
        raise UsageError(f"{run} already holds a training run; pass --resume to continue it or choose another --out.")


def train(cfg: TrainConfig, resume: bool = False, progress: Callable[[dict], None] | None = None,
          cancel: CancelFn | None = None) -> dict:
    """Run (or resume) a training job; returns the CLI's JSON shape."""
    cfg.check()
    t = tf()
    run = Path(cfg.out)
    run.mkdir(parents=True, exist_ok=True)
    _check_resume(run, cfg, resume)
    strategy = make_strategy(cfg.strategy)
    index, workers, chief = worker_info(strategy)
    global_batch = cfg.batch_size
    from core.datasets import read_meta

    meta = read_meta(Path(cfg.data))
    classes, n_images = int(meta.get("classes") or 0), int(meta.get("images") or 0)
    trainer = Trainer(cfg, classes, strategy)
    if strategy.num_replicas_in_sync > 1:
        if global_batch % strategy.num_replicas_in_sync:
            raise UsageError(f"The batch size {global_batch} must divide evenly over "
                             f"{strategy.num_replicas_in_sync} replicas.")

        def dataset_fn(ctx):  # each worker reads its own shard, batched per replica
            return make_dataset(Path(cfg.data), cfg, ctx.get_per_replica_batch_size(global_batch),
                                shard=(ctx.input_pipeline_id, ctx.num_input_pipelines))[0]

        it = iter(strategy.distribute_datasets_from_function(dataset_fn))
    else:
        it = iter(make_dataset(Path(cfg.data), cfg, global_batch)[0])
    # every worker takes part in saving (a collective); only the chief's copy is kept, in RUN/ckpt
    ckpt_dir = run / "ckpt" if chief else Path(tempfile.mkdtemp(prefix=f"facerec-worker{index}-"))
    manager = t.train.CheckpointManager(trainer.ckpt, str(ckpt_dir), max_to_keep=3)
    if chief:
        cfg.save(run, classes=classes, images=n_images, workers=workers)
    log = EventLog(run / "events.jsonl") if chief else None

    def write(kind, **data):
        return log.write(kind, **data) if log else {"event": kind, **data}

    restore = t.train.latest_checkpoint(str(run / "ckpt"))  # a restarted worker resumes from the chief's
    if resume and restore:
        trainer.ckpt.restore(restore)
        write("resume", step=int(trainer.step.numpy()), checkpoint=restore)
    write("start", step=int(trainer.step.numpy()), steps=cfg.steps, classes=classes, images=n_images,
          backbone=cfg.backbone, head=cfg.head, batch_size=cfg.batch_size, xla=trainer.xla,
          mixed_precision=cfg.mixed_precision, replicas=strategy.num_replicas_in_sync, workers=workers)
    stop = threading.Event()
    old_handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            old_handlers[sig] = signal.signal(sig, lambda *_: stop.set())

    def should_stop() -> bool:
        return stop.is_set() or (run / CANCEL_FILE).exists() or bool(cancel and cancel())

    history, evals = [], []
    step_fn = trainer.step_fn(global_batch)
    cancelled, path = False, None
    t_last, n_last = time.perf_counter(), 0
    try:
        step = int(trainer.step.numpy())
        while step < cfg.steps:
            if workers == 1 and should_stop():  # several workers stop together only at the step limit
                cancelled = True
                break
            images, labels = next(it)
            loss, acc = step_fn(images, labels)
            step = int(trainer.step.numpy())
            n_last += global_batch
            if step % cfg.log_every == 0 or step == cfg.steps:
                now = time.perf_counter()
                rec = write("step", step=step, loss=round(float(loss), 5), accuracy=round(float(acc), 4),
                            lr=trainer.lr_at(step - 1), images_per_s=round(n_last / max(now - t_last, 1e-9), 1))
                t_last, n_last = now, 0
                history.append(rec)
                if progress:
                    progress(rec)
            if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                path = manager.save(checkpoint_number=step)
                write("checkpoint", step=step, path=path)
            if cfg.val_bins and step % cfg.val_every == 0 and chief:
                evals.extend(_validate(trainer, cfg, step, write))
        path = manager.save(checkpoint_number=int(trainer.step.numpy()))
        write("checkpoint", step=int(trainer.step.numpy()), path=path)
        if cfg.val_bins and chief and not cancelled and int(trainer.step.numpy()) % cfg.val_every != 0:
            evals.extend(_validate(trainer, cfg, int(trainer.step.numpy()), write))
        write("cancelled" if cancelled else "done", step=int(trainer.step.numpy()), checkpoint=path)
    except Exception as exc:
        write("error", message=str(exc))
        raise
    finally:
        if log:
            log.close()
        for sig, h in old_handlers.items():
            signal.signal(sig, h)
        if cancelled and chief:
            (run / CANCEL_FILE).unlink(missing_ok=True)  # honoured: the next resume starts clean
        if not chief:
            import shutil

            shutil.rmtree(ckpt_dir, ignore_errors=True)
    return {"history": [{k: v for k, v in h.items() if k not in ("event", "time")} for h in history],
            "checkpoint": path, "run_dir": str(run), "steps": int(trainer.step.numpy()), "classes": classes,
            "cancelled": cancelled, "evaluations": evals, "worker": index, "workers": workers, "chief": chief,
            "weights_digest": weights_digest(trainer.model)}


def weights_digest(model) -> str:
    """SHA-256 of the backbone's trainable weights: all-reduced, so equal on every worker of a multi-worker
    run (batch-norm moving statistics are each worker's own; the chief's are the ones saved)."""
    import hashlib

    h = hashlib.sha256()
    for w in model.trainable_weights:
        h.update(w.numpy().tobytes())
    return h.hexdigest()


def _validate(trainer: Trainer, cfg: TrainConfig, step: int, write) -> list[dict]:
    from core.evaluation import evaluate_bin

    return [write("eval", step=step, **evaluate_bin(trainer.embed_fn(), Path(b), cfg.input_size)) for b in cfg.val_bins]
