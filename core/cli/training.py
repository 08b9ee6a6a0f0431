"""``facerec convert-rec | convert-folder | train | export | inspect``: the training room's commands.

Every ``train`` flag's default comes from :data:`core.training.config.DEFAULTS`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from core.cli.common import Progress, common_flags
from core.errors import BadValue, UsageError
from core.training.config import BACKBONES, DEFAULTS, HEADS, OPTIMIZERS, STRATEGIES, TrainConfig


def cmd_convert_rec(args) -> tuple[dict, int]:
    from core.datasets import convert_rec

    return convert_rec(Path(args.rec), Path(args.idx), Path(args.out), shard_size=args.shard_size,
                       progress=Progress("Converting")), 0


def cmd_convert_folder(args) -> tuple[dict, int]:
    from core.datasets import convert_folder

    return convert_folder(Path(args.root), Path(args.out), shard_size=args.shard_size,
                          progress=Progress("Aligning and converting")), 0


def worker_tf_config(workers: str, index: int) -> str:
    """The standard TF_CONFIG for worker ``index`` of ``host:port,host:port,...``."""
    hosts = [h.strip() for h in workers.split(",") if h.strip()]
    if len(hosts) < 2 or any(":" not in h for h in hosts):
        raise BadValue(f"--workers {workers!r} must list at least two HOST:PORT entries, comma-separated.")
    if not 0 <= index < len(hosts):
        raise BadValue(f"--worker-index {index} must be between 0 and {len(hosts) - 1}.")
    return json.dumps({"cluster": {"worker": hosts}, "task": {"type": "worker", "index": index}})


def config_from_args(args) -> TrainConfig:
    values = {k: getattr(args, k) for k in ("data", "out", "backbone", "head", "steps", "batch_size", "optimizer",
                                            "weight_decay", "mixed_precision", "val_every", "checkpoint_every",
                                            "log_every", "seed", "margin_s", "margin_m", "easy_margin", "strategy",
                                            "augment", "name", "input_size", "embedding_size")}
    values["val_bins"] = list(args.val_bin or [])
    if args.init:
        from core.training.init import init_settings

        values.update(init_settings(args.init), init=args.init)
    cfg = TrainConfig(**values)
    if args.lr:
        cfg.lr = list(args.lr)
    elif args.optimizer == "adamw":
        cfg.lr = [1e-3, 1e-4]
    if args.lr_steps:
        cfg.lr_steps = list(args.lr_steps)
    if args.xla is not None:
        cfg.xla = args.xla == "on"
    cfg.check()
    return cfg


def cmd_train(args) -> tuple[dict, int]:
    if args.workers:
        os.environ["TF_CONFIG"] = worker_tf_config(args.workers, args.worker_index)
        args.strategy = "multiworker"
    if args.strategy == "multiworker":  # collectives must be set up before TensorFlow runs anything
        from core.tf_runtime import multiworker_strategy

        multiworker_strategy()
    if args.from_gallery:
        from core.training.finetune import finetune_from_gallery

        res = finetune_from_gallery(Path(args.from_gallery), init=args.init, name=args.name or None,
                                    steps=args.steps if args.steps != DEFAULTS.steps else None,
                                    progress=None if args.json else Progress("Fine-tuning"))
        return res, 0
    if not args.data or not args.out:
        raise UsageError("train needs --data DIR and --out RUN_DIR (or --from-gallery GALLERY_DIR).")
    from core.training.trainer import train

    def show(rec):
        if not args.json or args.verbose:
            print(f"step {rec['step']:>6}  loss {rec['loss']:.4f}  acc {rec['accuracy']:.3f}  lr {rec['lr']:.2g}  "
                  f"{rec['images_per_s']:.0f} img/s", file=sys.stderr, flush=True)

    res = train(config_from_args(args), resume=args.resume, progress=show)
    return res, (130 if res["cancelled"] else 0)


def cmd_export(args) -> tuple[dict, int]:
    from core.training.export import export_run

    return export_run(Path(args.checkpoint), Path(args.out), args.format), 0


def cmd_inspect(args) -> tuple[dict, int]:
    from core.training.export import inspect_model

    return inspect_model(Path(args.path)), 0


def add_train_arguments(p) -> None:
    d = DEFAULTS
    p.add_argument("--data", help="folder of TFRecord shards with dataset.json")
    p.add_argument("--out", help="run folder (checkpoints, events.jsonl)")
    p.add_argument("--backbone", default=d.backbone, help=" | ".join(BACKBONES))
    p.add_argument("--head", default=d.head, help=" | ".join(HEADS))
    p.add_argument("--steps", type=int, default=d.steps)
    p.add_argument("--input-size", type=int, default=d.input_size, help="face crop size in pixels")
    p.add_argument("--embedding-size", type=int, default=d.embedding_size)
    p.add_argument("--batch-size", type=int, default=d.batch_size, help="global batch (split over replicas)")
    p.add_argument("--lr", type=float, nargs="+", help=f"piecewise learning rates (default {' '.join(map(str, d.lr))})")
    p.add_argument("--lr-steps", type=int, nargs="+", help="step boundaries between the --lr values")
    p.add_argument("--optimizer", default=d.optimizer, choices=OPTIMIZERS)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--margin-s", type=float, default=d.margin_s)
    p.add_argument("--margin-m", type=float, default=d.margin_m)
    p.add_argument("--easy-margin", action="store_true")
    p.add_argument("--mixed-precision", action="store_true", help="float16 on a GPU (bfloat16 on CPU)")
    p.add_argument("--xla", choices=["on", "off"], default=None, help="default: on with a GPU")
    p.add_argument("--strategy", default=d.strategy, choices=STRATEGIES,
                   help="auto: mirrored over several local GPUs; multiworker: MultiWorkerMirroredStrategy (TF_CONFIG)")
    p.add_argument("--workers", help="HOST:PORT,HOST:PORT,...: write TF_CONFIG and train with --strategy multiworker")
    p.add_argument("--worker-index", type=int, default=0, help="this machine's position in --workers")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    p.add_argument("--val-bin", nargs="+", help=".bin verification sets to evaluate during training")
    p.add_argument("--val-every", type=int, default=d.val_every)
    p.add_argument("--checkpoint-every", type=int, default=d.checkpoint_every)
    p.add_argument("--log-every", type=int, default=d.log_every)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--init", help="start from this model's weights (its backbone and preprocessing are used)")
    p.add_argument("--augment", action="store_true", help="random crops and colour jitter (small datasets)")
    p.add_argument("--from-gallery", help="fine-tune on a gallery's enrolled people (GALLERY_DIR)")
    p.add_argument("--name", default="", help="name of the fine-tuned model (with --from-gallery)")
    p.add_argument("--verbose", action="store_true", help="print steps on stderr even with --json")


def register(sub) -> None:
    jonly = common_flags(json_only=True)
    p = sub.add_parser("convert-rec", parents=[jonly], help="MXNet .rec/.idx -> TFRecord shards")
    p.add_argument("--rec", required=True)
    p.add_argument("--idx", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--shard-size", type=int, default=20_000)
    p.set_defaults(func=cmd_convert_rec)

    p = sub.add_parser("convert-folder", parents=[jonly], help="folders of people -> aligned TFRecord shards")
    p.add_argument("--root", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--shard-size", type=int, default=20_000)
    p.set_defaults(func=cmd_convert_folder)

    p = sub.add_parser("train", parents=[jonly], help="train a face embedder (ArcFace, CosFace, softmax)")
    add_train_arguments(p)
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("export", parents=[jonly], help="export a trained run")
    p.add_argument("--checkpoint", required=True, help="training run folder")
    p.add_argument("--out", required=True)
    p.add_argument("--format", default="savedmodel", choices=["savedmodel", "frozen", "keras"])
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("inspect", parents=[jonly], help="inputs, outputs, variables and ops of a model file")
    p.add_argument("path")
    p.set_defaults(func=cmd_inspect)
