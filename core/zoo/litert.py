"""Our networks for LiteRT, TensorFlow's CPU runtime: converted once per weights fingerprint, cached beside the
weights, run without importing TensorFlow.

An embedder's ``.tflite`` takes (N, S, S, 3) uint8 RGB crops and returns (N, D) unit rows: the family's
preprocessing, the network (written for XNNPACK: :func:`models.inference_graph.compile_inference` with
``lite=True``) and the L2 normalisation are in one graph, frozen to constants, float32, built-in ops only (a
model that would need TensorFlow ops fails to convert rather than run slowly). The detectors' O-Net is
converted with the same :func:`freeze_and_convert` (:mod:`core.faces.detection.onet`). Converting needs
TensorFlow (a few seconds, once); ``facerec models fetch`` converts right away.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import ModelFileInvalid
from core.fileutil import write_bytes_atomic
from core.paths import cache_dir
from core.zoo.catalogue import ModelSpec
from core.zoo.store import fingerprint, model_dir

FORMAT = 1   # raised when the conversion changes, so cached files are converted again


def available() -> bool:
    """Whether the LiteRT package (``ai-edge-litert``) is installed for this platform."""
    import importlib.util

    try:
        return importlib.util.find_spec("ai_edge_litert.interpreter") is not None
    except (ImportError, ValueError):
        return False


def lite_path(spec: ModelSpec, fp: str | None = None) -> Path:
    """Where the converted model lives: beside a built-in model's weights, in the cache for the user's own."""
    fp = (fingerprint(spec) if fp is None else fp) or "unversioned"
    folder = model_dir(spec.name) if spec.builtin else cache_dir() / "models" / "user" / spec.name
    return folder / f"{spec.name}-{fp[:12]}-v{FORMAT}.tflite"


def _l2(t, y):
    """Unit rows as MUL, SUM, MAXIMUM, RSQRT (XNNPACK ops; TFLite's L2_NORMALIZATION is not one)."""
    return y * t.math.rsqrt(t.maximum(t.reduce_sum(y * y, axis=1, keepdims=True), 1e-12))


def _network(spec: ModelSpec):
    """The inference callable to convert: the Keras network written for LiteRT, FaceNet's h5 graph, or a
    SavedModel's signature."""
    from core.zoo.loaders import load_inference, load_keras

    if spec.kind == "savedmodel" or (spec.builtin and spec.family == "inception_resnet_v1"):
        return load_inference(spec)
    from models.inference_graph import compile_inference

    return compile_inference(load_keras(spec), lite=True)


def freeze_and_convert(fn, names: list[str]) -> bytes:
    """A tf.function with one input -> .tflite bytes (frozen, float32, built-in ops only, named outputs)."""
    from core.tf_runtime import tf

    t = tf()
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    cf0 = fn.get_concrete_function()
    frozen = convert_variables_to_constants_v2(cf0)
    spec = cf0.structured_input_signature[0][0]

    def named(x):
        outs = frozen(x)
        return dict(zip(names, outs if isinstance(outs, (list, tuple)) else [outs]))

    cf = t.function(named, input_signature=[spec], autograph=False).get_concrete_function()
    conv = t.lite.TFLiteConverter.from_concrete_functions([cf], t.Module())
    conv.target_spec.supported_ops = [t.lite.OpsSet.TFLITE_BUILTINS]
    conv.optimizations = []
    try:
        return conv.convert()
    except Exception as exc:  # noqa: BLE001 - any converter failure means: this model stays on TensorFlow
        raise ModelFileInvalid(f"The network could not be converted for LiteRT ({str(exc)[:300]}).") from exc


def convert(spec: ModelSpec, progress=None) -> Path:
    """Convert ``spec`` for LiteRT (once per weights fingerprint); returns the file."""
    path = lite_path(spec)
    if path.is_file():
        return path
    from core.tf_runtime import run_tf, tf
    from core.zoo.preprocess import apply as preprocess

    if progress is not None:
        progress(f"Converting {spec.name} for LiteRT, the CPU runtime (once) ...")

    def work() -> bytes:
        t = tf()
        net = _network(spec)
        s = spec.input_size

        def run(x):
            y = net(preprocess(spec.preprocess, t.cast(x, t.float32), t), training=False)
            return _l2(t, t.cast(y, t.float32))

        fn = t.function(run, input_signature=[t.TensorSpec((None, s, s, 3), t.uint8, name="pixels")],
                        autograph=False)
        return freeze_and_convert(fn, ["embedding"])

    write_bytes_atomic(path, run_tf(work))
    return path
