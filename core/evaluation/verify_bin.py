"""Evaluate an embedder on a .bin pair set: image + flipped image, 10-fold accuracy, ROC, TAR@FAR."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from core.decide.metrics import auc, kfold_accuracy, roc_curve, tar_at_far

EmbedFn = Callable[[np.ndarray], np.ndarray]  # (N, S, S, 3) uint8 -> (N, D) float32


def flip_embeddings(embed: EmbedFn, images: np.ndarray, batch: int = 64) -> np.ndarray:
    """L2-normalised sum of the embeddings of each image and its mirror image."""
    out = []
    for start in range(0, len(images), batch):
        chunk = images[start:start + batch]
        e = embed(chunk) + embed(np.ascontiguousarray(chunk[:, :, ::-1]))
        out.append(e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12))
    return np.concatenate(out)


def pair_scores(emb: np.ndarray) -> np.ndarray:
    """Cosine similarity of rows (0, 1), (2, 3), ..."""
    return np.sum(emb[0::2] * emb[1::2], axis=1)


def roc_points(scores: np.ndarray, issame: np.ndarray, points: int = 60) -> dict:
    """The ROC on a log grid of FARs (from the smallest measurable FAR to 1): {"far": [...], "tar": [...]}."""
    far, tar, _ = roc_curve(scores, issame)
    negatives = max(1, int((~np.asarray(issame, bool)).sum()))
    grid = np.logspace(np.log10(1.0 / negatives), 0, points)
    best = [float(tar[far <= g + 1e-12].max()) for g in grid]
    return {"far": [round(float(g), 7) for g in grid], "tar": [round(b, 5) for b in best]}


def evaluate_pairs(scores: np.ndarray, issame: np.ndarray, folds: int = 10) -> dict:
    k = kfold_accuracy(scores, issame, folds=min(folds, len(scores)))
    far, tar, _ = roc_curve(scores, issame)
    return {"accuracy": round(k["accuracy"], 5), "std": round(k["std"], 5), "threshold": round(k["threshold"], 5),
            "pairs": int(len(scores)), "auc": round(auc(far, tar), 5),
            "tar_at_far": {k: tar_at_far(scores, issame, float(k)) for k in ("1e-2", "1e-3", "1e-4")},
            "roc": roc_points(scores, issame)}


def plot_roc(scores: np.ndarray, issame: np.ndarray, path: Path, title: str = "") -> Path:
    """Save the ROC curve (TAR against log FAR) as a PNG, drawn with OpenCV."""
    far, tar, _ = roc_curve(scores, issame)
    w, h, m = 640, 480, 60
    img = np.full((h, w, 3), 255, np.uint8)
    lo = -4.0

    def xy(f, t):
        x = m + (np.log10(max(f, 10**lo)) - lo) / -lo * (w - 2 * m)
        y = h - m - t * (h - 2 * m)
        return int(round(x)), int(round(y))

    cv2.rectangle(img, (m, m), (w - m, h - m), (0, 0, 0), 1)
    for e in range(int(lo), 1):
        x, _ = xy(10.0**e, 0)
        cv2.line(img, (x, h - m), (x, h - m + 5), (0, 0, 0), 1)
        cv2.putText(img, f"1e{e}", (x - 14, h - m + 20), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    for t in (0.0, 0.5, 1.0):
        _, y = xy(1, t)
        cv2.putText(img, f"{t:.1f}", (m - 35, y + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1)
    pts = np.array([xy(f, t) for f, t in zip(far, tar)], np.int32)
    cv2.polylines(img, [pts], False, (200, 60, 20), 2, cv2.LINE_AA)
    cv2.putText(img, "FAR (log)", (w // 2 - 30, h - 15), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(img, "TAR", (10, m - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    cv2.putText(img, title[:60], (m, m - 20), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1)
    from core.fileutil import write_bytes_atomic

    path = Path(path)
    ok, buf = cv2.imencode(".png", img)
    write_bytes_atomic(path, buf.tobytes())
    return path


def evaluate_bin(embed: EmbedFn, bin_path: Path, image_size: int, roc_png: Path | None = None) -> dict:
    from core.evaluation.bin_loader import load_bin

    images, issame = load_bin(bin_path, image_size=image_size)
    scores = pair_scores(flip_embeddings(embed, images))
    res = {"bin": str(bin_path), **evaluate_pairs(scores, issame)}
    if roc_png is not None:
        res["roc_png"] = str(plot_roc(scores, issame, roc_png, title=Path(bin_path).name))
    return res
