"""FAISS index derived from the database: ids are embedding-row primary keys.

Exact inner product (``IndexFlatIP``) up to ``exact_limit`` vectors. Above it,
``large`` chooses the approximate index:

- ``"binary"`` (default): every vector is rotated by a fixed random orthogonal
  matrix and reduced to its 128 sign bits (``IndexBinaryFlat``, an exhaustive
  Hamming scan); the best ``RERANK`` candidates are then re-scored exactly with
  their float vectors. Measured at 1M x 128: recall@1 0.998, p50 0.75 ms, build < 1 s.
- ``"hnsw"``: ``IndexHNSWFlat`` (M=32). Measured at 1M x 128 on the same data:
  recall@1 0.87 at p50 0.86 ms and a 226 s build, so it is not the default.

One file holds a JSON header (model key, count, hash of ids, kind) and the
serialised index, sealed (AES-GCM) under an encrypted gallery's key; it is written
to a temporary file and moved into place with ``os.replace``, so a reader sees the
old or the new index, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from core.storage import SealBroken, read_maybe_sealed, write_maybe_sealed

MAGIC = b"FACEREC-INDEX-1\n"
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 192
RERANK = 64
ROTATION_SEED = 20261122


def ids_fingerprint(ids: np.ndarray) -> str:
    """SHA-256 (hex, 32 chars) of the sorted int64 ids."""
    return hashlib.sha256(np.sort(np.asarray(ids, np.int64)).tobytes()).hexdigest()[:32]


@dataclass
class Header:
    model_key: str
    dim: int
    count: int
    ids_hash: str
    kind: str  # "exact" | "hnsw"

    def matches(self, model_key: str, count: int, ids_hash: str) -> bool:
        return (self.model_key, self.count, self.ids_hash) == (model_key, count, ids_hash)


class VectorIndex:
    """Inner-product search over unit vectors with int64 ids."""

    def __init__(self, index: faiss.Index, header: Header):
        self.index = index
        self.header = header

    @classmethod
    def build(cls, model_key: str, dim: int, ids: np.ndarray, vectors: np.ndarray,
              exact_limit: int = 50_000, large: str = "binary") -> VectorIndex:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, dim)
        kind = "exact" if len(ids) <= exact_limit else large
        if kind == "binary":
            return BinaryRerankIndex(Header(model_key, dim, len(ids), ids_fingerprint(ids), kind), ids, vectors)
        if kind not in ("exact", "hnsw"):
            raise ValueError(f"unknown index kind {kind!r}; use 'binary' or 'hnsw'")
        if kind == "exact":
            base = faiss.IndexFlatIP(dim)
        else:
            base = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            base.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            base.hnsw.efSearch = HNSW_EF_SEARCH
        index = faiss.IndexIDMap2(base)
        if len(ids):
            index.add_with_ids(vectors, ids)
        return cls(index, Header(model_key, dim, len(ids), ids_fingerprint(ids), kind))

    @property
    def kind(self) -> str:
        return self.header.kind

    def __len__(self) -> int:
        return int(self.index.ntotal)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(Q, D) float32 -> scores (Q, k) descending and ids (Q, k); id -1 where fewer than k exist."""
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.header.dim)
        k = max(1, min(k, max(1, len(self))))
        if len(self) == 0:
            return np.full((len(q), k), -np.inf, np.float32), np.full((len(q), k), -1, np.int64)
        return self.index.search(q, k)

    def ids(self) -> np.ndarray:
        """The ids held in the index (the fingerprint is computed from these, not from the database)."""
        return faiss.vector_to_array(self.index.id_map).astype(np.int64)

    def _refresh_header(self) -> None:
        self.header.count = len(self)
        self.header.ids_hash = ids_fingerprint(self.ids())

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            self.index.add_with_ids(np.ascontiguousarray(vectors, np.float32), np.ascontiguousarray(ids, np.int64))
        self._refresh_header()

    def remove(self, ids: np.ndarray) -> bool:
        """Remove rows in place; returns False when the index kind needs a rebuild instead (HNSW)."""
        if self.kind == "hnsw":
            return False
        self.index.remove_ids(np.ascontiguousarray(ids, np.int64))
        self._refresh_header()
        return True

    def _body(self) -> bytes | memoryview:
        return memoryview(faiss.serialize_index(self.index))

    def save(self, path: Path, key: bytes | None = None) -> None:
        """Write the index atomically; sealed under ``key`` (an encrypted gallery's data key) when given."""
        head = json.dumps(self.header.__dict__).encode()
        data = b"".join([MAGIC, struct.pack("<I", len(head)), head, self._body()])
        write_maybe_sealed(Path(path), data, key)

    @classmethod
    def load(cls, path: Path, key: bytes | None = None) -> VectorIndex | None:
        """The saved index, or None when the file is missing, unreadable, changed or of the other protection
        (the caller rebuilds it from the database)."""
        try:
            data = read_maybe_sealed(Path(path), key, "search index")
            if not data.startswith(MAGIC):
                return None
            n = struct.unpack_from("<I", data, len(MAGIC))[0]
            start = len(MAGIC) + 4
            header = Header(**json.loads(data[start:start + n]))
            if header.kind == "binary":
                return BinaryRerankIndex.from_body(header, memoryview(data)[start + n:])
            index = faiss.deserialize_index(np.frombuffer(data, np.uint8, offset=start + n).copy())
            if index.ntotal != header.count or index.d != header.dim:
                return None
            if header.kind == "hnsw":
                faiss.downcast_index(index.index).hnsw.efSearch = HNSW_EF_SEARCH
            return cls(index, header)
        except (OSError, ValueError, TypeError, KeyError, struct.error, RuntimeError, SealBroken):
            return None


def _rotation(dim: int) -> np.ndarray:
    """Fixed random orthogonal (dim, dim) matrix: sign bits of rotated vectors approximate angles."""
    rng = np.random.default_rng(ROTATION_SEED + dim)
    q, r = np.linalg.qr(rng.standard_normal((dim, dim)))
    return (q * np.sign(np.diag(r))).astype(np.float32)


class BinaryRerankIndex(VectorIndex):
    """Hamming scan over sign codes, then exact inner product on the best ``RERANK`` candidates."""

    def __init__(self, header: Header, ids: np.ndarray, vectors: np.ndarray):
        self.header = header
        self._ids = np.ascontiguousarray(ids, np.int64)
        self.vectors = np.ascontiguousarray(vectors, np.float32).reshape(-1, header.dim)
        self._rot = _rotation(header.dim)
        self._codes_index()

    def _codes(self, x: np.ndarray) -> np.ndarray:
        return np.packbits(x @ self._rot > 0, axis=1)

    def _codes_index(self) -> None:
        self.index = faiss.IndexBinaryFlat(self.header.dim + (-self.header.dim) % 8)
        if len(self._ids):
            for start in range(0, len(self._ids), 200_000):
                self.index.add(self._codes(self.vectors[start:start + 200_000]))

    def __len__(self) -> int:
        return len(self._ids)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.header.dim)
        k = max(1, min(k, max(1, len(self))))
        scores = np.full((len(q), k), -np.inf, np.float32)
        found = np.full((len(q), k), -1, np.int64)
        if len(self) == 0:
            return scores, found
        _, cand = self.index.search(self._codes(q), min(len(self), max(RERANK, 4 * k)))
        for row, (qq, c) in enumerate(zip(q, cand)):
            c = c[c >= 0]
            s = self.vectors[c] @ qq
            top = np.argsort(-s)[:k]
            scores[row, :len(top)] = s[top]
            found[row, :len(top)] = self._ids[c[top]]
        return scores, found

    def ids(self) -> np.ndarray:
        return self._ids

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        if len(ids):
            vectors = np.ascontiguousarray(vectors, np.float32).reshape(-1, self.header.dim)
            self._ids = np.concatenate([self._ids, np.asarray(ids, np.int64)])
            self.vectors = np.concatenate([self.vectors, vectors])
            self.index.add(self._codes(vectors))
        self._refresh_header()

    def remove(self, ids: np.ndarray) -> bool:
        keep = ~np.isin(self._ids, np.asarray(ids, np.int64))
        self._ids, self.vectors = self._ids[keep], self.vectors[keep]
        self._codes_index()
        self._refresh_header()
        return True

    def _body(self) -> bytes | memoryview:
        return self._ids.astype("<i8").tobytes() + self.vectors.astype("<f4").tobytes()

    @classmethod
    def from_body(cls, header: Header, body: memoryview) -> BinaryRerankIndex | None:
        n, d = header.count, header.dim
        if len(body) != n * 8 + n * d * 4:
            return None
        ids = np.frombuffer(body[: n * 8], "<i8").astype(np.int64)
        vecs = np.frombuffer(body[n * 8:], "<f4").reshape(n, d).astype(np.float32)
        return cls(header, ids, vecs)
