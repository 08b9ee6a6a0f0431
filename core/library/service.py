"""The photo library facade the CLI and the People tab use: scan, group, decide, review, forget.

``Library(root, settings)`` opens (or creates) a library folder (``<data dir>/library`` by default): its
``library.db`` and the derived grouping state. Grouping and decisions need no model loaded; scanning loads the
settings' photo analyzer. Naming a group enrols its best faces in the gallery, so a person is one person across
the gallery and the library. What it shows (groups, faces, the review queue, folders, the last decision) comes as
the frozen dataclasses of :mod:`core.library.results`; decisions' outcomes are dicts (their JSON).
"""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import select

from core.config import Settings, load_settings
from core.errors import Cancelled, UsageError
from core.fileutil import Closing
from core.library import decisions as dec
from core.library import naming
from core.library.cluster import Params
from core.library.folders import remove_library
from core.library.likeness import Likeness, faces_likeness
from core.library.people import INCREMENTAL_SHARE, Regrouper
from core.library.results import Counts, Face, Group, GroupDetail, LastDecision, LibraryFolder, PeopleListing, Suggestion
from core.library.review import propose_split, suggestions
from core.library.scan import scan
from core.library.schema import DecisionRow, PersonRow
from core.library.store import LAYOUT, STATE_NAME, LibraryStore
from core.library.tags import done as tags_done
from core.progress import CancelFn, ProgressFn

ENROL_FACES = 20   # the best faces of a named group that are enrolled in the gallery (its centroid needs no more)


def default_library_dir() -> Path:
    return LAYOUT.home()


class Library(Closing):
    def __init__(self, root: str | Path | None = None, settings: Settings | None = None, analyzer=None,
                 create: bool = True):
        self.settings = settings or load_settings()
        self.root = Path(root).expanduser() if root else default_library_dir()
        self.store = LibraryStore(self.root, create=create, encrypt=self.settings.encrypt)
        self._analyzer = analyzer
        self._lock = threading.RLock()  # one decision or regrouping at a time (the GUI's workers share this)
        from core.zoo import calibration, fingerprint, get_spec, model_key

        self.spec = analyzer.embedder.spec if analyzer is not None else get_spec(self.settings.model)
        fp = analyzer.embedder.fingerprint if analyzer is not None else fingerprint(self.spec)
        self.model_key = model_key(self.spec.name, fp)
        self.calibration = calibration(self.spec, fp)

    @property
    def analyzer(self):
        if self._analyzer is None:
            from core.faces import FaceAnalyzer

            self._analyzer = FaceAnalyzer(self.settings, warmup=False)
        return self._analyzer

    def _regrouper(self) -> Regrouper:
        if self.calibration is None:
            raise UsageError(f"The model {self.spec.name} is not calibrated, so faces cannot be grouped safely; run "
                             f"`facerec eval --lfw LFW_DIR --calibrate --model {self.spec.name}` first.")
        return Regrouper(self.store, self.model_key, self.spec.embedding_size, self.calibration, Params())

    # ------------------------------------------------------------ scan and group

    def scan(self, folders: list[str | Path], progress: ProgressFn | None = None,
             cancel: CancelFn | None = None) -> dict:
        """Analyse new and changed photos under ``folders``, forget removed ones, then regroup (also every 500
        photos on the way, so a long scan shows its people as it goes)."""
        from core.storage import WORK_LOCK, waiting_lock

        say = (lambda text: progress(0, 0, text)) if progress is not None else None
        # one scan of a library at a time, across programs: a second waits (or is cancelled) instead of
        # analysing every photo again beside the first
        with self._lock, waiting_lock(self.root, WORK_LOCK, "photo library", timeout=24 * 3600, cancel=cancel,
                                      on_wait=say, doing="being scanned"):
            regrouper = self._regrouper()
            before = self.store.counts()["faces"]
            try:
                report = scan(self.store, self.analyzer, folders, progress=progress, cancel=cancel,
                              checkpoint=regrouper.regroup)
            except Cancelled:
                regrouper.regroup()  # the photos analysed so far are kept: group them
                raise
            # The groups shown on the way are warm starts; a scan that brought many faces ends with a fresh
            # grouping, which depends only on the photos and decisions, never on the order they were scanned.
            many = report["faces_found"] > INCREMENTAL_SHARE * before
            report["grouping"] = regrouper.regroup(full=many)
            if report.get("named_by_other_tools"):
                try:
                    report["names_from_photos"] = self.apply_tags()
                except UsageError as exc:  # they contradict the user's own decisions: left for review
                    report["names_from_photos"] = {"named": 0, "error": str(exc)}
        return report

    def apply_tags(self) -> dict:
        """Names other tools stored in the photos become the user's decisions (see :mod:`core.library.tags`)."""
        from core.library import tags

        return tags.apply_photo_names(self)

    def write_xmp(self, person_ids: list[int] | None = None) -> dict:
        """Write the named people's faces to the photos' ``.xmp`` sidecars (see :mod:`core.library.tags`)."""
        from core.library import tags

        return tags.write_names(self, person_ids)

    def regroup(self, full: bool = False) -> dict:
        with self._lock:
            return self._regrouper().regroup(full=full)

    def folders(self) -> list[LibraryFolder]:
        """The folders scanned into this library: path, whether it is there now (an unplugged drive is not),
        and how many photos the library holds from it."""
        from core.library.scan import under

        index = self.store.photo_index()
        return [LibraryFolder(f, Path(f).exists(), sum(1 for p in index if under(p, [f]))) for f in self.store.folders()]

    def remove_folder(self, folder: str | Path) -> dict:
        """Remove a folder from the library: its photos and their faces leave it (the files are not touched);
        the people regroup without them."""
        folder = str(folder)
        known = self.store.folders()
        if folder not in known:
            resolved = str(Path(folder).expanduser().resolve())
            if resolved not in known:
                raise UsageError(f"{folder} is not one of the library's folders.")
            folder = resolved
        with self._lock:
            from core.library.scan import under

            ids = [v[0] for p, v in self.store.photo_index().items() if under(p, [folder])]
            faces = self.store.remove_photos(ids)
            self.store.set_folders([f for f in known if f != folder])
            grouping = self._regrouper().regroup()
            self.store.checkpoint()
        return {"removed_folder": folder, "photos": len(ids), "faces": faces, "grouping": grouping}

    # ------------------------------------------------------------ look

    def people(self, with_faces: bool = True) -> PeopleListing:
        """Every group (named or not, hidden ones marked) with its faces (when ``with_faces``), and the unsorted
        faces."""
        def faces(group: int | None) -> tuple[Face, ...]:
            return tuple(map(Face.of, self.store.faces_of(group)))

        groups = tuple(Group.of(g, faces(g["id"]) if with_faces else None)
                       for g in self.store.people() if g["faces"] or g["name"])
        return PeopleListing(str(self.root), self.spec.name, self.counts(), groups,
                             faces(None) if with_faces else ())

    # what the People tab shows, through the facade (the window never reaches into the store)
    def groups(self) -> list[Group]:
        """Every group (without its faces), named first, then by size."""
        return [Group.of(g) for g in self.store.people()]

    def counts(self) -> Counts:
        return Counts(**self.store.counts())

    def faces_of(self, group: int | None, limit: int | None = None, offset: int = 0,
                 with_crops: bool = False) -> list[Face]:
        """A group's faces (None: the unsorted ones), best first; their crops (JPEG) when ``with_crops``."""
        return [Face.of(f) for f in self.store.faces_of(group, limit=limit, offset=offset, with_crops=with_crops)]

    def cover(self, group: int | None) -> bytes | None:
        """JPEG of the group's cover face."""
        return self.store.thumbnail(group)

    def crop(self, face_id: int) -> bytes | None:
        return self.store.crop(face_id)

    def show(self, person_id: int) -> GroupDetail:
        """One group with all its faces, best first."""
        p = self.store.person(person_id)
        faces = self.faces_of(person_id)
        return GroupDetail(p.id, p.name, bool(p.hidden), p.gallery_name, len(faces), tuple(faces))

    def review(self, limit: int = 50) -> list[Suggestion]:
        """"Is this Ada?" suggestions, the most uncertain first (see :mod:`core.library.review`)."""
        return [Suggestion.of(s) for s in suggestions(self, limit)]

    def propose_split(self, person_id: int) -> list[list[int]]:
        return propose_split(self, person_id)

    # ------------------------------------------------------------ decide

    def _decide(self, kind: str, summary: dict, act) -> dict:
        """Run one decision in a transaction, record it, regroup; a decision that contradicts earlier ones is
        undone again and reported."""
        with self._lock:
            with self.store.Session.begin() as s:
                c = dec.Change(s, kind, summary)
                result = act(c)
                c.summary = {**summary, **(result if isinstance(result, dict) else {})}
                decision = c.record()
            try:
                grouping = self._regrouper().regroup()
            except Exception:  # a contradiction (Conflict) or a failure: the decision does not stay half-done
                with self.store.Session.begin() as s:
                    dec.undo_last(s)
                self._regrouper().regroup()
                raise
            return {"decision": decision, "kind": kind, **c.summary, "grouping": grouping}

    def compare(self, a: int, b: int) -> Likeness:
        """Whether groups ``a`` and ``b`` look like one person (the grouping's own test)."""
        return naming.compare(self, a, b)

    def compare_faces(self, a: list[int], b: list[int]) -> Likeness:
        """Whether two sets of faces (ids) look like one person (the grouping's own test)."""
        return faces_likeness(self, a, b)

    def known_names(self) -> list[str]:
        """Every name in the library and the gallery (for completing a name as it is typed)."""
        return naming.known_names(self)

    def name(self, person_id: int, name: str, enrol: bool = True, join: bool = False) -> dict:
        """Name a group; its best faces are enrolled in the gallery. A name someone else already has raises
        :class:`NameInUse` (with how alike they look) unless ``join``: two people are never merged silently."""
        if not join:
            clash = naming.name_in_use(self, person_id, dec.clean_name(name))
            if clash is not None:
                raise clash
        out = self._decide("name", {"group": person_id, "name": name},
                           lambda c: {"person": dec.name_group(c, person_id, name)})
        if enrol:
            out["gallery"] = self.enrol_in_gallery(out["person"])
        return out

    def merge(self, source: int, target: int) -> dict:
        return self._decide("merge", {"source": source, "target": target},
                            lambda c: dec.merge_groups(c, source, target))

    def split(self, person_id: int, parts: list[list[int]] | None = None) -> dict:
        parts = parts or self.propose_split(person_id)
        return self._decide("split", {"group": person_id, "parts": [len(p) for p in parts]},
                            lambda c: {"groups": dec.split_group(c, person_id, parts)})

    # a face id or a list of them: several faces the user selected are one decision, one regrouping, one undo
    def move(self, faces: int | list[int], person_id: int) -> dict:
        ids = _ids(faces)
        return self._decide("move", {"face": ids[0] if len(ids) == 1 else ids, "to": person_id},
                            lambda c: [dec.move_face(c, f, person_id) for f in ids] and None)

    def reject(self, faces: int | list[int], person_id: int) -> dict:
        ids = _ids(faces)
        return self._decide("reject", {"face": ids[0] if len(ids) == 1 else ids, "person": person_id},
                            lambda c: [dec.reject_face(c, f, person_id) for f in ids] and None)

    def not_a_face(self, faces: int | list[int]) -> dict:
        ids = _ids(faces)
        return self._decide("not_face", {"face": ids[0] if len(ids) == 1 else ids},
                            lambda c: [dec.mark_not_face(c, f) for f in ids] and None)

    def ignore(self, person_ids: list[int] | None = None, max_faces: int | None = None) -> dict:
        """Hide groups: the given ones, or every unnamed group (of at most ``max_faces`` faces) at once."""
        if person_ids is None:
            person_ids = [g["id"] for g in self.store.people() if g["name"] is None and not g["hidden"]
                          and g["faces"] and (max_faces is None or g["faces"] <= max_faces)]
        ids = list(person_ids)
        return self._decide("ignore", {"groups": len(ids)}, lambda c: {"hidden": dec.hide_groups(c, ids)})

    def confirm_face(self, face_id: int, name: str) -> dict:
        """Answer "yes" to "Is this NAME?" for a face (unsorted, or one whose photo names it otherwise)."""
        out = self._decide("confirm", {"face": face_id, "name": name},
                           lambda c: {"person": dec.confirm_face(c, face_id, name)})
        tags_done(self.store, [face_id])
        return out

    def reject_suggestion(self, suggestion: Suggestion) -> dict:
        """Answer "no" to a review suggestion: it is not asked again, and the group or face never joins them."""
        kind, item, name = suggestion.kind, int(suggestion.id), suggestion.person
        out = self._decide("not_them", {"kind": kind, "id": item, "name": name},
                           lambda c: dec.reject_suggestion(c, kind, item, name))
        if kind == "face":
            tags_done(self.store, [item])
        else:
            from core.library.tags import done_for_group

            done_for_group(self.store, item, name)
        return out

    def last_decision(self) -> LastDecision | None:
        """What :meth:`undo` would reverse now (``text``: in words); None when there is nothing to undo."""
        with self.store.Session() as s:
            last = dec.last_undoable(s)
        return LastDecision(**last) if last is not None else None

    def undo(self) -> dict:
        """Reverse the newest decision still in force (made in this session or an earlier one); ``text`` says
        which, and a naming's gallery faces are taken back (only those still that person's)."""
        with self._lock:
            with self.store.Session.begin() as s:
                out = dec.undo_last(s)
            if out["kind"] == "name" and ("gallery_faces" in out["summary"] or "gallery_face_ids" in out["summary"]):
                out["gallery"] = self._unenrol(out["summary"])
            out["grouping"] = self._regrouper().regroup()
        return out

    # ------------------------------------------------------------ the gallery

    def _gallery(self, create: bool = True):
        from core.gallery import Gallery

        return Gallery(self.settings.gallery_dir(), settings=self.settings, analyzer=self._analyzer, create=create)

    def existing_gallery(self):
        """The settings' gallery, opened, when there is one (None otherwise): the library's people live there too."""
        from core.gallery import gallery_exists

        return self._gallery(create=False) if gallery_exists(self.settings.gallery_dir()) else None

    def enrol_in_gallery(self, person_id: int) -> dict:
        """Enrol a named group's best faces (quality first, at most ``ENROL_FACES``) as that person."""
        p = self.store.person(person_id)
        if p.name is None:
            raise UsageError(f"Group {person_id} has no name yet.")
        faces = self.store.faces_of(person_id, limit=ENROL_FACES, with_crops=True)
        with self._gallery() as g:
            if g.model_key != self.model_key:
                return {"enrolled": 0, "note": f"the gallery uses {g.model_key}, the library {self.model_key}; "
                                               "switch both to one model to enrol from the library"}
            created = p.name not in g.names()
            embs = self.store.embeddings_of([f["id"] for f in faces], self.spec.embedding_size)
            hashes = self.store.photo_hashes([f["id"] for f in faces])
            rep = g.enroll_faces(p.name, [{"crop": f["crop"], "embedding": e, "box": f["box"],
                                           "det_score": 1.0, "quality": f["quality"], "source_path": f["photo"],
                                           "image_hash": hashes[f["id"]]} for f, e in zip(faces, embs)])
            keys = g.store.face_keys(rep.face_ids)
        with self.store.Session.begin() as s:
            s.get(PersonRow, person_id).gallery_name = p.name
            last = s.scalar(select(DecisionRow).order_by(DecisionRow.id.desc()))
            if last is not None and last.kind == "name":
                # what undoing the naming takes back: these faces, while they are still this person's and the
                # same face (ids are reused after a delete), and the person when this naming created them
                last.summary = {**last.summary, "gallery_faces": [[fid, keys[fid][1]] for fid in rep.face_ids
                                                                  if fid in keys],
                                "gallery_created": created}
        return {"enrolled": rep.added, "refused": len(rep.rejected), "gallery_face_ids": rep.face_ids}

    def _unenrol(self, summary: dict) -> dict:
        with self._gallery() as g:
            faces = summary.get("gallery_faces") or [[f, None] for f in summary.get("gallery_face_ids", [])]
            return g.take_back(summary["name"], [(int(f), k) for f, k in faces],
                               drop_person=bool(summary.get("gallery_created")))

    # ------------------------------------------------------------ forget

    def forget(self, person_id: int, gallery: bool = True) -> dict:
        """Delete a person from the library for good: their faces (rows, crops, embeddings), the group and its
        decisions' traces; the grouping state is rebuilt without them; the gallery forgets them too (unless
        ``gallery`` is False: the caller does that)."""
        with self._lock:
            p = self.store.person(person_id)
            removed = self.store.forget_person(person_id)
            (self.root / STATE_NAME).unlink(missing_ok=True)
            grouping = self._regrouper().regroup(full=True)
            self.store.checkpoint()
        removed_from_gallery = None
        if p.gallery_name and gallery:
            with self._gallery() as g:
                if p.gallery_name in g.names():
                    removed_from_gallery = g.remove(p.gallery_name, forget=True)
        return {"forgotten": person_id, "name": p.name, "faces": removed, "gallery": removed_from_gallery,
                "grouping": grouping}

    def close(self) -> None:
        self.store.close()


def _ids(faces: int | list[int]) -> list[int]:
    ids = [int(faces)] if isinstance(faces, int) else [int(f) for f in faces]
    if not ids:
        raise UsageError("Select at least one face.")
    return ids


__all__ = ["Library", "default_library_dir", "remove_library"]
