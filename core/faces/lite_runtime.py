"""LiteRT (``ai-edge-litert``): a converted network run on the CPU with XNNPACK, without TensorFlow.

One interpreter per model, behind a lock (an interpreter must not be used by two threads at once; each call
already uses every core). A batch of another size resizes the input (a fraction of a millisecond).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from core.errors import ModelFileInvalid, ModelUnavailable
from core.tf_runtime import quiet_native_stderr


def threads() -> int:
    """Threads for a LiteRT call: the machine's cores (at most 8; more rarely helps networks this small)."""
    return max(1, min(os.cpu_count() or 1, 8))


class LiteModel:
    """``run(x)`` -> {output name: array} for a ``.tflite`` file with one input."""

    def __init__(self, path: Path):
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise ModelUnavailable("LiteRT (the ai-edge-litert package) is not installed for this platform; use "
                                   "runtime = \"tf\".") from exc
        try:
            self._it = Interpreter(model_path=str(path), num_threads=threads())
        except (ValueError, RuntimeError) as exc:
            raise ModelFileInvalid(f"{path} is not a model LiteRT can run ({exc}).") from exc
        self._lock = threading.Lock()
        detail = self._it.get_input_details()[0]
        self._in, self._dtype = detail["index"], detail["dtype"]
        self._shape = list(detail["shape_signature"])
        sig = self._it._get_full_signature_list().get("serving_default", {})  # names -> tensor indices
        self._outputs = dict(sig.get("outputs", {})) or {d["name"]: d["index"] for d in self._it.get_output_details()}
        self._batch: int | None = None

    def run(self, x: np.ndarray) -> dict[str, np.ndarray]:
        x = np.ascontiguousarray(x, dtype=self._dtype)
        with self._lock:
            if len(x) != self._batch:
                self._it.resize_tensor_input(self._in, [len(x), *self._shape[1:]])
                with quiet_native_stderr():  # the first allocation announces the XNNPACK delegate on fd 2
                    self._it.allocate_tensors()
                self._batch = len(x)
            self._it.set_tensor(self._in, x)
            self._it.invoke()
            return {name: self._it.get_tensor(i).copy() for name, i in self._outputs.items()}
