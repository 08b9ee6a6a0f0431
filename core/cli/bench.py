"""``facerec bench embed | detect | pipeline | gallery | train | soak | live``: figures on this machine."""

from __future__ import annotations

from core.cli.common import Progress, common_flags, note
from core.errors import UsageError

KINDS = ("embed", "detect", "pipeline", "scan", "group", "gallery", "vault", "train", "soak", "live")


def cmd_bench(args) -> tuple[dict, int]:
    """One benchmark's figures, with the headline figure the workbench's history compares it by."""
    from core.bench.headline import headline

    doc = run_bench(args)
    return {**doc, "headline": headline(doc)}, 0


def run_bench(args) -> dict:
    from core.bench import inference as bench
    from core.config import load_settings

    settings = load_settings(model=args.model, runtime=args.runtime)
    if args.what == "embed":
        return bench.bench_embed(model=settings.model, seconds=args.seconds, runtime=settings.runtime)
    if args.what == "detect":
        return bench.bench_detect(settings, detector=args.detector or settings.detector, frames=args.frames)
    if args.what == "pipeline":
        from core.bench.pipeline import bench_pipeline

        photos = args.photos
        if not photos:  # the sample photos, as `make bench` measures them
            from core.zoo import sample_dataset_dir

            photos = [str(sample_dataset_dir())]
        return bench_pipeline(photos, settings.replace(detector=args.detector))
    if args.what == "scan":
        from core.bench.library import bench_scan

        photos = args.photos
        if not photos:
            from core.zoo import sample_dataset_dir

            photos = [str(sample_dataset_dir())]
        return bench_scan(photos, settings.replace(detector=args.detector), progress=Progress("Scanning"))
    if args.what == "group":
        from core.bench.library import bench_group

        return bench_group(args.faces, settings, from_library=args.from_library, progress=Progress("Storing"))
    if args.what == "vault":
        from core.bench.vault import bench_vault

        return bench_vault(tuple(args.sizes), settings, progress=Progress("Galleries"))
    if args.what == "gallery":
        from core.bench.gallery import bench_gallery

        return bench_gallery(n=args.n, dim=args.dim, queries=args.queries, large=args.index, progress=note)
    if args.what == "train":
        from core.bench.training import bench_train

        return bench_train(backbone=args.backbone, batch_size=args.batch_size, mixed_precision=args.mixed_precision,
                           steps=args.steps)
    if args.what == "live":
        from core.bench.live import bench_live

        return bench_live(settings.replace(live_detector=args.detector), frames=args.frames * 5, progress=note)
    from core.bench.soak import bench_soak

    if not args.video:
        raise UsageError("bench soak needs --video FILE.")
    return bench_soak(args.video, settings.replace(live_detector=args.detector), minutes=args.minutes,
                      gallery=args.gallery, progress=note)


def register(sub) -> None:
    from core.training.config import BACKBONES

    p = sub.add_parser("bench", parents=[common_flags()], help="benchmarks: " + ", ".join(KINDS))
    p.add_argument("what", choices=KINDS)
    p.add_argument("photos", nargs="*", help="photos or folders (bench pipeline and scan; default: the sample photos)")
    p.add_argument("--faces", type=int, default=100_000, help="how many faces (bench group)")
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 100_000], help="gallery sizes (bench vault)")
    p.add_argument("--from-library", help="bench group: repeat this scanned library's embeddings (with noise)")
    p.add_argument("--seconds", type=float, default=3.0)
    p.add_argument("--frames", type=int, default=50, help="frames (bench detect; bench live: 5 times as many)")
    p.add_argument("--n", type=int, default=100_000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--queries", type=int, default=1000)
    p.add_argument("--index", default="binary", choices=["binary", "hnsw"], help="large-gallery index for `bench gallery`")
    p.add_argument("--backbone", default="r50", choices=list(BACKBONES))
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--mixed-precision", action="store_true")
    p.add_argument("--video", help="video file (bench soak)")
    p.add_argument("--minutes", type=float, default=1.0, help="how long (bench soak)")
    p.add_argument("--gallery", help="gallery folder (bench soak)")
    p.set_defaults(func=cmd_bench)
