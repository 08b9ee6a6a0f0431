"""``facerec models export-csv openface DIR`` and ``facerec models add-csv NAME DIR``: OpenFace weights as
per-layer CSV files (the layout in :mod:`models.openface`), out of and back into the app."""

from __future__ import annotations

import shutil
from pathlib import Path

from core.errors import UsageError
from core.zoo.catalogue import OPENFACE, ModelSpec, check_name, get_spec, register_user_model


def export_csv(name: str, folder: Path) -> dict:
    """Write a fetched OpenFace-family model's weights as a CSV folder."""
    from core.zoo.fetch import csv_dir, fetch_model

    spec = get_spec(name)
    if spec.family != "openface":
        raise UsageError(f"Only OpenFace networks have a CSV layout; '{name}' is a {spec.family}.")
    if spec.kind == "csv":
        src = Path(spec.path)
    else:
        fetch_model(name)
        src = csv_dir(spec)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(src.glob("*.csv"))
    for f in files:
        shutil.copyfile(f, folder / f.name)
    return {"exported": str(folder), "model": name, "files": len(files)}


def add_csv_model(name: str, folder: Path) -> dict:
    """Register a CSV folder (any folder in the layout) as an OpenFace model; every file is checked."""
    from core.zoo.loaders import load_keras
    from core.zoo.store import fingerprint

    check_name(name)
    folder = Path(folder).resolve()
    spec = ModelSpec(name=name, family="openface", input_size=OPENFACE.input_size,
                     embedding_size=OPENFACE.embedding_size, template=OPENFACE.template,
                     preprocess=OPENFACE.preprocess, licence=OPENFACE.licence, commercial_use=OPENFACE.commercial_use,
                     description=f"OpenFace nn4.small2 from the CSV folder {folder.name}", kind="csv",
                     path=str(folder), parent="openface", fallback_threshold=OPENFACE.fallback_threshold)
    load_keras(spec)  # raises ModelFileInvalid naming the file whose rows or columns do not fit
    register_user_model(spec)
    return {"added": name, **spec.summary(), "fingerprint": fingerprint(spec)}
