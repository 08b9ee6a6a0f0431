"""The gallery facade the GUI and CLI use: a store, an index manager, an enroller and the identity rules.

``Gallery(root, settings)`` opens (or creates) a gallery folder for the settings'
model. Search returns per-identity candidates (:mod:`core.gallery.identity`);
``decide`` names faces at the gallery's 1:N operating point
(:mod:`core.decide.operating_points`), recomputed whenever the gallery changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import Settings, load_settings
from core.decide import OperatingPoint, identify_point
from core.errors import UsageError
from core.fileutil import Closing
from core.gallery.enroller import Enroller, EnrollReport
from core.gallery.identity import SEARCH_FACES, adapt_people, centroids, decide_name, rank
from core.gallery.index_manager import IndexManager
from core.gallery.store import GalleryStore
from core.progress import CancelFn, ProgressFn
from core.zoo import ModelSpec, calibration, get_spec, key_fingerprint, model_key

log = logging.getLogger(__name__)


@dataclass
class Match:
    """Decision for one face, in a photo or (as :class:`core.live.FaceView`) in a video frame: ``name`` is None
    when unknown, and ``reason`` says why a face is unknown without being a stranger ("low_quality")."""

    box: list[float]                # x, y, w, h in pixels
    name: str | None
    score: float
    candidates: list[tuple[str, float]]
    reason: str | None = None
    quality: float | None = None

    def label(self) -> str:
        """What the overlay and the faces line say: "name 0.71", "unknown 0.32", "unknown (low quality)"."""
        if self.name:
            return f"{self.name} {self.score:.2f}"
        if self.reason == "low_quality":
            return "unknown (low quality)"
        return f"unknown {self.score:.2f}" if self.candidates else "unknown"

    def to_json(self) -> dict:
        return {"box": self.box, "name": self.name, "score": round(self.score, 4),
                "candidates": [{"name": n, "score": round(s, 4)} for n, s in self.candidates],
                **({"reason": self.reason} if self.reason else {}),
                **({"quality": round(self.quality, 3)} if self.quality is not None else {})}


class Gallery(Closing):
    """One gallery folder: ``gallery.db`` plus one derived ``index-<model>.faiss`` per model."""

    def __init__(self, root: str | Path | None = None, model: str | None = None, settings: Settings | None = None,
                 create: bool = True, warn: Callable[[str], None] | None = None, analyzer=None):
        self.settings = (settings or load_settings()).replace(
            model=analyzer.embedder.name if analyzer is not None else model)
        self.root = Path(root) if root else self.settings.gallery_dir()
        self.spec: ModelSpec = analyzer.embedder.spec if analyzer is not None else get_spec(self.settings.model)
        self.store = GalleryStore(self.root, create=create, encrypt=self.settings.encrypt)
        self._warn = warn or (lambda m: log.warning(m))
        self._analyzer = analyzer
        self._key: str | None = analyzer.embedder.model_key if analyzer is not None else None
        self._indexes: IndexManager | None = None
        self._point_cache: tuple[tuple, OperatingPoint] | None = None
        self._adapt_cache: tuple[tuple, dict, list] | None = None
        self._centroid_cache: tuple[tuple, dict, dict[int, str]] | None = None  # version, centroids, owners

    # ------------------------------------------------------------ parts

    @property
    def analyzer(self):
        if self._analyzer is None:
            from core.faces import FaceAnalyzer

            self._analyzer = FaceAnalyzer(self.settings, warmup=False)
        return self._analyzer

    @property
    def enrol_analyzer(self):
        """The analyzer enrolment uses: the same model with the settings' enrolment detector."""
        return self.analyzer.for_role("enrol")

    def use_analyzer(self, analyzer) -> None:
        """Share an already-loaded analyzer (the GUI loads one for the live view)."""
        if analyzer.embedder.name != self.spec.name:
            raise UsageError(f"The analyzer uses {analyzer.embedder.name}, the gallery {self.spec.name}.")
        self._analyzer = analyzer
        self._key = None
        self._indexes = None

    @property
    def model_key(self) -> str:
        """``name:fingerprint-prefix`` of the active model: embeddings and the index are kept per key."""
        if self._key is None:
            from core.zoo import fingerprint

            fp = self._analyzer.embedder.fingerprint if self._analyzer is not None else fingerprint(self.spec)
            self._key = model_key(self.spec.name, fp)
        return self._key

    @property
    def indexes(self) -> IndexManager:
        if self._indexes is None:
            self._indexes = IndexManager(self.store, self.model_key, self.spec.embedding_size,
                                         self.settings.exact_index_limit, self.settings.large_index, self._warn)
        return self._indexes

    def index(self):
        return self.indexes.index()

    def rebuild_index(self):
        return self.indexes.rebuild()

    @property
    def index_path(self) -> Path:
        return self.indexes.path

    def _enroller(self) -> Enroller:
        self.store.ensure_model(self.model_key, self.spec.name, self.spec.embedding_size,
                                key_fingerprint(self.model_key))
        return Enroller(self.store, self.indexes, self.enrol_analyzer, self.model_key, self.settings.min_face_px,
                        lambda name: get_spec(name).alignment(), self.settings.min_quality)

    # ------------------------------------------------------------ operating point

    def face_counts(self) -> list[int]:
        """Faces per enrolled person for the active model (what the 1:N threshold depends on)."""
        counts: dict[str, int] = {}
        for name in self._people()[1].values():
            counts[name] = counts.get(name, 0) + 1
        return sorted(counts.values())

    def operating_point(self, override: float | None = None) -> OperatingPoint:
        """The 1:N point for this gallery now (cached until the database changes)."""
        if override is not None or self.settings.identify_threshold is not None:
            return identify_point(self.spec, self.settings, [], override)
        version = self._version()
        if self._point_cache is None or self._point_cache[0] != version:
            fp = key_fingerprint(self.model_key)
            self._point_cache = (version, identify_point(self.spec, self.settings, self.face_counts(), fingerprint=fp))
        return self._point_cache[1]

    @property
    def threshold(self) -> float:
        return self.operating_point().threshold

    def points(self) -> dict:
        """Both operating points of the active model here: 1:1 verify and this gallery's 1:N identify."""
        from core.decide import verify_point

        fp = key_fingerprint(self.model_key)
        return {"verify": verify_point(self.spec, self.settings, fingerprint=fp).to_json(),
                "identify": self.operating_point().to_json()}

    def stranger_rate(self, threshold: float) -> float | None:
        """About how often a stranger's face would be named at ``threshold`` here (None: not calibrated)."""
        from core.decide import stranger_rate

        return stranger_rate(self.spec, self.face_counts(), threshold, key_fingerprint(self.model_key))

    def _version(self) -> tuple:
        return (self.store.data_version(), len(self.indexes))

    def adaptation(self) -> tuple[dict[str, float], list[dict]]:
        """({person: their own threshold}, look-alike warnings) at the current operating point (cached)."""
        point = self.operating_point()
        key = (*self._version(), point.threshold)
        if self._adapt_cache is None or self._adapt_cache[0] != key:
            people = self.store.identity_embeddings(self.model_key, self.spec.embedding_size)
            cal = calibration(self.spec, key_fingerprint(self.model_key)) or {}
            thresholds, looks = adapt_people(people, point.threshold, cal.get("impostor"))
            if not self.settings.person_adaptation or point.source == "override":
                thresholds = {}
            self._adapt_cache = (key, thresholds, looks)
        return self._adapt_cache[1], self._adapt_cache[2]

    def lookalikes(self, name: str | None = None) -> list[dict]:
        looks = self.adaptation()[1]
        return [w for w in looks if name is None or name in (w["person"], w["like"])]

    # ------------------------------------------------------------ enrol

    def enroll(self, name: str, paths: Iterable[str | Path | np.ndarray], progress: ProgressFn | None = None,
               cancel: CancelFn | None = None, create: bool = True,
               choose: dict[str, int] | None = None) -> EnrollReport:
        """Enrol photos of ``name``; the report warns when they look like another enrolled person."""
        rep = self._enroller().enroll(name, paths, progress=progress, cancel=cancel, create=create, choose=choose)
        if rep.added:
            for w in self.lookalikes(rep.identity):
                other = w["like"] if w["person"] == rep.identity else w["person"]
                rep.warnings.append(f"{rep.identity} looks like {other}: a face of {w['like']} scores "
                                    f"{w['score']:.2f} for {w['person']} (the naming threshold is "
                                    f"{self.threshold:.2f}). Add more varied photos of both.")
        return rep

    def enroll_faces(self, name: str, faces: list[dict]) -> EnrollReport:
        """Enrol faces analysed elsewhere with this gallery's model (the photo library's named groups); see
        :meth:`core.gallery.enroller.Enroller.enroll_faces`."""
        return self._enroller().enroll_faces(name, faces)

    def missing_embeddings(self) -> int:
        """Faces without an embedding for the active model (e.g. enrolled under another model)."""
        return self.store.missing_count(self.model_key)

    def reembed(self, progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> dict:
        return self._enroller().reembed(progress=progress, cancel=cancel)

    # ------------------------------------------------------------ identify

    def centroids(self) -> dict[str, np.ndarray]:
        """{person: centroid} of the active model (recomputed when the database changes)."""
        return self._people()[0]

    def _people(self) -> tuple[dict[str, np.ndarray], dict[int, str]]:
        """(centroids, {embedding id: person}) of the active model, read once per database version: a search
        then needs no database read (an encrypted page read costs a decryption)."""
        key = self._version()
        if self._centroid_cache is None or self._centroid_cache[0] != key:
            owners: dict[int, str] = {}
            people = self.store.identity_embeddings(self.model_key, self.spec.embedding_size, owners)
            self._centroid_cache = (key, centroids(people), owners)
        return self._centroid_cache[1], self._centroid_cache[2]

    def search(self, embeddings: np.ndarray, k: int | None = None) -> list[list[tuple[str, float]]]:
        """For each (D,) query: up to k (identity, score) pairs, best first."""
        k = k or self.settings.top_k
        if len(embeddings) == 0 or len(self.indexes) == 0:
            return [[] for _ in range(len(embeddings))]
        queries = np.asarray(embeddings, np.float32)
        _, ids = self.indexes.search(queries, SEARCH_FACES)
        cents, owner = self._people()
        return rank(ids, owner, queries, cents, k)

    def decide(self, faces, k: int | None = None, threshold: float | None = None) -> list[Match]:
        """Open-set decisions for analysed faces: a low-quality face is unknown, not named; a person who
        attracts look-alikes needs their own, higher score (unless ``threshold`` overrides)."""
        if not faces:
            return []
        thr = self.operating_point(threshold).threshold
        personal = self.adaptation()[0] if threshold is None else {}
        cands = self.search(np.stack([f.embedding for f in faces]), k)
        out = []
        for f, c in zip(faces, cands):
            q = f.quality.score
            if q < self.settings.min_quality:
                out.append(Match(f.detection.xywh, None, c[0][1] if c else -1.0, c, "low_quality", q))
                continue
            name, score = decide_name(c, thr, personal)
            out.append(Match(box=f.detection.xywh, name=name, score=score, candidates=c, quality=q))
        return out

    def identify_paths(self, paths: Iterable[str | Path], progress: ProgressFn | None = None,
                       threshold: float | None = None) -> list[dict]:
        results = []
        for res in self.analyzer.analyze_paths([str(p) for p in paths], progress=progress):
            if res.error is not None:
                results.append({"path": res.path, "faces": [], "error": str(res.error)})
                continue
            results.append({"path": res.path, "faces": [m.to_json() for m in self.decide(res.faces, threshold=threshold)]})
        return results

    # ------------------------------------------------------------ manage (the store does the work)

    def remove(self, name: str, forget: bool = False) -> dict:
        """Delete a person: rows, crops (secure delete + WAL checkpoint) and index entries (every model's index
        file is rewritten without them); ``forget``: their name leaves the audit log too."""
        with self.indexes.lock:
            emb_ids, n_faces = self.store.remove_identity(name, forget=forget)
            self.indexes.removed(emb_ids)
        return {"forgotten" if forget else "removed": name, "faces": n_faces}

    def remove_face(self, face_id: int) -> dict:
        with self.indexes.lock:
            emb_ids, who = self.store.remove_face(face_id)
            self.indexes.removed(emb_ids)
        return {"removed_face": face_id, "identity": who}

    def take_back(self, name: str, faces: list[tuple[int, str | None]], drop_person: bool = False) -> dict:
        """Undo an enrolment: remove the faces ``(face id, image key)`` that are still ``name``'s and still the
        same face (ids are reused after a delete, so an id alone may now be someone else's face); with
        ``drop_person``, the person too when no face of theirs is left. Returns what was removed and what was
        already gone."""
        have = self.store.face_keys([f for f, _k in faces])
        removed = gone = 0
        for fid, key in faces:
            owner, have_key = have.get(fid, (None, None))
            if owner == name and key in (None, have_key):  # None: a decision recorded before keys were
                self.remove_face(fid)
                removed += 1
            else:
                gone += 1
        dropped = False
        if drop_person and name in self.names() and not self.store.faces(name):
            self.remove(name)
            dropped = True
        return {"removed_faces": removed, "already_gone": gone, "removed_person": dropped}

    def rename(self, old: str, new: str) -> dict:
        return self.store.rename(old, new)

    def merge(self, source: str, target: str) -> dict:
        return self.store.merge(source, target)

    def list(self) -> list[dict]:
        return self.store.list()

    def faces(self, name: str) -> list[dict]:
        return self.store.faces(name)

    def thumbnail(self, name: str) -> bytes | None:
        return self.store.thumbnail(name)

    def names(self) -> list[str]:
        return self.store.names()

    def count(self) -> tuple[int, int]:
        return self.store.count()

    def audit(self, limit: int = 100) -> list[dict]:
        return self.store.audit(limit)

    @property
    def stored_plain(self) -> bool:
        """A gallery an earlier version made (or the user decrypted) holding faces unencrypted, while the settings
        ask for encryption: the CLI says so, the window offers to encrypt it."""
        return self.store.key is None and self.settings.encrypt and self.store.count()[1] > 0

    def close(self) -> None:
        self.store.close()
