"""Live video: sources (``capture``: webcam, video file, image, folder), IoU tracking that keeps names between
embeddings (``tracking``), and the live recognizer (``recognition``) the window and ``facerec watch`` share.

May import: ``core.gallery`` and the rooms below it.
"""

from core.live.capture import Frame, open_source
from core.live.recognition import FaceView, LiveRecognizer
from core.live.tracking import IoUTracker, iou

__all__ = ["FaceView", "Frame", "IoUTracker", "LiveRecognizer", "iou", "open_source"]
