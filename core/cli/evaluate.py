"""``facerec eval``: 10-fold verification on ``.bin`` pair sets, LFW, folder-per-person sets, and the
open-set protocol (enrolled people, probes, strangers)."""

from __future__ import annotations

from pathlib import Path

from core.cli.common import Progress, common_flags, note
from core.errors import UsageError


def _embedder(args):
    """(embed function, input size, label) for ``--checkpoint RUN`` or ``--model NAME``."""
    if args.checkpoint and args.model:
        raise UsageError("Give --checkpoint RUN_DIR or --model NAME, not both.")
    if args.checkpoint:
        from core.training.runs import run_embed_fn

        embed, size = run_embed_fn(Path(args.checkpoint))
        return embed, size, f"checkpoint:{args.checkpoint}"
    from core.config import load_settings
    from core.faces import get_embedder

    emb = get_embedder(args.model or load_settings().model, warmup=False)
    return emb.embed, emb.input_size, emb.name


def cmd_eval(args) -> tuple[dict, int]:
    sources = [n for n in ("bin", "lfw", "folders", "enroll") if getattr(args, n)]
    if len(sources) != 1:
        raise UsageError("Give one data source: --bin FILES, --lfw DIR, --folders DIR or "
                         "--enroll DIR --probes DIR --strangers DIR.")
    if args.bin:
        from core.evaluation import evaluate_bin

        embed, size, label = _embedder(args)
        out = []
        for b in args.bin:
            roc = Path(args.roc_dir) / (Path(b).stem + "_roc.png") if args.roc_dir else None
            out.append({"model": label, **evaluate_bin(embed, Path(b), size, roc_png=roc)})
        return (out[0] if len(out) == 1 else {"results": out}), 0
    if args.checkpoint:
        raise UsageError("--checkpoint works with --bin; register the run first (`facerec export` then "
                         "`facerec models add`) to evaluate it through the full pipeline.")
    from core.cli.common import settings_from

    settings = settings_from(args)
    progress = Progress("Evaluating")
    if args.lfw:
        from core.evaluation import evaluate_lfw
        from core.faces import FaceAnalyzer

        analyzer = FaceAnalyzer(settings, warmup=False)
        cal = None
        if args.calibrate:  # View 1 chooses the operating points; the report below then uses them
            from core.evaluation.calibrate import calibrate_on_lfw

            cal = calibrate_on_lfw(Path(args.lfw), analyzer, note=note, progress=progress)
        doc = evaluate_lfw(Path(args.lfw), settings, view=args.view, roc_dir=args.roc_dir, progress=progress,
                           flip=not args.no_flip, analyzer=analyzer)
        if cal is not None:
            doc.update(calibration=cal["summary"], calibration_file=cal["path"])
        return doc, 0
    if args.folders:
        from core.evaluation import evaluate_folders

        return evaluate_folders(Path(args.folders), settings, roc_dir=args.roc_dir, progress=progress), 0
    if not (args.probes and args.strangers):
        raise UsageError("The open-set protocol needs --enroll DIR, --probes DIR and --strangers DIR.")
    from core.evaluation import evaluate_openset

    return evaluate_openset(Path(args.enroll), Path(args.probes), Path(args.strangers), settings,
                            progress=progress), 0


def register(sub) -> None:
    p = sub.add_parser("eval", parents=[common_flags()],
                       help="verification and open-set accuracy: .bin sets, LFW, folders of people")
    p.add_argument("--bin", nargs="+", help=".bin pair sets (insightface layout)")
    p.add_argument("--lfw", help="LFW folder holding images_deepfunneled/ and pairs.txt (View 2)")
    p.add_argument("--view", type=int, choices=[1, 2], default=2, help="LFW view: 1 to choose, 2 to report")
    p.add_argument("--calibrate", action="store_true",
                   help="with --lfw: measure the operating points on View 1 and store them with the model")
    p.add_argument("--no-flip", action="store_true", help="with --lfw: no mirrored second embedding per image")
    p.add_argument("--folders", help="a folder with one sub-folder per person: all pairs verified")
    p.add_argument("--enroll", help="open-set protocol: folder-per-person tree to enrol")
    p.add_argument("--probes", help="open-set protocol: other photos of the enrolled people")
    p.add_argument("--strangers", help="open-set protocol: photos of people who are not enrolled")
    p.add_argument("--checkpoint", help="training run folder (with --bin)")
    p.add_argument("--roc-dir", help="write ROC plots (PNG) here")
    p.set_defaults(func=cmd_eval)
