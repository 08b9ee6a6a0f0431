"""The photo library: scan folders of photos, group every face into people, name a group once.

- ``scan``: walk folders; only new or changed files are analysed (size and mtime, then content hash); each photo
  is committed with its faces at once; ``store`` and ``schema``: ``library.db`` (photos, faces with box,
  landmarks, quality, embedding and a small crop, groups, constraints, decisions);
- ``cluster`` and ``grouper``: size-aware average linkage on a FAISS kNN graph, cut by the model's calibration,
  with must-link and cannot-link constraints, independent of scan order; ``people``: regrouping under the user's
  decisions with stable group ids;
- ``decisions``: name, merge, split, move, reject ("not this person"), not a face, hide, undo;
- ``review``: "Is this Ada?" suggestions and split proposals; ``service``: the :class:`Library` facade, whose
  "look" methods return the typed results of ``results`` (:class:`Group`, :class:`Face`, :class:`Suggestion`, ...).

May import: ``core.gallery`` and the rooms below it.
"""

from core.library.results import (
    Counts,
    Face,
    Group,
    GroupDetail,
    LastDecision,
    LibraryFolder,
    PeopleListing,
    Suggestion,
)
from core.library.service import Library, default_library_dir, remove_library

__all__ = ["Counts", "Face", "Group", "GroupDetail", "LastDecision", "Library", "LibraryFolder", "PeopleListing",
           "Suggestion", "default_library_dir", "remove_library"]
