"""The FAISS index of one model, derived from the store: loaded, checked, rebuilt, kept up to date.

The index file's header records the model key and a fingerprint of the ids it
holds; when it disagrees with the database (another process enrolled, a crash
between commit and save, a damaged file) it is rebuilt from the database with a
warning. Saves are atomic (see :mod:`core.gallery.index`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.gallery.index import VectorIndex, ids_fingerprint
from core.gallery.store import INDEX_NAME, LAYOUT, GalleryStore


class IndexManager:
    def __init__(self, store: GalleryStore, model_key: str, dim: int, exact_limit: int, large: str,
                 warn: Callable[[str], None]):
        self.store, self.model_key, self.dim = store, model_key, dim
        self.exact_limit, self.large, self.warn = exact_limit, large, warn
        self._index: VectorIndex | None = None
        self._seen_version: int | None = None
        self.lock = threading.RLock()

    @property
    def path(self) -> Path:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.model_key)
        return self.store.root / INDEX_NAME.format(safe)

    def index(self) -> VectorIndex:
        """The index, loaded and checked against the database (rebuilt when they disagree)."""
        with self.lock:
            # the version is read *before* the rows: a commit landing while they are read leaves a newer
            # version behind, so the next call checks again (reading it after would mark that commit as seen)
            version = self.store.data_version()
            if self._index is not None and version == self._seen_version:
                return self._index
            ids = self.store.embedding_ids(self.model_key)
            n, fp = len(ids), ids_fingerprint(ids)
            idx = self._index
            if idx is None or not idx.header.matches(self.model_key, n, fp):
                idx = VectorIndex.load(self.path, self.store.key)
                if idx is None or not idx.header.matches(self.model_key, n, fp):
                    if idx is not None or self.path.exists():
                        self.warn(f"The search index {self.path.name} disagrees with the database; rebuilding it.")
                    idx = self.rebuild()
            self._index = idx
            self._seen_version = version
            return idx

    def rebuild(self) -> VectorIndex:
        with self.lock:
            ids, vecs = self.store.embeddings(self.model_key, self.dim)
            idx = VectorIndex.build(self.model_key, self.dim, ids, vecs, exact_limit=self.exact_limit, large=self.large)
            idx.save(self.path, self.store.key)
            self._index = idx
            return idx

    def added(self, ids: list[int], vecs: list[np.ndarray]) -> None:
        """After our own commits (rows another process added meanwhile make the fingerprint disagree,
        and the next :meth:`index` call rebuilds)."""
        with self.lock:
            if self._index is None:
                self.index()
                return
            idx = self._index
            if idx.kind == "exact" and len(idx) + len(ids) > self.exact_limit:
                self.rebuild()
            elif ids:
                idx.add(np.asarray(ids, np.int64), np.stack(vecs))
                idx.save(self.path, self.store.key)
            self._seen_version = None  # checked against the rows on the next call: another process may commit too

    def removed(self, ids: list[int]) -> None:
        with self.lock:
            idx = self._index or VectorIndex.load(self.path, self.store.key)
            if idx is not None and idx.header.model_key == self.model_key and idx.remove(np.asarray(ids, np.int64)):
                idx.save(self.path, self.store.key)
                self._index = idx
            else:
                self.rebuild()
            # other models' indexes hold these faces too: drop them so they are rebuilt without the faces
            for other in LAYOUT.derived_files(self.store.root):
                if other != self.path:
                    other.unlink(missing_ok=True)
            self._seen_version = None

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        idx = self.index()
        return idx.search(queries, min(k, max(1, len(idx))))

    def __len__(self) -> int:
        return len(self.index())
