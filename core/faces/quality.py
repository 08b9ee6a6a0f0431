"""How usable a detected face is for recognition: size, sharpness, pose and detector confidence.

Each part maps to 0..1 with a soft ramp; the face's quality is the weakest part
(so the reason names what is lacking). Below ``min_quality`` (a setting) a face is
"unknown (low quality)" rather than named: a tiny, blurred or turned-away face
gives unreliable scores, and is where strangers get named as someone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# (value where the part is 0, value where it is 1)
SIZE_PX = (16.0, 48.0)            # shorter side of the box in the original image
SHARPNESS = (4.0, 30.0)           # variance of the Laplacian of the 112 px grey crop
YAW = (0.62, 0.30)                # |nose offset from the eye midline| / eye distance (0 = frontal)
DET_SCORE = (0.60, 0.90)
REASONS = {"size": "too small", "sharpness": "blurred", "pose": "turned away", "confidence": "unclear"}


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


def assess(detection, crop: np.ndarray) -> Quality:
    """Quality of one face: its detection (box, landmarks, score) and its aligned crop."""
    parts = {"size": _ramp(detection.size, *SIZE_PX), "sharpness": _ramp(sharpness(crop), *SHARPNESS),
             "pose": _ramp(yaw_ratio(detection.landmarks), *YAW), "confidence": _ramp(detection.score, *DET_SCORE)}
    weakest = min(parts, key=parts.get)
    return Quality(parts[weakest], parts, weakest)
