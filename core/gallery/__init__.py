"""SQLite + FAISS identity gallery: store, index manager, enroller and identity rules behind one facade."""

from core.gallery.acceptance import Rejection
from core.gallery.enroller import EnrollReport
from core.gallery.service import Gallery, Match

__all__ = ["EnrollReport", "Gallery", "Match", "Rejection"]
