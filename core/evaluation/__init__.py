"""Evaluations on public protocols and the user's own data: ``.bin`` pair sets (``verify_bin``), LFW (``lfw``),
folders of people (``folders``), the open-set protocol (``openset``), calibration on LFW View 1
(``calibrate``), over a cache of detections and embeddings (``face_cache``).

May import: ``core.gallery`` and the rooms below it.
"""

from core.evaluation.folders import evaluate_folders
from core.evaluation.lfw import evaluate_lfw
from core.evaluation.openset import evaluate_openset
from core.evaluation.verify_bin import evaluate_bin

__all__ = ["evaluate_bin", "evaluate_folders", "evaluate_lfw", "evaluate_openset"]
