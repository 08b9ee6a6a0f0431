"""The identity gallery: SQLite is the source of truth, FAISS a derived index per model.

Four parts behind the :class:`Gallery` facade (``service``): a store of rows (``store``, ``schema``, ``db``),
an index manager (``index_manager``, ``index``), an enroller that is given an analyzer (``enroller``,
``acceptance``) and pure-numpy identity rules (``identity``); plus export/import (``archive``), enrolment
previews (``preview``) and the demo gallery of sample people (``demo``).

May import: ``core.decide``, ``core.faces``, ``core.zoo`` and the shared top-level modules.
"""

from core.gallery.acceptance import Rejection
from core.gallery.demo import build_demo_gallery, sample_people
from core.gallery.enroller import EnrollReport
from core.gallery.preview import in_words, preview_photo
from core.gallery.service import Gallery, Match
from core.gallery.store import LAYOUT


def gallery_exists(root) -> bool:
    """Whether ``root`` holds a gallery (its database)."""
    return LAYOUT.exists(root)


__all__ = ["EnrollReport", "Gallery", "Match", "Rejection", "build_demo_gallery", "gallery_exists", "in_words",
           "preview_photo", "sample_people"]
