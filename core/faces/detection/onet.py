"""MTCNN's O-Net as a function of 48x48 face crops, on TensorFlow or LiteRT (the landmark stage of yunet-onet).

``onet(runtime)(crops)``: crops (K, 48, 48, 3) float32 in [-1, 1) (:func:`core.faces.detection.mtcnn_tf.normalize`)
-> (reg (K, 4), landmarks (K, 10), prob (K,)) numpy arrays. The LiteRT version is converted once from the same
weights (the ``mtcnn`` wheel's, checked by SHA-256) and cached; it runs without importing TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.faces.detection.mtcnn_tf import WEIGHT_SHA256, onet_nets
from core.fileutil import write_bytes_atomic
from core.paths import cache_dir

OnetFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


def lite_path() -> Path:
    from core.zoo.litert import FORMAT

    return cache_dir() / "models" / "detectors" / f"onet-{WEIGHT_SHA256['onet'][:12]}-v{FORMAT}.tflite"


def convert() -> Path:
    """Write O-Net's ``.tflite`` (once); needs TensorFlow."""
    path = lite_path()
    if path.is_file():
        return path
    from core.tf_runtime import run_tf, tf
    from core.zoo.litert import freeze_and_convert

    def work() -> bytes:
        t = tf()
        nets = onet_nets()
        fn = t.function(lambda x: list(nets.onet(x)),
                        input_signature=[t.TensorSpec((None, 48, 48, 3), t.float32, name="crops")], autograph=False)
        return freeze_and_convert(fn, ["reg", "landmarks", "prob"])

    write_bytes_atomic(path, run_tf(work))
    return path


def tf_onet() -> OnetFn:
    from core.tf_runtime import run_tf, tf

    t = tf()
    nets = run_tf(onet_nets)
    fn = t.function(nets.onet, input_signature=[t.TensorSpec((None, 48, 48, 3), t.float32)], autograph=False)
    return lambda crops: tuple(run_tf(lambda: [v.numpy() for v in fn(t.constant(crops))]))


def lite_onet() -> OnetFn:
    from core.faces.lite_runtime import LiteModel

    path = lite_path()
    model = LiteModel(path if path.is_file() else convert())

    def run(crops: np.ndarray):
        out = model.run(crops)
        return out["reg"], out["landmarks"], out["prob"]

    return run


def onet(runtime: str) -> OnetFn:
    """O-Net on ``runtime`` ("tf" or "litert")."""
    return lite_onet() if runtime == "litert" else tf_onet()
