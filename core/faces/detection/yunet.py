"""YuNet (OpenCV Zoo ``face_detection_yunet_2023mar``), run by OpenCV's ``cv2.FaceDetectorYN``.

A small CNN made for camera-rate detection: boxes, the same 5 landmarks as MTCNN
and scores. The frame is scaled so its long side is ``detect_size`` px (up or down)
before detection; boxes and landmarks are mapped back to the original pixels.
"""

from __future__ import annotations

import threading

import cv2
import numpy as np

from core.faces.detection.base import DetectedFace, Detector

# YuNet's landmark order: the subject's right eye, left eye, nose tip, right and left mouth corners;
# ours: image-left eye, image-right eye, nose, image-left mouth corner, image-right mouth corner.
LANDMARK_ORDER = (0, 1, 2, 3, 4)


class YuNetDetector(Detector):
    name = "yunet"

    def __init__(self, weights_path, detect_size: int = 320, score_threshold: float = 0.7, nms: float = 0.3,
                 min_face_size: int = 12):
        self.detect_size = int(detect_size)
        self.score_threshold, self.min_face_size = float(score_threshold), int(min_face_size)
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)  # OpenCV DNN warns on every new net
        self._net = cv2.FaceDetectorYN.create(str(weights_path), "", (self.detect_size, self.detect_size),
                                              self.score_threshold, nms, 5000)
        self._lock = threading.Lock()
        self._size: tuple[int, int] | None = None

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        """Faces in an (H, W, 3) uint8 RGB image, best score first."""
        h, w = image.shape[:2]
        scale = self.detect_size / max(h, w)
        nw, nh = max(1, int(round(w * scale))), max(1, int(round(h * scale)))
        small = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
        bgr = cv2.cvtColor(small, cv2.COLOR_RGB2BGR)
        with self._lock:
            if self._size != (nw, nh):
                self._net.setInputSize((nw, nh))
                self._size = (nw, nh)
            _, rows = self._net.detect(bgr)
        faces = []
        for r in rows if rows is not None else []:
            x, y, bw, bh = (float(v) / scale for v in r[:4])
            if min(bw, bh) < self.min_face_size:
                continue
            lm = (np.asarray(r[4:14], np.float32).reshape(5, 2) / scale)[list(LANDMARK_ORDER)]
            box = np.array([max(0.0, x), max(0.0, y), min(float(w), x + bw), min(float(h), y + bh)], np.float32)
            faces.append(DetectedFace(box=box, landmarks=lm, score=float(r[14])))
        faces.sort(key=lambda f: -f.score)
        return faces
