"""Export a trained backbone (SavedModel, frozen GraphDef, .keras) and inspect model files.

Every export takes preprocessed float32 images (N, S, S, 3) and returns (N, D)
embeddings, the contract that ``facerec models add`` expects; the preprocessing,
alignment template, licence and parent model travel beside it in ``facerec.json``
(inside a SavedModel folder, or ``<file>.facerec.json`` beside a file). Every
export is written to a temporary path and moved into place.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from core.errors import ModelFileInvalid, UsageError
from core.fileutil import atomic_dir, atomic_path, write_bytes_atomic
from core.tf_runtime import tf
from core.zoo.preprocess import DESCRIPTIONS


def _serving_fn(model, size: int):
    t = tf()

    @t.function(input_signature=[t.TensorSpec((None, size, size, 3), t.float32, name="image")])
    def serve(image):
        return {"embedding": t.cast(model(image, training=False), t.float32)}

    return serve


def export_run(run_dir: Path, out: Path, fmt: str) -> dict:
    from core.zoo import load_run

    cfg, model = load_run(run_dir)
    meta = {"preprocess": cfg.get("preprocess", "arcface"), "template": f"arcface{int(cfg['input_size'])}",
            "family": cfg["backbone"], "parent": cfg.get("init", ""), "run": str(Path(run_dir).resolve()),
            **_licence_of(cfg.get("init", ""))}
    return export_model(model, int(cfg["input_size"]), Path(out), fmt, meta)


def _licence_of(parent: str) -> dict:
    """A model trained from a pretrained one keeps that model's licence."""
    if not parent:
        return {"licence": "your own model", "commercial_use": True}
    from core.zoo import get_spec

    spec = get_spec(parent)
    return {"licence": spec.licence, "commercial_use": spec.commercial_use}


def export_model(model, size: int, out: Path, fmt: str, meta: dict | None = None) -> dict:
    t = tf()
    out = Path(out)
    meta = {"preprocess": "arcface", "template": f"arcface{size}", **(meta or {})}
    if fmt == "savedmodel":
        module = t.Module()
        module.model = model
        module.serve = _serving_fn(model, size)
        with atomic_dir(out) as tmp:
            t.saved_model.save(module, str(tmp), signatures={"serving_default": module.serve})
            (tmp / "facerec.json").write_text(json.dumps(meta, indent=2))
    elif fmt == "frozen":
        from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

        concrete = _serving_fn(model, size).get_concrete_function()
        frozen = convert_variables_to_constants_v2(concrete)
        out = out if out.suffix == ".pb" else out.with_suffix(".pb")
        write_bytes_atomic(out, frozen.graph.as_graph_def().SerializeToString())
        write_bytes_atomic(out.with_name(out.name + ".facerec.json"), json.dumps(meta, indent=2).encode())
    elif fmt == "keras":
        out = out if out.suffix == ".keras" else out.with_suffix(".keras")
        with atomic_path(out, suffix=".keras") as tmp:
            model.save(tmp)
        write_bytes_atomic(out.with_name(out.name + ".facerec.json"), json.dumps(meta, indent=2).encode())
    else:
        raise UsageError(f"Unknown export format '{fmt}'. Known: savedmodel, frozen, keras.")
    return {"exported": str(out), "format": fmt, "input": [None, size, size, 3],
            "output": list(model.output_shape), "preprocess": DESCRIPTIONS[meta["preprocess"]], **meta}


def inspect_model(path: Path) -> dict:
    """Inputs, outputs, variables and operations of a SavedModel, frozen .pb, .keras or Keras .h5."""
    t = tf()
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file or folder.")
    if path.is_dir() and (path / "saved_model.pb").exists():
        loaded = t.saved_model.load(str(path))
        sigs = {}
        ops: Counter = Counter()
        for name, fn in loaded.signatures.items():
            inputs = {k: [str(v.dtype.name), v.shape.as_list()] for k, v in fn.structured_input_signature[1].items()}
            outputs = {k: [str(v.dtype.name), v.shape.as_list()] for k, v in fn.structured_outputs.items()}
            sigs[name] = {"inputs": inputs, "outputs": outputs}
            for node in fn.graph.as_graph_def().node:
                ops[node.op] += 1
            for f in fn.graph.as_graph_def().library.function:
                for node in f.node_def:
                    ops[node.op] += 1
        prefix = path / "variables" / "variables"
        variables = [{"name": n, "shape": list(shape)} for n, shape in t.train.list_variables(str(prefix))
                     if not n.startswith("_CHECKPOINTABLE_OBJECT_GRAPH")] if prefix.with_suffix(".index").exists() else []
        return {"path": str(path), "kind": "savedmodel", "signatures": sigs, "variables": len(variables),
                "parameters": int(sum(int(_prod(v["shape"])) for v in variables)), "variable_list": variables[:50],
                "operations": dict(ops.most_common())}
    if path.suffix == ".pb":
        gd = t.compat.v1.GraphDef()
        try:
            gd.ParseFromString(path.read_bytes())
        except Exception as exc:  # noqa: BLE001 - protobuf raises its own DecodeError
            raise ModelFileInvalid(f"{path} is not a TensorFlow GraphDef ({exc}).") from exc
        consumed = {i.split(":")[0].lstrip("^") for n in gd.node for i in n.input}
        inputs = [{"name": n.name, "dtype": t.dtypes.as_dtype(n.attr["dtype"].type).name,
                   "shape": [d.size for d in n.attr["shape"].shape.dim]} for n in gd.node if n.op == "Placeholder"]
        outputs = [n.name for n in gd.node if n.name not in consumed and n.op not in ("NoOp", "Const")]
        consts = [n for n in gd.node if n.op == "Const"]
        return {"path": str(path), "kind": "frozen_graph", "inputs": inputs, "outputs": outputs,
                "variables": 0, "constants": len(consts), "operations": dict(Counter(n.op for n in gd.node).most_common())}
    if path.suffix in (".keras", ".h5"):
        import keras

        import models.facenet  # noqa: F401  (registers ScaleSum)
        import models.heads  # noqa: F401  (registers the margin heads)

        try:
            model = keras.saving.load_model(path, compile=False)
        except Exception as exc:  # noqa: BLE001
            raise ModelFileInvalid(f"{path} could not be loaded as a Keras model ({exc}).") from exc
        return {"path": str(path), "kind": "keras", "inputs": [list(model.input_shape)],
                "outputs": [list(model.output_shape)], "variables": len(model.weights),
                "parameters": int(model.count_params()),
                "operations": dict(Counter(type(layer).__name__ for layer in model.layers).most_common())}
    raise UsageError(f"{path} is not a SavedModel folder, .pb, .keras or .h5 file.")


def _prod(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d or 0)
    return n
