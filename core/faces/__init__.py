"""Pixels to faces: decode (``imageio``) -> detect (``detection/``) -> align (``alignment``) -> embed
(``embedding``) -> quality (``quality``), tied together by :class:`FaceAnalyzer` (``analyzer``), the engine's
one pipeline for photos, enrolment and live frames.

May import: ``core.zoo``, ``core.config`` and the shared top-level modules.
"""

from core.faces.alignment import align_face, estimate_similarity
from core.faces.analyzer import Face, FaceAnalyzer, ImageResult, capture_label, cosine, primary_face
from core.faces.detection import DetectedFace, Detector, available_detectors, get_detector
from core.faces.embedding import Embedder, get_embedder
from core.faces.imageio import expand_image_paths, image_files, is_image_path, load_image
from core.faces.quality import Quality, assess

__all__ = ["DetectedFace", "Detector", "Embedder", "Face", "FaceAnalyzer", "ImageResult", "Quality", "align_face",
           "assess", "available_detectors", "capture_label", "cosine", "estimate_similarity", "expand_image_paths",
           "get_detector", "get_embedder", "image_files", "is_image_path", "load_image", "primary_face"]
