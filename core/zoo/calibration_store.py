"""Where a model's calibration lives: bundled with a built-in model (``core/zoo/calibrations/<name>.json``)
or, for the user's own models and re-calibrations, in the user data folder keyed by the weights' fingerprint.
What a calibration means (operating points) is :mod:`core.decide.operating_points`; how one is measured,
:mod:`core.evaluation.calibrate`."""

from __future__ import annotations

import json
from pathlib import Path

from core.fileutil import write_bytes_atomic
from core.paths import data_dir
from core.zoo.catalogue import ModelSpec

BUNDLED = Path(__file__).resolve().parent / "calibrations"


def _user_calibration_path(spec: ModelSpec, fingerprint: str) -> Path:
    return data_dir() / "calibration" / f"{spec.name}-{(fingerprint or 'unversioned')[:12]}.json"


def calibration(spec: ModelSpec, fingerprint: str = "") -> dict | None:
    """The model's calibration: the user's own for these exact weights, else the bundled one for a
    built-in model. Keys: ``verify`` (thresholds by FAR), ``impostor`` (1:N score tail), ``provenance``."""
    paths = [_user_calibration_path(spec, fingerprint)]
    if spec.builtin:
        paths.append(BUNDLED / f"{spec.name}.json")
    for p in paths:
        try:
            doc = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and (not doc.get("fingerprint") or not fingerprint
                                      or doc["fingerprint"][:12] == fingerprint[:12]):
            return doc
    return None


def save_calibration(spec: ModelSpec, fingerprint: str, doc: dict, bundled: bool = False) -> Path:
    """Store a calibration with the model (bundled: into the source tree, for built-in models)."""
    path = (BUNDLED / f"{spec.name}.json") if bundled else _user_calibration_path(spec, fingerprint)
    write_bytes_atomic(path, (json.dumps({**doc, "model": spec.name, "fingerprint": fingerprint}, indent=1) + "\n").encode())
    return path
