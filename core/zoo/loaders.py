"""Turn a :class:`ModelSpec` into a network: Keras 3 models for training and export, and the inference
callable the embedder runs (``f(x, training=False) -> (N, D)`` on preprocessed float32 NHWC input).

All TensorFlow work happens through :mod:`core.tf_runtime`, which is imported first so TF starts quietly.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import ModelFileInvalid, UsageError
from core.tf_runtime import tf
from core.zoo.catalogue import ModelSpec, check_name, register_user_model
from core.zoo.store import require_ready, source_file, weights_path


def build_network(spec: ModelSpec):
    """An untrained Keras 3 network of a built-in model's family (weights are loaded separately)."""
    tf()
    if spec.family == "inception_resnet_v1":
        from models.facenet import build_inception_resnet_v1

        return build_inception_resnet_v1()
    if spec.family == "sface":
        from models.sface import build_sface

        return build_sface()
    if spec.family == "openface":
        from models.openface import build_openface

        return build_openface()
    from models.backbones import BACKBONES, build_backbone

    if spec.family in BACKBONES:
        return build_backbone(spec.family, spec.embedding_size, spec.input_size)
    raise ModelFileInvalid(f"No network builder for family '{spec.family}' ({spec.name}).")


def load_keras(spec: ModelSpec):
    """The Keras 3 model with its weights: for training (``--init``), export and as a reference."""
    require_ready(spec)
    if spec.builtin:
        model = build_network(spec)
        model.load_weights(weights_path(spec))
        return model
    if spec.kind == "keras":
        return _load_keras_file(Path(spec.path))
    if spec.kind == "checkpoint":
        from core.zoo.checkpoints import load_run

        return load_run(Path(spec.path))[1]
    if spec.kind == "csv":
        from models.openface import build_openface, load_csv_weights

        tf()
        model = build_openface()
        load_csv_weights(model, Path(spec.path))
        return model
    raise UsageError(f"'{spec.name}' is a {spec.kind} model; it cannot be loaded as a Keras network.")


def load_inference(spec: ModelSpec):
    """The callable the embedder runs for ``spec``."""
    require_ready(spec)
    if spec.family == "inception_resnet_v1" and spec.builtin and not os.environ.get("FACEREC_KERAS_INFERENCE"):
        h5 = source_file(spec)  # the h5's layer graph compiled to plain TF ops: ~1 s instead of ~5 s via Keras
        if h5 is not None:
            tf()
            from models.keras2_graph import compile_h5

            return compile_h5(h5)
    if spec.kind == "savedmodel":
        return load_exported(Path(spec.path))
    model = load_keras(spec)
    if os.environ.get("FACEREC_KERAS_INFERENCE"):
        return model
    from models.inference_graph import compile_inference

    return compile_inference(model)  # batch norms folded, lean PReLU: 1.1-1.5x the Keras call on a CPU


def _load_keras_file(path: Path):
    tf()
    import keras

    import models.facenet  # noqa: F401  (registers ScaleSum)
    import models.heads  # noqa: F401  (registers the margin heads)

    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - any loader failure is a bad model file for the user
        raise ModelFileInvalid(f"{path} could not be loaded as a Keras model ({exc}).") from exc


def load_exported(path: Path):
    """A callable ``f(x, training=False) -> (N, D)`` for a ``.keras`` file or SavedModel folder."""
    path = Path(path)
    if not path.exists():
        raise ModelFileInvalid(f"The registered model file {path} no longer exists.")
    if path.suffix == ".keras":
        return _load_keras_file(path)
    if not (path.is_dir() and (path / "saved_model.pb").exists()):
        raise ModelFileInvalid(f"{path} is neither a .keras file nor a SavedModel folder.")
    try:
        loaded = tf().saved_model.load(str(path))
    except Exception as exc:  # noqa: BLE001
        raise ModelFileInvalid(f"{path} could not be loaded as a SavedModel ({exc}).") from exc
    fn = loaded.signatures.get("serving_default")
    if fn is None:
        raise ModelFileInvalid(f"{path} has no 'serving_default' signature.")
    in_name = list(fn.structured_input_signature[1].keys())[0]
    out_name = list(fn.structured_outputs.keys())[0]

    def call(x, training=False):
        return fn(**{in_name: x})[out_name]

    call.loaded = loaded  # keep the SavedModel (and its variables) alive as long as the callable
    call.input_shape = tuple(fn.structured_input_signature[1][in_name].shape)
    call.output_shape = tuple(fn.structured_outputs[out_name].shape)
    return call


def read_export_manifest(path: Path) -> dict:
    """``facerec.json`` written beside an export by ``facerec export`` (preprocessing, licence, parent)."""
    import json

    p = Path(path)
    man = (p / "facerec.json") if p.is_dir() else p.with_name(p.name + ".facerec.json")
    try:
        return json.loads(man.read_text())
    except (OSError, ValueError):
        return {}


def add_model(name: str, path: Path, preprocess: str | None = None) -> dict:
    """Inspect an export and record it in the user model registry under ``name``."""
    from core.zoo.preprocess import check as check_preprocess
    from core.zoo.store import fingerprint

    check_name(name)
    path = Path(path).resolve()
    model = load_exported(path)
    in_shape = tuple(getattr(model, "input_shape", None) or ())
    out_shape = tuple(getattr(model, "output_shape", None) or ())
    if len(in_shape) != 4 or in_shape[1] != in_shape[2] or in_shape[3] != 3 or len(out_shape) != 2:
        raise ModelFileInvalid(f"{path} must take (N, S, S, 3) images and return (N, D) embeddings; "
                               f"it takes {in_shape} and returns {out_shape}.")
    man = read_export_manifest(path)
    spec = ModelSpec(
        name=name, family=man.get("family", "exported"), input_size=int(in_shape[1]),
        embedding_size=int(out_shape[1]), template=man.get("template", f"arcface{int(in_shape[1])}"),
        preprocess=check_preprocess(preprocess or man.get("preprocess", "arcface")),
        licence=man.get("licence", "your own model"), commercial_use=bool(man.get("commercial_use", True)),
        description=man.get("description", f"registered from {path.name}"),
        kind="keras" if path.suffix == ".keras" else "savedmodel", path=str(path), parent=man.get("parent", ""),
        fallback_threshold=float(man.get("fallback_threshold", 0.3)))
    register_user_model(spec)
    return {"added": name, **spec.summary(), "fingerprint": fingerprint(spec)}
