"""ArcFace-style training of a face embedder from TFRecord shards.

A run lives in ``RUN_DIR``: ``config.json`` (what was trained), ``ckpt/``
(``tf.train.CheckpointManager``), and ``events.jsonl`` (one JSON object a line:
``{"event": "step", "step", "loss", "accuracy", "lr", "images_per_s", ...}``, plus
``start``, ``eval``, ``checkpoint``, ``cancelled``, ``done`` and ``error`` events) that the
GUI follows. Ctrl-C, SIGTERM or a file named ``CANCEL`` in the run folder stops the
run after saving a checkpoint; ``resume=True`` continues from the latest one.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from core.errors import DatasetError, UsageError
from core.fileutil import write_bytes_atomic
from core.tf_runtime import tf

BACKBONES = ("mobilefacenet", "r18", "r34", "r50", "r100")
HEADS = ("arcface", "cosface", "softmax")


@dataclass
class TrainConfig:
    data: str
    out: str
    backbone: str = "mobilefacenet"
    head: str = "arcface"
    steps: int = 1000
    batch_size: int = 64
    lr: list[float] = field(default_factory=lambda: [0.1, 0.01, 0.001])
    lr_steps: list[int] = field(default_factory=list)   # boundaries; empty -> at 60% and 85% of the steps
    optimizer: str = "sgd"                                # sgd (momentum 0.9) | adamw
    weight_decay: float = 5e-4
    momentum: float = 0.9
    embedding_size: int = 512
    input_size: int = 112
    margin_s: float = 64.0
    margin_m: float | None = None
    easy_margin: bool = False
    mixed_precision: bool = False
    xla: bool | None = None                               # default: on when a GPU is present
    log_every: int = 1
    checkpoint_every: int = 500
    val_bins: list[str] = field(default_factory=list)
    val_every: int = 1000
    seed: int = 0
    shuffle_buffer: int = 10_000

    def check(self) -> None:
        if self.backbone not in BACKBONES:
            raise UsageError(f"Unknown backbone '{self.backbone}'. Known: {', '.join(BACKBONES)}.")
        if self.head not in HEADS:
            raise UsageError(f"Unknown head '{self.head}'. Known: {', '.join(HEADS)}.")
        if self.steps < 1 or self.batch_size < 1:
            raise UsageError("--steps and --batch-size must be positive.")
        if self.optimizer not in ("sgd", "adamw"):
            raise UsageError("--optimizer must be sgd or adamw.")
        if not self.lr:
            raise UsageError("--lr needs at least one value.")
        if self.lr_steps and len(self.lr_steps) != len(self.lr) - 1:
            raise UsageError(f"--lr-steps needs {len(self.lr) - 1} boundaries for {len(self.lr)} learning rates.")
        if self.lr_steps and list(self.lr_steps) != sorted(self.lr_steps):
            raise UsageError("--lr-steps must increase.")

    def boundaries(self) -> list[int]:
        if self.lr_steps:
            return list(self.lr_steps)
        if len(self.lr) == 1:
            return []
        fracs = np.linspace(0.6, 0.9, len(self.lr) - 1)
        return [max(1, int(self.steps * f)) for f in fracs]


class EventLog:
    """Append-only JSON lines, flushed per event so a reader sees progress at once."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._f = open(self.path, "a", encoding="utf-8")

    def write(self, event: str, **fields) -> dict:
        rec = {"event": event, "time": round(time.time(), 3), **fields}
        self._f.write(json.dumps(rec) + "\n")
        self._f.flush()
        return rec

    def close(self) -> None:
        self._f.close()


def read_events(run_dir: Path) -> list[dict]:
    """All complete events of a run (a half-written last line is ignored)."""
    out = []
    try:
        with open(Path(run_dir) / "events.jsonl", encoding="utf-8") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
    except OSError:
        pass
    return out


def make_dataset(data_dir: Path, cfg: TrainConfig, global_batch: int):
    """tf.data: shards -> parallel decode -> random flip -> shuffle -> batch -> prefetch; returns (ds, classes)."""
    from core.datasets.tfrecords import read_meta

    t = tf()
    meta = read_meta(data_dir)
    files = [str(Path(data_dir) / s["file"]) for s in meta["shards"] if s.get("images", 0) > 0]
    if not files:
        raise DatasetError(f"{data_dir} holds no images.")
    classes = int(meta.get("classes") or 0)
    if classes < 2:
        raise DatasetError(f"{data_dir} has {classes} classes; training needs at least 2.")
    size = cfg.input_size
    feats = {"image": t.io.FixedLenFeature([], t.string), "label": t.io.FixedLenFeature([], t.int64)}

    def parse(rec):
        ex = t.io.parse_single_example(rec, feats)
        img = t.io.decode_image(ex["image"], channels=3, expand_animations=False)
        img = t.image.resize(t.cast(img, t.float32), (size, size))
        img = t.image.random_flip_left_right(img)
        return (img - 127.5) / 128.0, t.cast(ex["label"], t.int32)

    ds = t.data.Dataset.from_tensor_slices(files).shuffle(len(files), seed=cfg.seed)
    ds = ds.interleave(t.data.TFRecordDataset, cycle_length=min(8, len(files)), num_parallel_calls=t.data.AUTOTUNE)
    ds = ds.shuffle(cfg.shuffle_buffer, seed=cfg.seed, reshuffle_each_iteration=True).repeat()
    ds = ds.map(parse, num_parallel_calls=t.data.AUTOTUNE)
    ds = ds.batch(global_batch, drop_remainder=True).prefetch(t.data.AUTOTUNE)
    return ds, classes, int(meta["images"])


class Trainer:
    """Builds the model, head and optimizer under a distribution strategy and runs the loop."""

    def __init__(self, cfg: TrainConfig, classes: int):
        import keras

        from models.heads import build_backbone, build_head

        t = tf()
        self.cfg, self.classes = cfg, classes
        gpus = t.config.list_physical_devices("GPU")
        self.strategy = t.distribute.MirroredStrategy() if len(gpus) > 1 else t.distribute.get_strategy()
        self.xla = bool(gpus) if cfg.xla is None else cfg.xla
        if cfg.mixed_precision:
            keras.mixed_precision.set_global_policy("mixed_float16" if gpus else "mixed_bfloat16")
        else:
            keras.mixed_precision.set_global_policy("float32")
        with self.strategy.scope():
            keras.utils.set_random_seed(cfg.seed)
            self.model = build_backbone(cfg.backbone, cfg.embedding_size, cfg.input_size)
            kw = {} if cfg.head == "softmax" else {"s": cfg.margin_s, "m": cfg.margin_m, "easy_margin": cfg.easy_margin}
            self.head = build_head(cfg.head, classes, **kw)
            self.head.build((None, cfg.embedding_size))
            bounds = cfg.boundaries()
            self.schedule = keras.optimizers.schedules.PiecewiseConstantDecay(bounds, list(cfg.lr)) if bounds \
                else (lambda step: cfg.lr[0])
            lr = self.schedule if bounds else cfg.lr[0]
            if cfg.optimizer == "sgd":
                opt = keras.optimizers.SGD(lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay, clipnorm=None)
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

    def _step_fn(self, global_batch: int):
        t = tf()
        model, head, opt = self.model, self.head, self.opt
        scaled = hasattr(opt, "scale_loss") and self.cfg.mixed_precision and bool(t.config.list_physical_devices("GPU"))

        def one(images, labels):
            with t.GradientTape() as tape:
                emb = model(images, training=True)
                logits = head(emb, labels)
                per = _ce(t, labels, logits)
                loss = t.nn.compute_average_loss(per, global_batch_size=global_batch)
                reg = t.add_n(model.losses) / self.strategy.num_replicas_in_sync if model.losses else 0.0
                total = loss + reg
                target = opt.scale_loss(total) if scaled else total
            variables = model.trainable_variables + head.trainable_variables
            grads = tape.gradient(target, variables)
            opt.apply_gradients(zip(grads, variables))
            pred = t.argmax(head.cosine(emb), axis=1, output_type=t.int32)
            correct = t.reduce_sum(t.cast(t.equal(pred, labels), t.float32))
            return loss, correct

        def step(images, labels):
            loss, correct = self.strategy.run(one, args=(images, labels))
            loss = self.strategy.reduce("SUM", loss, axis=None)
            correct = self.strategy.reduce("SUM", correct, axis=None)
            self.step.assign_add(1)
            return loss, correct / global_batch

        return t.function(step, jit_compile=self.xla and self.strategy.num_replicas_in_sync == 1)

    def embed_fn(self):
        """uint8 (N, S, S, 3) -> (N, D) with the current weights (for verification), traced once per run."""
        if self._embed is None:
            from core.training.runs import backbone_embed_fn

            self._embed = backbone_embed_fn(self.model, jit=self.xla)
        return self._embed


def _ce(t, labels, logits):
    return t.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=t.cast(logits, t.float32))


def train(cfg: TrainConfig, resume: bool = False, progress: Callable[[dict], None] | None = None,
          cancel: Callable[[], bool] | None = None) -> dict:
    """Run (or resume) a training job; returns the CLI's JSON shape."""
    cfg.check()
    t = tf()
    run = Path(cfg.out)
    run.mkdir(parents=True, exist_ok=True)
    cfg_path = run / "config.json"
    if cfg_path.exists() and resume:
        old = json.loads(cfg_path.read_text())
        for key in ("backbone", "head", "embedding_size", "input_size"):
            if old.get(key) != getattr(cfg, key):
                raise UsageError(f"Cannot resume: this run was trained with {key}={old.get(key)!r}, "
                                 f"not {getattr(cfg, key)!r}.")
    elif cfg_path.exists() and (run / "ckpt").exists() and not resume:
        raise UsageError(f"{run} already holds a training run; pass --resume to continue it or choose another --out.")
    (run / "CANCEL").unlink(missing_ok=True)
    global_batch = cfg.batch_size
    ds, classes, n_images = make_dataset(Path(cfg.data), cfg, global_batch)
    trainer = Trainer(cfg, classes)
    write_bytes_atomic(cfg_path, json.dumps({**asdict(cfg), "classes": classes, "images": n_images}, indent=2).encode())
    manager = t.train.CheckpointManager(trainer.ckpt, str(run / "ckpt"), max_to_keep=3)
    log = EventLog(run / "events.jsonl")
    if resume and manager.latest_checkpoint:
        trainer.ckpt.restore(manager.latest_checkpoint)
        log.write("resume", step=int(trainer.step.numpy()), checkpoint=manager.latest_checkpoint)
    start_step = int(trainer.step.numpy())
    log.write("start", step=start_step, steps=cfg.steps, classes=classes, images=n_images, backbone=cfg.backbone,
              head=cfg.head, batch_size=cfg.batch_size, xla=trainer.xla, mixed_precision=cfg.mixed_precision,
              replicas=trainer.strategy.num_replicas_in_sync)

    stop = threading.Event()
    old_handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            old_handlers[sig] = signal.signal(sig, lambda *_: stop.set())

    def should_stop() -> bool:
        return stop.is_set() or (run / "CANCEL").exists() or bool(cancel and cancel())

    history: list[dict] = []
    evals: list[dict] = []
    step_fn = trainer._step_fn(global_batch)
    it = iter(trainer.strategy.experimental_distribute_dataset(ds) if trainer.strategy.num_replicas_in_sync > 1 else ds)
    cancelled = False
    t_last, n_last = time.perf_counter(), 0
    try:
        step = start_step
        while step < cfg.steps:
            if should_stop():
                cancelled = True
                break
            images, labels = next(it)
            loss, acc = step_fn(images, labels)
            step = int(trainer.step.numpy())
            n_last += global_batch
            if step % cfg.log_every == 0 or step == cfg.steps:
                now = time.perf_counter()
                rec = log.write("step", step=step, loss=round(float(loss), 5), accuracy=round(float(acc), 4),
                                lr=trainer.lr_at(step - 1), images_per_s=round(n_last / max(now - t_last, 1e-9), 1))
                t_last, n_last = now, 0
                history.append(rec)
                if progress:
                    progress(rec)
            if step % cfg.checkpoint_every == 0 and step < cfg.steps:
                path = manager.save(checkpoint_number=step)
                log.write("checkpoint", step=step, path=path)
            if cfg.val_bins and step % cfg.val_every == 0:
                evals.extend(_validate(trainer, cfg, step, log))
        path = manager.save(checkpoint_number=int(trainer.step.numpy()))
        log.write("checkpoint", step=int(trainer.step.numpy()), path=path)
        if cfg.val_bins and not cancelled and int(trainer.step.numpy()) % cfg.val_every != 0:
            evals.extend(_validate(trainer, cfg, int(trainer.step.numpy()), log))
        log.write("cancelled" if cancelled else "done", step=int(trainer.step.numpy()), checkpoint=path)
    except Exception as exc:
        log.write("error", message=str(exc))
        raise
    finally:
        log.close()
        for sig, h in old_handlers.items():
            signal.signal(sig, h)
    return {"history": [{k: v for k, v in h.items() if k not in ("event", "time")} for h in history],
            "checkpoint": path, "run_dir": str(run), "steps": int(trainer.step.numpy()), "classes": classes,
            "cancelled": cancelled, "evaluations": evals}


def _validate(trainer: Trainer, cfg: TrainConfig, step: int, log: EventLog) -> list[dict]:
    from core.evaluation.verify_bin import evaluate_bin

    out = []
    for b in cfg.val_bins:
        res = evaluate_bin(trainer.embed_fn(), Path(b), cfg.input_size)
        out.append(log.write("eval", step=step, **res))
    return out
