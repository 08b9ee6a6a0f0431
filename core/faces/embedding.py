"""Batched embedding: aligned uint8 crops -> L2-normalised float32 vectors.

One ``tf.function`` per fixed batch bucket (1, 8, 32, 64): a batch is padded up
to its bucket, so a new batch size never retraces. XLA is used on a GPU. On a
CPU, batches run in chunks of :data:`CPU_CHUNK`: a chunk's activations stay in
cache, which makes SFace and ArcFace-MBF 1.5-2.4x faster than chunks of 32
(measured in docs/benchmarks.md).
Embedders are cached per process by (model name, fingerprint of all its
weights), so re-registering a model with new weights loads the new weights.
"""

from __future__ import annotations

import threading

import numpy as np

from core.errors import BadInput
from core.tf_runtime import has_gpu, run_tf, tf
from core.zoo import ModelSpec, fingerprint, get_spec, load_inference
from core.zoo.preprocess import apply as preprocess

BUCKETS = (1, 8, 32, 64)
CPU_CHUNK = 8


class Embedder:
    """Wraps one model. ``embed`` takes (N, S, S, 3) uint8 RGB crops aligned to ``spec.alignment()``."""

    def __init__(self, spec: ModelSpec, warmup: bool = True, weights_fingerprint: str | None = None):
        self.spec = spec
        self.fingerprint = weights_fingerprint if weights_fingerprint is not None else fingerprint(spec)
        self._t = tf()
        self._model = run_tf(load_inference, spec)
        self._fns: dict[int, object] = {}
        self._jit = has_gpu()
        if warmup:
            self.embed(np.zeros((1, spec.input_size, spec.input_size, 3), np.uint8))

    @property
    def chunk(self) -> int | None:
        """How many crops a CPU runs at once (CPU_CHUNK); None with XLA (GPU): up to the largest bucket."""
        return None if self._jit else CPU_CHUNK

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
        return f"{self.spec.name}:{(self.fingerprint or 'unversioned')[:12]}"

    def _fn(self, bucket: int):
        fn = self._fns.get(bucket)
        if fn is None:
            t, s = self._t, self.spec.input_size

            def run(x):
                y = self._model(preprocess(self.spec.preprocess, t.cast(x, t.float32), t), training=False)
                return t.math.l2_normalize(t.cast(y, t.float32), axis=1)

            fn = t.function(run, input_signature=[t.TensorSpec((bucket, s, s, 3), t.uint8)],
                            jit_compile=self._jit, reduce_retracing=False, autograph=False)
            self._fns[bucket] = fn
        return fn

    def embed(self, crops: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """(N, S, S, 3) uint8 -> (N, D) float32, rows of unit length."""
        crops = np.asarray(crops)
        s = self.spec.input_size
        if crops.ndim != 4 or crops.shape[1:] != (s, s, 3):
            raise BadInput(f"{self.name} embeds (N, {s}, {s}, 3) crops, not {crops.shape}.")
        n = len(crops)
        out = np.empty((n, self.dim), np.float32)
        if n == 0:
            return out
        step = min(self.chunk or max(BUCKETS), max(1, batch_size))
        run_tf(self._embed_chunks, crops, out, step)
        return out

    def _embed_chunks(self, crops: np.ndarray, out: np.ndarray, step: int) -> None:
        """Runs on the TensorFlow thread: pad each chunk to its bucket, embed, write rows into ``out``."""
        s, n = self.spec.input_size, len(crops)
        for start in range(0, n, step):
            chunk = crops[start:start + step]
            bucket = next(b for b in BUCKETS if b >= len(chunk))
            if len(chunk) < bucket:
                chunk = np.concatenate([chunk, np.zeros((bucket - len(chunk), s, s, 3), np.uint8)])
            res = self._fn(bucket)(self._t.constant(chunk.astype(np.uint8, copy=False)))
            out[start:start + min(step, n - start)] = res.numpy()[: min(step, n - start)]


_CACHE: dict[tuple[str, str], Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(name: str, warmup: bool = True) -> Embedder:
    """Process-wide cached embedder, keyed by (model name, fingerprint of its weights)."""
    spec = get_spec(name)
    fp = fingerprint(spec)
    with _CACHE_LOCK:
        emb = _CACHE.get((name, fp))
        if emb is None:
            emb = Embedder(spec, warmup=warmup, weights_fingerprint=fp)
            _CACHE[(name, fp)] = emb
        return emb
