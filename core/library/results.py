"""What the :class:`core.library.Library` facade's "look" methods return: small frozen dataclasses.

The People tab and ``facerec people`` read these instead of the store's rows. Each has ``to_json()``: plain JSON
types, the keys ``facerec people ... --json`` prints (a face's crop never goes into JSON). Boxes are
``(x, y, w, h)`` in pixels of the stored photo (EXIF orientation applied); scores are cosine similarities.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Face:
    """One face of the library: its photo, its box (x, y, w, h pixels in that photo) and quality in [0, 1]."""

    id: int
    photo: str
    box: tuple[float, ...]
    quality: float
    taken: str | None = None      # the photo's capture date (EXIF, ISO text), when it has one
    pinned: bool = False          # placed by the user (a decision keeps it where it is)
    crop: bytes | None = None     # the 112 px aligned crop, JPEG; only when asked for (never in JSON)

    @classmethod
    def of(cls, row: dict) -> Face:
        """From a :meth:`core.library.store.LibraryStore.faces_of` row."""
        return cls(id=int(row["id"]), photo=row["photo"], box=tuple(row["box"]), quality=float(row["quality"]),
                   taken=row.get("taken"), pinned=bool(row.get("pinned")), crop=row.get("crop"))

    def brief(self) -> dict:
        """id, photo, box: a face in ``people list``."""
        return {"id": self.id, "photo": self.photo, "box": list(self.box)}

    def to_json(self) -> dict:
        """id, photo, box, quality, taken, pinned: a face in ``people show``."""
        return {**self.brief(), "quality": self.quality, "taken": self.taken, "pinned": self.pinned}


@dataclass(frozen=True)
class Group:
    """A group of faces (a person once named): ``count`` faces; ``faces`` (best first) when asked for."""

    id: int
    name: str | None
    hidden: bool
    gallery_name: str | None   # the gallery person its faces were enrolled as
    count: int
    faces: tuple[Face, ...] | None = None

    @classmethod
    def of(cls, row: dict, faces: tuple[Face, ...] | None = None) -> Group:
        """From a :meth:`core.library.store.LibraryStore.people` row (its ``faces`` is the count)."""
        return cls(id=row["id"], name=row["name"], hidden=bool(row["hidden"]), gallery_name=row["gallery_name"],
                   count=int(row["faces"]), faces=faces)

    def _head(self) -> dict:
        return {"id": self.id, "name": self.name, "hidden": self.hidden, "gallery_name": self.gallery_name,
                "count": self.count}

    def to_json(self) -> dict:
        return self._head() if self.faces is None else {**self._head(), "faces": [f.brief() for f in self.faces]}


@dataclass(frozen=True)
class GroupDetail(Group):
    """One group with every face (``people show``): each face with its quality, date and whether it is pinned."""

    faces: tuple[Face, ...] = ()

    def to_json(self) -> dict:
        return {**self._head(), "faces": [f.to_json() for f in self.faces]}


@dataclass(frozen=True)
class Counts:
    """How much the library holds: photos (and unreadable ones), faces (not counting "not a face"), groups and
    unsorted faces."""

    photos: int
    photos_unreadable: int
    faces: int
    people: int
    unsorted: int

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class PeopleListing:
    """Every group (named or not, hidden ones marked; with faces when asked) and the unsorted faces."""

    library: str             # the library's folder
    model: str               # the face model its embeddings come from
    counts: Counts
    groups: tuple[Group, ...]
    unsorted: tuple[Face, ...]

    def to_json(self) -> dict:
        # the counts' "unsorted" (a number) gives its place to the unsorted faces, as ``people list`` always did
        return {"library": self.library, "model": self.model, **self.counts.to_json(),
                "groups": [g.to_json() for g in self.groups], "unsorted": [f.brief() for f in self.unsorted]}


@dataclass(frozen=True)
class LibraryFolder:
    """A folder scanned into the library: whether it is there now (an unplugged drive is not), its photos."""

    path: str
    exists: bool
    photos: int

    def to_json(self) -> dict:
        return {"path": self.path, "exists": self.exists, "photos": self.photos}


@dataclass(frozen=True)
class Suggestion:
    """"Is this ``person``?" about a face or a group (``kind``, ``id``). ``score``: the mean cosine to the person's
    centroid; ``threshold``: the naming point; ``floor``: the lowest score asked about; ``likely``: at or above
    the threshold. ``source`` "photo": a name the photos give (score 1); ``group``: the face's or the group's
    group (names from photos); ``faces``: the group's faces; ``photo``: the face's photo."""

    kind: str                 # "face" or "group"
    id: int
    person: str
    score: float
    threshold: float
    floor: float
    likely: bool
    source: str | None = None
    group: int | None = None
    faces: int | None = None
    photo: str | None = None

    @classmethod
    def of(cls, item: dict) -> Suggestion:
        """From a :func:`core.library.review.suggestions` item (a key it does not know is an error)."""
        return cls(**item)

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if getattr(self, f.name) is not None or f.name not in _OPTIONAL}


_OPTIONAL = ("source", "group", "faces", "photo")


@dataclass(frozen=True)
class LastDecision:
    """The decision :meth:`core.library.Library.undo` would reverse now: ``text`` says it in words."""

    decision: int             # its id
    kind: str                 # "name", "merge", "split", "move", ...
    summary: dict[str, Any]   # what it was about, as recorded
    at: str                   # when, ISO text (UTC)
    text: str                 # 'naming group 12 as “Ada” (2026-12-03 14:02)'

    def to_json(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self)}


__all__ = ["Counts", "Face", "Group", "GroupDetail", "LastDecision", "LibraryFolder", "PeopleListing", "Suggestion"]
