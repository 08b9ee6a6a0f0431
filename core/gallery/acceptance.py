"""Which photo of a person is accepted for enrolment, and the reason when it is not.

Reasons: unreadable | duplicate | no_face | multiple_faces | too_small | low_quality.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

MIN_DET_SCORE = 0.85
MIN_SHARPNESS = 6.0         # variance of the Laplacian of the aligned gray crop
DOMINANT_AREA_RATIO = 2.5   # with several faces, the largest must be this much bigger to be chosen


@dataclass
class Rejection:
    path: str
    reason: str
    message: str

    def to_json(self) -> dict:
        return {"path": self.path, "reason": self.reason, "message": self.message}


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of an (S, S, 3) uint8 RGB crop: low means blurred."""
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def choose_face(res, min_face_px: int, pick: int | None = None, min_quality: float = 0.0):
    """For one analysed image (``ImageResult``): ``(None, face, sharpness)`` for the face to enroll,
    or ``(Rejection, None, 0.0)``. ``pick`` chooses a face by its index in ``res.faces`` (a click in
    the enrol dialog); without it the face must clearly be the largest. A face under ``min_quality``
    (:mod:`core.faces.quality`) is refused as it would be "unknown (low quality)" when identified."""
    p = res.path
    if res.error is not None:
        return Rejection(p, "unreadable", str(res.error)), None, 0.0
    if not res.faces:
        return Rejection(p, "no_face", f"{p}: no face found."), None, 0.0
    if pick is not None and 0 <= pick < len(res.faces):
        f = res.faces[pick]
    else:
        faces = sorted(res.faces, key=lambda f: -f.detection.size)
        if len(faces) > 1 and faces[0].detection.size ** 2 < DOMINANT_AREA_RATIO * faces[1].detection.size ** 2:
            return Rejection(p, "multiple_faces", f"{p}: {len(faces)} faces of similar size; click the one to "
                                                  "enroll, or crop the photo to the person."), None, 0.0
        f = faces[0]
    if f.detection.size < min_face_px:
        return Rejection(p, "too_small", f"{p}: the face is {f.detection.size:.1f} px across; at least "
                                         f"{min_face_px} px is needed."), None, 0.0
    if f.score < MIN_DET_SCORE:
        return Rejection(p, "low_quality", f"{p}: the face is unclear (detector confidence {f.score:.2f})."), None, 0.0
    sharp = sharpness(f.crop)
    if sharp < MIN_SHARPNESS:
        return Rejection(p, "low_quality", f"{p}: the face is too blurred (sharpness {sharp:.1f})."), None, 0.0
    q = f.quality
    if q.score < min_quality:  # it could not be named later either, and would pull the person's centroid
        return Rejection(p, "low_quality", f"{p}: the face is {q.reason} (quality {q.score:.2f}, below "
                                           f"{min_quality:.2f})."), None, 0.0
    return None, f, sharp
