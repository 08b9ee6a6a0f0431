"""Live video: sources (``capture``: webcam, video file, image, folder), tracking (``tracking``), per-track
evidence, names and the embedding budget (``evidence``), the live recognizer (``recognition``) the window and
``facerec watch`` share, and the log of who was seen (``appearances``). docs/live.md.

May import: ``core.gallery`` and the rooms below it.
"""

from core.live.appearances import Appearance, AppearanceLog
from core.live.capture import Frame, open_source
from core.live.evidence import track_stranger_rate
from core.live.recognition import FaceView, LiveRecognizer
from core.live.tracking import IoUTracker, iou

__all__ = ["Appearance", "AppearanceLog", "FaceView", "Frame", "IoUTracker", "LiveRecognizer", "iou", "open_source",
           "track_stranger_rate"]
