"""Batched embedding: aligned uint8 crops -> L2-normalised float32 vectors.

One ``tf.function`` per fixed batch bucket (1, 8, 32, 64): a batch is padded up
to its bucket, so a new batch size never retraces. XLA is used on a GPU.
"""

from __future__ import annotations

import threading

import numpy as np

from core.tf_runtime import has_gpu, run_tf, tf
from models.registry import ModelSpec, get_spec

BUCKETS = (1, 8, 32, 64)


class Embedder:
    """Wraps one registered model. ``embed`` takes (N, S, S, 3) uint8 RGB crops."""

    def __init__(self, spec: ModelSpec, warmup: bool = True):
        self.spec = spec
        t = tf()
        self._model = run_tf(spec.loader)
        self._fns: dict[int, object] = {}
        self._jit = has_gpu()
        self._t = t
        if warmup:
            self.embed(np.zeros((1, spec.input_size, spec.input_size, 3), np.uint8))

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def input_size(self) -> int:
        return self.spec.input_size

    @property
    def dim(self) -> int:
        return self.spec.embedding_size

    def _preprocess(self, x):
        t = self._t
        x = t.cast(x, t.float32)
        if self.spec.preprocess == "standardize":
            mean, var = t.nn.moments(x, axes=[1, 2, 3], keepdims=True)
            n = float(self.spec.input_size * self.spec.input_size * 3)
            std = t.maximum(t.sqrt(var), 1.0 / np.sqrt(n))
            return (x - mean) / std
        return (x - 127.5) / 128.0

    def _fn(self, bucket: int):
        fn = self._fns.get(bucket)
        if fn is None:
            t = self._t
            s = self.spec.input_size

            def run(x):
                y = self._model(self._preprocess(x), training=False)
                y = t.cast(y, t.float32)
                return t.math.l2_normalize(y, axis=1)

            fn = t.function(run, input_signature=[t.TensorSpec((bucket, s, s, 3), t.uint8)],
                            jit_compile=self._jit, reduce_retracing=False, autograph=False)
            self._fns[bucket] = fn
        return fn

    def embed(self, crops: np.ndarray, batch_size: int = 64) -> np.ndarray:
        """(N, S, S, 3) uint8 -> (N, D) float32, rows of unit length."""
        crops = np.asarray(crops)
        s = self.spec.input_size
        if crops.ndim != 4 or crops.shape[1:] != (s, s, 3):
            raise ValueError(f"expected (N, {s}, {s}, 3) crops, got {crops.shape}")
        n = len(crops)
        out = np.empty((n, self.dim), np.float32)
        if n == 0:
            return out
        step = min(max(BUCKETS), max(1, batch_size))
        run_tf(self._embed_chunks, crops, out, step)
        return out

    def _embed_chunks(self, crops: np.ndarray, out: np.ndarray, step: int) -> None:
        """Runs on the TensorFlow thread: pad each chunk to its bucket, embed, write rows into ``out``."""
        s, n = self.spec.input_size, len(crops)
        for start in range(0, n, step):
            chunk = crops[start:start + step]
            bucket = next(b for b in BUCKETS if b >= len(chunk))
            if len(chunk) < bucket:
                pad = np.zeros((bucket - len(chunk), s, s, 3), np.uint8)
                chunk = np.concatenate([chunk, pad])
            res = self._fn(bucket)(self._t.constant(chunk.astype(np.uint8, copy=False)))
            out[start:start + min(step, n - start)] = res.numpy()[: min(step, n - start)]


_CACHE: dict[str, Embedder] = {}
_CACHE_LOCK = threading.Lock()


def get_embedder(name: str = "facenet", warmup: bool = True) -> Embedder:
    """Process-wide cached embedder for a registered model name."""
    with _CACHE_LOCK:
        emb = _CACHE.get(name)
        if emb is None:
            emb = Embedder(get_spec(name), warmup=warmup)
            _CACHE[name] = emb
        return emb
