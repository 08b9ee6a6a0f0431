"""SQLite + FAISS identity gallery."""

from core.gallery.service import EnrollReport, Gallery, Match, Rejection

__all__ = ["EnrollReport", "Gallery", "Match", "Rejection"]
