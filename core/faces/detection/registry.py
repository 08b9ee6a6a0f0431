"""Detector registry: names, what each detector is, and how to build it (detectors never register
themselves, so the registry and the detectors do not import each other)."""

from __future__ import annotations

import threading

from core.detection.base import Detector
from core.errors import UnknownName

DETECTORS: dict[str, str] = {
    "mtcnn": "MTCNN, 5 landmarks; 640 px detection canvas, faces from 20 px (most accurate; enrolment)",
    "mtcnn-fast": "MTCNN tuned for live video: 480 px canvas, faces from 40 px",
    "yunet": "YuNet (OpenCV Zoo) run by OpenCV, 5 landmarks; 320 px long side (fastest; live video)",
    "yunet-640": "YuNet on a 640 px long side (small faces in large photos)",
    "yunet-onet": "YuNet finds the faces (320 px long side), MTCNN's O-Net places the landmarks; "
                  "YuNet at 640 px, then MTCNN, where YuNet finds none (photos: as accurate as MTCNN, 3x faster)",
}
_CACHE: dict[tuple, Detector] = {}
_LOCK = threading.RLock()  # yunet-onet builds yunet inside _build


def available_detectors() -> dict[str, str]:
    return dict(DETECTORS)


def _build(name: str, **options) -> Detector:
    if name in ("mtcnn", "mtcnn-fast"):
        from core.detection.mtcnn_tf import MTCNNDetector

        defaults = {"detect_size": 640, "min_face_size": 20} if name == "mtcnn" else \
            {"detect_size": 480, "min_face_size": 40}
        det = MTCNNDetector(**{**defaults, **(options if name == "mtcnn" else {})})
        det.name = name
        return det
    if name == "yunet-onet":
        from core.detection.landmark_refine import OnetRefinedDetector

        mtcnn = get_detector("mtcnn")  # the last fallback; its nets give the O-Net (loaded once)
        return OnetRefinedDetector(get_detector("yunet"), get_detector("yunet-640"), mtcnn, nets=mtcnn.nets, name=name)
    if name in ("yunet", "yunet-640"):
        from core.detection.yunet import YuNetDetector
        from core.model_store import require_detector
        from core.model_zoo import YUNET

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
