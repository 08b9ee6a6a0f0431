"""CLI commands of the training room: convert-rec, convert-folder, train, eval, export, inspect."""

from __future__ import annotations

import sys
from pathlib import Path

from core.errors import UsageError


def cmd_convert_rec(args) -> tuple[dict, int]:
    from core.cli import Progress
    from core.datasets.tfrecords import convert_rec

    return convert_rec(Path(args.rec), Path(args.idx), Path(args.out), shard_size=args.shard_size,
                       progress=Progress("Converting")), 0


def cmd_convert_folder(args) -> tuple[dict, int]:
    from core.cli import Progress
    from core.datasets.tfrecords import convert_folder

    return convert_folder(Path(args.root), Path(args.out), shard_size=args.shard_size,
                          progress=Progress("Aligning and converting")), 0


def config_from_args(args):
    from core.training.trainer import TrainConfig

    cfg = TrainConfig(data=args.data, out=args.out, backbone=args.backbone, head=args.head, steps=args.steps,
                      batch_size=args.batch_size, optimizer=args.optimizer, weight_decay=args.weight_decay,
                      mixed_precision=args.mixed_precision, val_bins=list(args.val_bin or []),
                      val_every=args.val_every, checkpoint_every=args.checkpoint_every, log_every=args.log_every,
                      seed=args.seed, margin_s=args.margin_s, margin_m=args.margin_m, easy_margin=args.easy_margin)
    if args.lr:
        cfg.lr = list(args.lr)
    elif args.optimizer == "adamw":
        cfg.lr = [1e-3, 1e-4]
    if args.lr_steps:
        cfg.lr_steps = list(args.lr_steps)
    if args.xla is not None:
        cfg.xla = args.xla == "on"
    return cfg


def cmd_train(args) -> tuple[dict, int]:
    from core.training.trainer import train

    def show(rec):
        if not args.json or args.verbose:
            print(f"step {rec['step']:>6}  loss {rec['loss']:.4f}  acc {rec['accuracy']:.3f}  lr {rec['lr']:.2g}  "
                  f"{rec['images_per_s']:.0f} img/s", file=sys.stderr, flush=True)

    res = train(config_from_args(args), resume=args.resume, progress=show)
    return res, (130 if res["cancelled"] else 0)


def cmd_eval(args) -> tuple[dict, int]:
    from core.evaluation.verify_bin import evaluate_bin

    if bool(args.checkpoint) == bool(args.model):
        raise UsageError("Give exactly one of --checkpoint RUN_DIR or --model NAME.")
    if args.checkpoint:
        from core.training.runs import run_embed_fn

        embed, size = run_embed_fn(Path(args.checkpoint))
        label = f"checkpoint:{args.checkpoint}"
    else:
        from core.embedding import get_embedder

        emb = get_embedder(args.model, warmup=False)
        embed, size, label = emb.embed, emb.input_size, args.model
    out = []
    for b in args.bin:
        roc = Path(args.roc_dir) / (Path(b).stem + "_roc.png") if args.roc_dir else None
        out.append({"model": label, **evaluate_bin(embed, Path(b), size, roc_png=roc)})
    return (out[0] if len(out) == 1 else {"results": out}), 0


def cmd_export(args) -> tuple[dict, int]:
    from core.training.export import export_run

    return export_run(Path(args.checkpoint), Path(args.out), args.format), 0


def cmd_inspect(args) -> tuple[dict, int]:
    from core.training.export import inspect_model

    return inspect_model(Path(args.path)), 0


def add_train_arguments(p) -> None:
    p.add_argument("--data", required=True, help="folder of TFRecord shards with dataset.json")
    p.add_argument("--out", required=True, help="run folder (checkpoints, events.jsonl)")
    p.add_argument("--backbone", default="mobilefacenet", help="mobilefacenet | r18 | r34 | r50 | r100")
    p.add_argument("--head", default="arcface", help="arcface | cosface | softmax")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, nargs="+", help="piecewise learning rates, e.g. 0.1 0.01 0.001")
    p.add_argument("--lr-steps", type=int, nargs="+", help="step boundaries between the --lr values")
    p.add_argument("--optimizer", default="sgd", choices=["sgd", "adamw"])
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--margin-s", type=float, default=64.0)
    p.add_argument("--margin-m", type=float, default=None)
    p.add_argument("--easy-margin", action="store_true")
    p.add_argument("--mixed-precision", action="store_true", help="float16 on a GPU (bfloat16 on CPU)")
    p.add_argument("--xla", choices=["on", "off"], default=None, help="default: on with a GPU")
    p.add_argument("--resume", action="store_true", help="continue from the latest checkpoint in --out")
    p.add_argument("--val-bin", nargs="+", help=".bin verification sets to evaluate during training")
    p.add_argument("--val-every", type=int, default=1000)
    p.add_argument("--checkpoint-every", type=int, default=500)
    p.add_argument("--log-every", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verbose", action="store_true", help="print steps on stderr even with --json")


def register(sub, common, jonly) -> None:
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

    p = sub.add_parser("eval", parents=[jonly], help="10-fold verification on .bin pair sets")
    p.add_argument("--bin", nargs="+", required=True)
    p.add_argument("--checkpoint", help="training run folder")
    p.add_argument("--model", help="registered model name")
    p.add_argument("--roc-dir", help="write <bin>_roc.png files here")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("export", parents=[jonly], help="export a trained run")
    p.add_argument("--checkpoint", required=True, help="training run folder")
    p.add_argument("--out", required=True)
    p.add_argument("--format", default="savedmodel", choices=["savedmodel", "frozen", "keras"])
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("inspect", parents=[jonly], help="inputs, outputs, variables and ops of a model file")
    p.add_argument("path")
    p.set_defaults(func=cmd_inspect)
