"""Batched embedding: aligned uint8 crops -> L2-normalised float32 vectors, on one of two runtimes.

- ``litert`` (the CPU default): the network converted once for LiteRT (:mod:`core.zoo.litert`) and run with
  XNNPACK on every core, without importing TensorFlow; chunks of :data:`CPU_CHUNK` crops keep activations in
  cache. About twice TensorFlow's throughput on a CPU (docs/benchmarks.md), equal outputs (to 1e-5).
- ``tf``: TensorFlow, one ``tf.function`` per fixed batch bucket (1, 8, 32, 64; a batch is padded up to its
  bucket, so a new batch size never retraces), XLA on a GPU, CPU chunks of :data:`CPU_CHUNK`. The GPU path,
  and the fallback where LiteRT has no wheel.

``runtime = auto`` (a setting) picks LiteRT unless a GPU may be used. Embedders are cached per process by
(model name, fingerprint of all its weights, runtime), so re-registering a model with new weights loads them.
"""

from __future__ import annotations

import logging
import threading

import numpy as np

from core.config import RUNTIMES
from core.errors import BadInput, ModelFileInvalid, UsageError
from core.zoo import ModelSpec, fingerprint, get_spec, model_key

BUCKETS = (1, 8, 32, 64)
CPU_CHUNK = 8
log = logging.getLogger(__name__)


def resolve_runtime(runtime: str = "auto") -> str:
    """"tf" or "litert" for a requested runtime: auto is LiteRT where it is installed and no GPU may be used."""
    from core.tf_runtime import gpu_possible
    from core.zoo.litert import available

    if runtime not in RUNTIMES:
        raise UsageError(f"Unknown runtime '{runtime}'; use one of {', '.join(RUNTIMES)}.")
    if runtime == "auto":
        return "litert" if available() and not gpu_possible() else "tf"
    return runtime


class Embedder:
    """Wraps one model. ``embed`` takes (N, S, S, 3) uint8 RGB crops aligned to ``spec.alignment()``."""

    runtime = ""

    def __init__(self, spec: ModelSpec, weights_fingerprint: str | None = None):
        self.spec = spec
        self.fingerprint = weights_fingerprint if weights_fingerprint is not None else fingerprint(spec)

    @property
    def chunk(self) -> int | None:
        """How many crops run at once on a CPU (CPU_CHUNK); None with XLA (GPU): up to the largest bucket."""
        return CPU_CHUNK

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def input_size(self) -> int:
        return self.spec.input_size

    @property
    def dim(self) -> int:
        return self.spec.embedding_size

    @property
    def model_key(self) -> str:
        """``name:fingerprint-prefix``: the key a gallery stores this model's embeddings under."""
        return model_key(self.spec.name, self.fingerprint)

    def embed(self, crops: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """(N, S, S, 3) uint8 -> (N, D) float32, rows of unit length."""
        crops = np.asarray(crops)
        s = self.spec.input_size
        if crops.ndim != 4 or crops.shape[1:] != (s, s, 3):
            raise BadInput(f"{self.name} embeds (N, {s}, {s}, 3) crops, not {crops.shape}.")
        out = np.empty((len(crops), self.dim), np.float32)
        if len(crops):
            self._embed(crops.astype(np.uint8, copy=False), out, min(self.chunk or max(BUCKETS), max(1, batch_size)))
        return out

    def _embed(self, crops: np.ndarray, out: np.ndarray, step: int) -> None:
        raise NotImplementedError

    def _warm(self) -> None:
        self.embed(np.zeros((1, self.spec.input_size, self.spec.input_size, 3), np.uint8))


class LiteEmbedder(Embedder):
    """The network converted for LiteRT (converting it first, once, when it is not cached)."""

    runtime = "litert"

    def __init__(self, spec: ModelSpec, warmup: bool = True, weights_fingerprint: str | None = None):
        from core.faces.lite_runtime import LiteModel
        from core.zoo.litert import convert, lite_path

        super().__init__(spec, weights_fingerprint)
        path = lite_path(spec, self.fingerprint)
        self._model = LiteModel(path if path.is_file() else convert(spec))
        if warmup:
            self._warm()

    def _embed(self, crops: np.ndarray, out: np.ndarray, step: int) -> None:
        for start in range(0, len(crops), step):
            part = crops[start:start + step]
            out[start:start + len(part)] = self._model.run(part)["embedding"]


class TFEmbedder(Embedder):
    """The network in TensorFlow (XLA on a GPU); every call runs on the TensorFlow thread."""

    runtime = "tf"

    def __init__(self, spec: ModelSpec, warmup: bool = True, weights_fingerprint: str | None = None):
        from core.tf_runtime import has_gpu, run_tf, tf
        from core.zoo import load_inference

        super().__init__(spec, weights_fingerprint)
        self._t = tf()
        self._model = run_tf(load_inference, spec)
        self._fns: dict[int, object] = {}
        self._jit = has_gpu()
        if warmup:
            self._warm()

    @property
    def chunk(self) -> int | None:
        return None if self._jit else CPU_CHUNK

    def _fn(self, bucket: int):
        fn = self._fns.get(bucket)
        if fn is None:
            from core.zoo.preprocess import apply as preprocess

            t, s = self._t, self.spec.input_size

            def run(x):
                y = self._model(preprocess(self.spec.preprocess, t.cast(x, t.float32), t), training=False)
                return t.math.l2_normalize(t.cast(y, t.float32), axis=1)

            fn = t.function(run, input_signature=[t.TensorSpec((bucket, s, s, 3), t.uint8)],
                            jit_compile=self._jit, reduce_retracing=False, autograph=False)
            self._fns[bucket] = fn
        return fn

    def _embed(self, crops: np.ndarray, out: np.ndarray, step: int) -> None:
        from core.tf_runtime import run_tf

        run_tf(self._embed_chunks, crops, out, step)

    def _embed_chunks(self, crops: np.ndarray, out: np.ndarray, step: int) -> None:
        """Runs on the TensorFlow thread: pad each chunk to its bucket, embed, write rows into ``out``."""
        s, n = self.spec.input_size, len(crops)
        for start in range(0, n, step):
            chunk = crops[start:start + step]
            bucket = next(b for b in BUCKETS if b >= len(chunk))
            if len(chunk) < bucket:
                chunk = np.concatenate([chunk, np.zeros((bucket - len(chunk), s, s, 3), np.uint8)])
            res = self._fn(bucket)(self._t.constant(chunk))
            out[start:start + min(step, n - start)] = res.numpy()[: min(step, n - start)]


_CACHE: dict[tuple[str, str, str], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(name: str, warmup: bool = True, runtime: str = "auto") -> Embedder:
    """Process-wide cached embedder, keyed by (model name, fingerprint of its weights, runtime). With
    ``runtime = auto`` a network LiteRT cannot run falls back to TensorFlow (logged)."""
    spec = get_spec(name)
    fp = fingerprint(spec)
    chosen = resolve_runtime(runtime)
    with _CACHE_LOCK:
        emb = _CACHE.get((name, fp, chosen))
        if emb is None:
            if chosen == "litert":
                try:
                    emb = LiteEmbedder(spec, warmup=warmup, weights_fingerprint=fp)
                except ModelFileInvalid as exc:
                    if runtime != "auto":
                        raise
                    log.warning("%s runs on TensorFlow: %s", name, exc)
                    emb = TFEmbedder(spec, warmup=warmup, weights_fingerprint=fp)
            else:
                emb = TFEmbedder(spec, warmup=warmup, weights_fingerprint=fp)
            _CACHE[(name, fp, chosen)] = emb
        return emb
