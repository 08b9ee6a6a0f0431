"""Face detectors behind one registry: ``get_detector(name)``; unknown names list the known ones."""

from core.faces.detection.base import DetectedFace, Detector
from core.faces.detection.registry import available_detectors, get_detector

__all__ = ["DetectedFace", "Detector", "available_detectors", "get_detector"]
