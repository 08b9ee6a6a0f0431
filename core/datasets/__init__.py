"""Training data: MXNet RecordIO (``recordio``) and photo folders into TFRecord shards (``tfrecords``).

May import: ``core.decide``, ``core.faces``, ``core.zoo`` and the shared top-level modules.
"""

from core.datasets.tfrecords import convert_folder, convert_rec, read_meta, write_shards

__all__ = ["convert_folder", "convert_rec", "read_meta", "write_shards"]
