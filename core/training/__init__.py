"""ArcFace training: data pipeline, trainer, checkpoints, export."""
