"""SQLite + FAISS identity gallery."""

from core.gallery.acceptance import Rejection
from core.gallery.service import EnrollReport, Gallery, Match

__all__ = ["EnrollReport", "Gallery", "Match", "Rejection"]
