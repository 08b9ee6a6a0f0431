"""Load and register user models: ``.keras`` files and SavedModel folders.

A registered model must map float32 (N, S, S, 3) preprocessed crops to (N, D)
embeddings; its input size and dimension are read from the model itself.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import ModelFileInvalid, UsageError


def load_exported(path: Path):
    """A callable ``f(x, training=False) -> (N, D)`` for a ``.keras`` file or SavedModel folder."""
    from core.tf_runtime import tf

    path = Path(path)
    if not path.exists():
        raise ModelFileInvalid(f"The registered model file {path} no longer exists.")
    try:
        if path.suffix == ".keras":
            import keras

            import models.facenet  # noqa: F401  (registers custom layers)
            import models.layers  # noqa: F401

            return keras.saving.load_model(path, compile=False)
        if path.is_dir() and (path / "saved_model.pb").exists():
            loaded = tf().saved_model.load(str(path))
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
    except ModelFileInvalid:
        raise
    except Exception as exc:  # noqa: BLE001 - any loader failure is a bad model file for the user
        raise ModelFileInvalid(f"{path} could not be loaded as a Keras model or SavedModel ({exc}).") from exc
    raise ModelFileInvalid(f"{path} is neither a .keras file nor a SavedModel folder.")


def add_model(name: str, path: Path, preprocess: str = "arcface", threshold: float = 0.3) -> dict:
    """Inspect ``path`` and record it in the user model registry under ``name``."""
    from core.fileutil import sha256_file
    from models.registry import register_user_model

    if not name.replace("-", "").replace("_", "").isalnum():
        raise UsageError("A model name may hold letters, digits, '-' and '_' only.")
    path = Path(path).resolve()
    model = load_exported(path)
    in_shape = tuple(getattr(model, "input_shape", None) or ())
    out_shape = tuple(getattr(model, "output_shape", None) or ())
    if len(in_shape) != 4 or in_shape[1] != in_shape[2] or in_shape[3] != 3 or len(out_shape) != 2:
        raise ModelFileInvalid(f"{path} must take (N, S, S, 3) images and return (N, D) embeddings; "
                               f"it takes {in_shape} and returns {out_shape}.")
    digest = sha256_file(path) if path.is_file() else sha256_file(path / "saved_model.pb")
    entry = {"path": str(path), "input_size": int(in_shape[1]), "embedding_size": int(out_shape[1]),
             "preprocess": preprocess, "template": "arcface", "threshold": threshold, "sha256": digest,
             "family": "exported"}
    register_user_model(name, entry)
    return {"added": name, **entry}
