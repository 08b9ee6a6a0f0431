"""Training: the typed run config (``config``) and events (``events``), the ``tf.data`` pipeline (``data``),
the trainer under a ``tf.distribute`` strategy (``trainer``), initialisation from a pretrained model (``init``),
embedding functions over a run (``runs``), export (``export``), fine-tuning on a gallery's people
(``finetune``) and the workbench's history of runs (``runs_db``).

A training job runs in its own process (``facerec train``), writing ``events.jsonl`` and checkpoints.
May import: ``core.gallery``, ``core.evaluation``, ``core.datasets`` and the rooms below them.
"""
