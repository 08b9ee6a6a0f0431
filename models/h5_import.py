"""Import Keras 2 ``.h5`` weights into a Keras 3 model by layer name.

Strict: every weight of the model must be filled from the file and every weight
in the file must be used, with equal shapes; otherwise :class:`ModelFileInvalid`.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from core.errors import ModelFileInvalid


def read_h5_weights(path: Path) -> dict[str, dict[str, np.ndarray]]:
    """``{layer_name: {weight_short_name: array}}`` from a Keras 2 h5 (full model or weights-only)."""
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise ModelFileInvalid(f"{path} is not an HDF5 weights file ({exc}).") from exc
    with f:
        root = f["model_weights"] if "model_weights" in f else f
        if "layer_names" not in root.attrs:
            raise ModelFileInvalid(f"{path} has no Keras layer table (attribute 'layer_names').")
        out: dict[str, dict[str, np.ndarray]] = {}
        for raw in root.attrs["layer_names"]:
            lname = raw.decode() if isinstance(raw, bytes) else str(raw)
            group = root[lname]
            names = [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs.get("weight_names", [])]
            if not names:
                continue
            out[lname] = {n.split("/")[-1].split(":")[0]: np.asarray(group[n]) for n in names}
        return out


def load_weights_by_name(model, weights: dict[str, dict[str, np.ndarray]]) -> int:
    """Assign ``weights`` to ``model`` by layer and weight name; returns the number of arrays set."""
    missing: list[str] = []
    mismatched: list[str] = []
    used: set[tuple[str, str]] = set()
    assigned = 0
    for layer in model.layers:
        for var in layer.weights:
            short = var.name.split("/")[-1].split(":")[0]
            src = weights.get(layer.name, {}).get(short)
            if src is None:
                missing.append(f"{layer.name}/{short}")
                continue
            if tuple(src.shape) != tuple(var.shape):
                mismatched.append(f"{layer.name}/{short} file {src.shape} model {tuple(var.shape)}")
                continue
            var.assign(src.astype(np.float32))
            used.add((layer.name, short))
            assigned += 1
    extra = [f"{ln}/{wn}" for ln, ws in weights.items() for wn in ws if (ln, wn) not in used]
    problems = []
    if missing:
        problems.append(f"{len(missing)} model weights missing from the file (e.g. {', '.join(missing[:3])})")
    if mismatched:
        problems.append(f"{len(mismatched)} shape mismatches (e.g. {mismatched[0]})")
    if extra:
        problems.append(f"{len(extra)} file weights unused by the model (e.g. {', '.join(extra[:3])})")
    if problems:
        raise ModelFileInvalid("The weights do not fit this network: " + "; ".join(problems) + ".")
    return assigned
