"""Training: the typed run config (``config``) and events (``events``), the ``tf.data`` pipeline (``data``),
the trainer under a ``tf.distribute`` strategy (``trainer``), initialisation from a pretrained model (``init``),
embedding functions over a run (``runs``), export (``export``), fine-tuning on a gallery's people
(``finetune``) and the workbench's history of runs (``runs_db``).

A training job runs in its own process (``facerec train``), writing ``events.jsonl`` and checkpoints.
May import: ``core.gallery``, ``core.evaluation``, ``core.datasets`` and the rooms below them.
"""

from core.training.config import BACKBONES, DEFAULTS, HEADS, STRATEGIES
from core.training.events import EventFollower, read_events
from core.training.finetune import FINETUNE_STEPS, default_init
from core.training.init import trainable_backbone
from core.training.runs_db import RunsDB, new_run_folder, read_result, summarize_result

__all__ = ["BACKBONES", "DEFAULTS", "FINETUNE_STEPS", "HEADS", "STRATEGIES", "EventFollower", "RunsDB", "default_init",
           "new_run_folder", "read_events", "read_result", "summarize_result", "trainable_backbone"]
