"""How usable a detected face is for recognition: size, sharpness, pose, detector confidence and framing.

Each part maps to 0..1 with a soft ramp; the face's quality is the weakest part
(so the reason names what is lacking). Below ``min_quality`` (a setting) a face is
"unknown (low quality)" rather than named: a tiny, blurred, turned-away face or one
cut by the image's edge gives unreliable scores, and is where strangers get named as someone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from core.faces.alignment import estimate_similarity
from core.zoo.templates import ARCFACE_112

# (value where the part is 0, value where it is 1)
SIZE_PX = (16.0, 48.0)            # shorter side of the box in the original image
SHARPNESS = (4.0, 30.0)           # variance of the Laplacian of the 112 px grey crop
YAW = (0.62, 0.30)                # |nose offset from the eye midline| / eye distance (0 = frontal)
DET_SCORE = (0.60, 0.90)
# share of the face (brows to chin, cheek to cheek, placed by the landmarks) outside the image. Whole faces on the
# 5-celebrity photos: at most 0.04; a face cut by the edge through 30% of its box: about 0.26 (yunet, yunet-onet).
OUTSIDE = (0.25, 0.05)
FACE_REGION = (18.0, 24.0, 94.0, 108.0)   # x1, y1, x2, y2 of the face in the ArcFace 112 px template
REASONS = {"size": "too small", "sharpness": "blurred", "pose": "turned away", "confidence": "unclear",
           "framing": "cut off by the edge"}
_GRID = np.linspace(0.0, 1.0, 17)


@dataclass
class Quality:
    score: float                  # 0..1, the weakest part
    parts: dict                   # size, sharpness, pose, confidence: each 0..1
    weakest: str

    @property
    def reason(self) -> str:
        return REASONS[self.weakest]

    def to_json(self) -> dict:
        return {"quality": round(self.score, 3), "weakest": self.weakest,
                "parts": {k: round(v, 3) for k, v in self.parts.items()}}


def _ramp(v: float, lo: float, hi: float) -> float:
    return float(np.clip((v - lo) / (hi - lo), 0.0, 1.0))


def sharpness(crop: np.ndarray) -> float:
    """Variance of the Laplacian of an RGB crop resized to 112 px (comparable across models)."""
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    if gray.shape[0] != 112:
        gray = cv2.resize(gray, (112, 112), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


def yaw_ratio(landmarks: np.ndarray) -> float:
    """How far the nose sits from the eyes' midline, in eye distances (0 frontal, ~0.5 in profile)."""
    lm = np.asarray(landmarks, np.float64)
    eyes = lm[1] - lm[0]
    d = np.linalg.norm(eyes)
    if d < 1e-6:
        return 1.0
    mid = (lm[0] + lm[1]) / 2
    across = (lm[2] - mid) @ (eyes / d)
    return float(abs(across) / d)


def outside_share(landmarks: np.ndarray, image_size: tuple[int, int]) -> float:
    """Share (0..1) of the face outside an image of ``image_size`` (H, W): the face region of the ArcFace template
    mapped back through the landmarks' similarity transform, sampled on a 17x17 grid. Detectors clip a cut face's
    box to the image, but its landmarks still say where the rest of the face would be."""
    try:
        m = estimate_similarity(np.asarray(landmarks, np.float64), ARCFACE_112)
    except ValueError:
        return 0.0
    x1, y1, x2, y2 = FACE_REGION
    xs, ys = np.meshgrid(x1 + _GRID * (x2 - x1), y1 + _GRID * (y2 - y1))
    pts = (np.stack([xs.ravel(), ys.ravel()], 1) - m[:, 2]) @ np.linalg.inv(m[:, :2]).T
    h, w = image_size[:2]
    inside = (pts[:, 0] >= 0) & (pts[:, 0] <= w) & (pts[:, 1] >= 0) & (pts[:, 1] <= h)
    return float(1.0 - inside.mean())


def framing(landmarks: np.ndarray, image_size: tuple[int, int] | None) -> float:
    """1 for a face wholly in the image, falling to 0 as the image's edge cuts it (1 when the size is unknown)."""
    return 1.0 if image_size is None else _ramp(outside_share(landmarks, image_size), *OUTSIDE)


def assess(detection, crop: np.ndarray, image_size: tuple[int, int] | None = None) -> Quality:
    """Quality of one face: its detection (box, landmarks, score), its aligned crop and, when known, the (H, W) of
    the image it was found in (a face cut by the edge is of low quality)."""
    parts = {"size": _ramp(detection.size, *SIZE_PX), "sharpness": _ramp(sharpness(crop), *SHARPNESS),
             "pose": _ramp(yaw_ratio(detection.landmarks), *YAW), "confidence": _ramp(detection.score, *DET_SCORE),
             "framing": framing(detection.landmarks, image_size)}
    weakest = min(parts, key=parts.get)
    return Quality(parts[weakest], parts, weakest)
