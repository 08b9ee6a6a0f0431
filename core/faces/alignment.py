"""5-point similarity alignment (pure numpy + one OpenCV warp).

Landmark order everywhere: left eye, right eye, nose, left mouth corner, right
mouth corner, as (x, y) pixels in image coordinates ("left" = image left).
"""

from __future__ import annotations

import cv2
import numpy as np

from core.zoo import Template


def estimate_similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, translation) mapping src -> dst.

    Umeyama (1991). ``src``, ``dst``: (N, 2), N >= 2. Returns a 2x3 float64 matrix M
    with ``dst ~= M[:, :2] @ src + M[:, 2]``; reflections are excluded.
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    if src.shape != dst.shape or src.ndim != 2 or src.shape[1] != 2 or src.shape[0] < 2:
        raise ValueError(f"need matching (N>=2, 2) point sets, got {src.shape} and {dst.shape}")
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s0, d0 = src - mu_s, dst - mu_d
    var_s = (s0**2).sum() / len(src)
    if var_s < 1e-12:
        raise ValueError("source points are degenerate (all equal)")
    cov = d0.T @ s0 / len(src)
    u, sig, vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[1] = -1.0
    rot = u @ np.diag(d) @ vt
    scale = (sig * d).sum() / var_s
    m = np.zeros((2, 3))
    m[:, :2] = scale * rot
    m[:, 2] = mu_d - m[:, :2] @ mu_s
    return m


def align_face(image: np.ndarray, landmarks: np.ndarray, template: Template) -> np.ndarray:
    """Warp ``image`` (H, W, 3 uint8) so ``landmarks`` (5, 2) land on ``template``; returns (S, S, 3)."""
    m = estimate_similarity(np.asarray(landmarks, dtype=np.float64), template.points)
    return cv2.warpAffine(image, m, (template.size, template.size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)


def crop_scale(landmarks: np.ndarray, template: Template) -> float:
    """How many crop pixels one image pixel becomes when ``landmarks`` (5, 2) are aligned to ``template``:
    above 1 the crop is enlarged from fewer pixels than it has."""
    m = estimate_similarity(np.asarray(landmarks, dtype=np.float64), template.points)
    return float(np.hypot(m[0, 0], m[0, 1]))


def crop_box(image: np.ndarray, box_xyxy: np.ndarray, size: int, margin: float = 0.2) -> np.ndarray:
    """Square crop round a box with ``margin`` (fraction of the box side) for faces without landmarks."""
    x1, y1, x2, y2 = [float(v) for v in box_xyxy]
    cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
    side = max(x2 - x1, y2 - y1) * (1 + 2 * margin)
    src = np.array([[cx - side / 2, cy - side / 2], [cx + side / 2, cy - side / 2], [cx - side / 2, cy + side / 2]],
                   dtype=np.float32)
    dst = np.array([[0, 0], [size, 0], [0, size]], dtype=np.float32)
    return cv2.warpAffine(image, cv2.getAffineTransform(src, dst), (size, size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REPLICATE)
