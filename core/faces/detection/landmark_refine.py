"""YuNet finds the faces, MTCNN's O-Net places their 5 landmarks (``yunet-onet``).

YuNet is fast but its landmarks are coarser than MTCNN's (5.7% of the box width
apart on the 5-celebrity photos), and alignment follows the landmarks. O-Net, the
last and smallest MTCNN stage, takes a 48x48 crop of each square face box and
returns the landmarks (and a refined box): one batched call of about a
millisecond per face, against MTCNN's image pyramid. The faces found are
YuNet's; the landmarks and box are O-Net's, as in MTCNN's own last stage.
Where YuNet finds no face at all, YuNet on a 640 px copy and then the full MTCNN
cascade get the photo (in a photo pipeline a missed face is an error; this costs
time only on such photos).
"""

from __future__ import annotations

import cv2
import numpy as np

from core.faces.detection.base import DetectedFace, Detector
from core.faces.detection.mtcnn_tf import normalize

CROP = 48


def square_boxes(boxes: np.ndarray) -> np.ndarray:
    """(K, 4) x1, y1, x2, y2 -> the squares with the same centres and the longer side."""
    w, h = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    side = np.maximum(w, h)
    cx, cy = boxes[:, 0] + w / 2, boxes[:, 1] + h / 2
    return np.stack([cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2], axis=1)


def crop_square(image: np.ndarray, box: np.ndarray, size: int = CROP) -> np.ndarray:
    """The (size, size, 3) uint8 crop of ``box`` (may extend past the image: grey there)."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (int(round(v)) for v in box)
    x2, y2 = max(x2, x1 + 1), max(y2, y1 + 1)
    patch = np.full((y2 - y1, x2 - x1, 3), 128, np.uint8)
    sx1, sy1, sx2, sy2 = max(0, x1), max(0, y1), min(w, x2), min(h, y2)
    if sx2 > sx1 and sy2 > sy1:
        patch[sy1 - y1:sy2 - y1, sx1 - x1:sx2 - x1] = image[sy1:sy2, sx1:sx2]
    interp = cv2.INTER_AREA if patch.shape[0] > size else cv2.INTER_LINEAR
    return cv2.resize(patch, (size, size), interpolation=interp)


class OnetRefinedDetector(Detector):
    """Faces from the first of ``finders`` that finds any (a finder may be a callable that builds the detector
    when it is first needed: the MTCNN fallback loads TensorFlow); landmarks and boxes from MTCNN's O-Net
    (``onet``: :func:`core.faces.detection.onet.onet`) on the full-resolution image."""

    def __init__(self, *finders, onet, name: str = "yunet-onet"):
        self.finders, self.name, self._onet = list(finders), name, onet

    def detect(self, image: np.ndarray) -> list[DetectedFace]:
        for i, finder in enumerate(self.finders):
            if not isinstance(finder, Detector):
                finder = self.finders[i] = finder()  # built on first need
            faces = finder.detect(image)
            if faces:
                return self.refine(image, faces)
        return []

    def refine(self, image: np.ndarray, faces: list[DetectedFace]) -> list[DetectedFace]:
        """``faces`` (in ``image``'s pixels) with O-Net's landmarks and box on ``image``, always from where the
        finder found them (``found_box``), so refining again at another resolution gives the same result."""
        if not faces:
            return []
        found = np.stack([f.box if f.found_box is None else f.found_box for f in faces]).astype(np.float32)
        boxes = np.round(square_boxes(found))  # whole pixels
        crops = normalize(np.stack([crop_square(image, b) for b in boxes]))
        reg, lms, _ = self._onet(crops)
        side = boxes[:, 2] - boxes[:, 0]
        lx = side[:, None] * lms[:, 0:5] + boxes[:, 0:1]
        ly = side[:, None] * lms[:, 5:10] + boxes[:, 1:2]
        refined = boxes + reg * side[:, None]
        h, w = image.shape[:2]
        out = []
        for f, fb, b, x, y in zip(faces, found, refined, lx, ly):
            b = np.array([max(0.0, b[0]), max(0.0, b[1]), min(float(w), b[2]), min(float(h), b[3])], np.float32)
            out.append(DetectedFace(box=b, landmarks=np.stack([x, y], axis=1).astype(np.float32), score=f.score,
                                    found_box=fb))
        return out
