"""How scores become decisions, as numbers a person can check.

- ``operating_points``: which threshold a decision uses and why (override, calibration, gallery, fallback);
- ``open_set``: the 1:N stranger rate from impostor tails and the threshold that holds it (pure numpy);
- ``verification``: 1:1 ``verify`` of two photos or a CSV of pairs; ``calibration``: thresholds measured on
  folders of known people; ``metrics``: k-fold accuracy, ROC, TAR@FAR, score tails (pure numpy).

May import: ``core.faces``, ``core.zoo``, ``core.config`` and the shared top-level modules.
"""

from core.decide.calibration import calibrate, identity_folders
from core.decide.open_set import open_set_threshold, population_mean
from core.decide.operating_points import OperatingPoint, identify_point, stranger_rate, verify_point
from core.decide.verification import read_pairs_csv, verify_pairs, verify_two

__all__ = ["OperatingPoint", "calibrate", "identify_point", "identity_folders", "open_set_threshold",
           "population_mean", "read_pairs_csv", "stranger_rate", "verify_pairs", "verify_point", "verify_two"]
