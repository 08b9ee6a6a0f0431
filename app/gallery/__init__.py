"""The Gallery tab and enrolment: the gallery browser, the enrol dialogs and the grid of photos with faces."""

from app.gallery.enroll_dialog import EnrollFilesDialog, EnrollLiveDialog
from app.gallery.panel import GalleryPanel

__all__ = ["EnrollFilesDialog", "EnrollLiveDialog", "GalleryPanel"]
