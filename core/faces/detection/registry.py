"""Detector registry: names, what each detector is, and how to build it (detectors never register
themselves, so the registry and the detectors do not import each other)."""

from __future__ import annotations

import threading

from core.errors import UnknownName
from core.faces.detection.base import Detector
from core.zoo import DETECTORS

_CACHE: dict[tuple, Detector] = {}
_LOCK = threading.RLock()  # yunet-onet builds yunet inside _build


def available_detectors() -> dict[str, str]:
    return dict(DETECTORS)


def _build(name: str, **options) -> Detector:
    if name in ("mtcnn", "mtcnn-fast"):
        from core.faces.detection.mtcnn_tf import MTCNNDetector

        defaults = {"detect_size": 640, "min_face_size": 20} if name == "mtcnn" else \
            {"detect_size": 480, "min_face_size": 40}
        det = MTCNNDetector(**{**defaults, **(options if name == "mtcnn" else {})})
        det.name = name
        return det
    if name == "yunet-onet":
        from core.faces.detection.landmark_refine import OnetRefinedDetector
        from core.faces.detection.onet import onet

        return OnetRefinedDetector(get_detector("yunet"), get_detector("yunet-640"), lambda: get_detector("mtcnn"),
                                   onet=onet(options.get("runtime", "tf")), name=name)
    if name in ("yunet", "yunet-640"):
        from core.faces.detection.yunet import YuNetDetector
        from core.zoo import YUNET, require_detector

        det = YuNetDetector(require_detector(YUNET, "yunet"), detect_size=640 if name == "yunet-640" else 320)
        det.name = name
        return det
    raise UnknownName(f"Unknown detector '{name}'. Known detectors: {', '.join(sorted(DETECTORS))}.")


def get_detector(name: str = "mtcnn", **options) -> Detector:
    """A cached detector instance for ``name`` and ``options``."""
    if name not in DETECTORS:
        raise UnknownName(f"Unknown detector '{name}'. Known detectors: {', '.join(sorted(DETECTORS))}.")
    key = (name, tuple(sorted(options.items())))
    with _LOCK:
        det = _CACHE.get(key)
        if det is None:
            det = _build(name, **options)
            _CACHE[key] = det
        return det
