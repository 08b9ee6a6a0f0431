"""``facerec models | represent | verify | calibrate | info``: the engine's commands."""

from __future__ import annotations

from pathlib import Path

from core.cli.common import Progress, analyzer_from, common_flags, image_paths, note
from core.errors import NoFaceFound, UsageError

MODEL_ACTIONS = ("list", "fetch", "add", "remove", "export-csv", "add-csv")


def cmd_models(args) -> tuple[dict, int]:
    from core.config import load_settings
    from core.zoo import calibration, list_models, remove_user_model
    from core.zoo import store as model_store

    a = args.action
    if a == "fetch":
        return fetch_items(args), 0
    if a == "add":
        from core.zoo import add_model

        if not args.name or not args.path:
            raise UsageError("Usage: facerec models add NAME PATH")
        return add_model(args.name, Path(args.path)), 0
    if a == "remove":
        if not args.name:
            raise UsageError("Usage: facerec models remove NAME")
        remove_user_model(args.name)
        return {"removed": args.name}, 0
    if a in ("export-csv", "add-csv"):
        from core.zoo import add_csv_model, export_csv

        if not args.name or not args.path:
            raise UsageError(f"Usage: facerec models {a} NAME DIR")
        return (export_csv(args.name, Path(args.path)) if a == "export-csv" else add_csv_model(args.name, Path(args.path))), 0
    rows = []
    for spec in list_models():
        fp = model_store.fingerprint(spec) if model_store.is_ready(spec) else ""
        cal = calibration(spec, fp) or {}
        rows.append({**spec.summary(), "ready": model_store.is_ready(spec),
                     "operating_points": cal.get("summary", {})})
    return {"models": rows, "default": load_settings().model, "items": model_store.items_ready()}, 0


def fetch_items(args) -> dict:
    """``models fetch [NAME]``: one model, detector or the sample photos; bare: what ``make setup`` needs (the
    default model, the live detector and the sample photos), whatever the default model is."""
    from core.config import load_settings
    from core.zoo import CATALOGUE, DETECTOR_SOURCES, fetch_model
    from core.zoo import store as model_store

    from_file = Path(args.from_file) if args.from_file else None
    if args.name in DETECTOR_SOURCES:
        path = model_store.fetch_detector(DETECTOR_SOURCES[args.name], progress=note, from_file=from_file)
        return {"fetched": args.name, "weights": str(path), "cache": str(model_store.models_dir())}
    if args.name == "samples":
        return {"fetched": "samples", "samples": str(model_store.fetch_samples(progress=note, from_file=from_file)),
                "cache": str(model_store.models_dir())}
    name = args.name or load_settings().model
    if name not in CATALOGUE:
        raise UsageError(f"Unknown model '{name}' to fetch. Known: {', '.join([*CATALOGUE, *DETECTOR_SOURCES])}, "
                         "samples.")
    man = fetch_model(name, progress=note, from_file=from_file, accept_licence=args.accept_license)
    doc = {"fetched": name, "manifest": man, "cache": str(model_store.models_dir())}
    if not args.name:
        doc["detector"] = str(model_store.fetch_detector(DETECTOR_SOURCES["yunet"], progress=note))
        doc["samples"] = str(model_store.fetch_samples(progress=note))
        from core.zoo.litert import available

        if available():  # yunet-onet's landmark stage, for LiteRT (once)
            from core.faces.detection.onet import convert

            note("Converting MTCNN's O-Net for LiteRT (once) ...")
            doc["onet"] = str(convert())
    return doc


def cmd_represent(args) -> tuple[dict, int]:
    paths = image_paths(args.images)
    an = analyzer_from(args)
    results, failed = [], 0
    for res in an.analyze_paths(paths, progress=Progress("Embedding", len(paths) > 1)):
        if res.error is None and not res.faces:
            res.error = NoFaceFound(f"{res.path}: no face found.")
        if res.error is not None:
            if len(paths) == 1:
                raise res.error
            failed += 1
            results.append({"path": res.path, "faces": [], "error": str(res.error)})
            continue
        results.append({"path": res.path, "faces": [f.to_json() for f in res.faces]})
    doc: dict = {"model": an.embedder.name, "dimension": an.embedder.dim, "detector": an.detector.name,
                 "results": results}
    if len(results) == 1:
        doc["faces"] = results[0]["faces"]
    return doc, (3 if failed else 0)


def cmd_verify(args) -> tuple[dict, int]:
    from core.decide import read_pairs_csv, verify_pairs, verify_two

    if args.pairs:
        if args.images:
            raise UsageError("Give either two images or --pairs FILE, not both.")
        pairs = read_pairs_csv(Path(args.pairs))
        doc = verify_pairs(analyzer_from(args), pairs, base=Path(args.pairs).parent, progress=Progress("Verifying"),
                           threshold=args.threshold)
        return doc, 0  # a pair without a usable face is reported in that pair, not as a failed run
    if len(args.images) != 2:
        raise UsageError("verify needs exactly two images (or --pairs FILE).")
    return verify_two(analyzer_from(args), args.images[0], args.images[1], threshold=args.threshold), 0


def cmd_calibrate(args) -> tuple[dict, int]:
    from core.decide import calibrate

    return calibrate(analyzer_from(args), Path(args.folder), progress=Progress("Calibrating")), 0


def cmd_info(args) -> tuple[dict, int]:
    from core import paths
    from core.config import load_settings
    from core.faces import available_detectors
    from core.faces.embedding import resolve_runtime
    from core.tf_runtime import GPU_SETUP, machine
    from core.zoo import is_ready, items_ready, list_models
    from core.zoo.litert import available

    settings = load_settings()
    return {"machine": machine(), "runtime": resolve_runtime(settings.runtime), "litert_installed": available(),
            "gpu_setup": GPU_SETUP, "detectors": available_detectors(),
            "models": {s.name: is_ready(s) for s in list_models()}, "items": items_ready(),
            "settings": settings.__dict__,
            "cache_dir": str(paths.cache_dir()), "data_dir": str(paths.data_dir()),
            "config_file": str(paths.settings_path()), "gallery": str(settings.gallery_dir())}, 0


def register(sub) -> None:
    common, jonly = common_flags(), common_flags(json_only=True)
    p = sub.add_parser("models", parents=[jonly], help="list, fetch, add or remove embedding models")
    p.add_argument("action", choices=MODEL_ACTIONS)
    p.add_argument("name", nargs="?")
    p.add_argument("path", nargs="?")
    p.add_argument("--from", dest="from_file", help="use this downloaded archive or weights file (offline)")
    p.add_argument("--accept-license", action="store_true", help="accept a non-commercial model licence")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("represent", parents=[common], help="detect faces and print their embeddings")
    p.add_argument("images", nargs="+")
    p.set_defaults(func=cmd_represent)

    p = sub.add_parser("verify", parents=[common], help="same person or not, for two images or a CSV of pairs")
    p.add_argument("images", nargs="*")
    p.add_argument("--pairs", help="CSV with rows a,b[,label]")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("calibrate", parents=[common], help="measure thresholds on folders of known people")
    p.add_argument("folder")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser("info", parents=[jonly], help="device, paths, settings and model status")
    p.set_defaults(func=cmd_info)
