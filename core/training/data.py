"""The training input pipeline: TFRecord shards -> decode -> augment -> preprocess -> batches (tf.data)."""

from __future__ import annotations

from pathlib import Path

from core.errors import DatasetError
from core.tf_runtime import tf
from core.training.config import TrainConfig
from core.zoo.preprocess import apply as preprocess


def make_dataset(data_dir: Path, cfg: TrainConfig, global_batch: int, shard: tuple[int, int] | None = None):
    """Returns (dataset of (images (B, S, S, 3) float32, labels (B,) int32), classes, images).

    ``shard`` = (index, count) gives each worker of a multi-worker run its own files or records.
    """
    from core.datasets import read_meta

    t = tf()
    meta = read_meta(data_dir)
    files = [str(Path(data_dir) / s["file"]) for s in meta["shards"] if s.get("images", 0) > 0]
    if not files:
        raise DatasetError(f"{data_dir} holds no images.")
    classes = int(meta.get("classes") or 0)
    if classes < 2:
        raise DatasetError(f"{data_dir} has {classes} classes; training needs at least 2.")
    size = cfg.input_size
    feats = {"image": t.io.FixedLenFeature([], t.string), "label": t.io.FixedLenFeature([], t.int64)}

    def parse(rec):
        ex = t.io.parse_single_example(rec, feats)
        img = t.io.decode_image(ex["image"], channels=3, expand_animations=False)
        img = t.image.resize(t.cast(img, t.float32), (size, size))
        img = t.image.random_flip_left_right(img)
        if cfg.augment:  # small data (fine-tuning on a gallery): shifts, scale and colour jitter
            pad = size // 8
            img = t.image.resize_with_crop_or_pad(img, size + pad, size + pad)
            img = t.image.random_crop(img, (size, size, 3))
            img = t.image.random_brightness(img, 20.0)
            img = t.image.random_contrast(img, 0.8, 1.2)
            img = t.clip_by_value(img, 0.0, 255.0)
        return preprocess(cfg.preprocess, img[None], t)[0], t.cast(ex["label"], t.int32)

    ds = t.data.Dataset.from_tensor_slices(files)
    if shard is not None and shard[1] > 1:
        if len(files) >= shard[1]:
            ds = ds.shard(shard[1], shard[0])
            ds = ds.interleave(t.data.TFRecordDataset, cycle_length=min(8, len(files)),
                               num_parallel_calls=t.data.AUTOTUNE)
        else:  # fewer files than workers: every worker reads all files and keeps every n-th record
            ds = ds.interleave(t.data.TFRecordDataset, cycle_length=1).shard(shard[1], shard[0])
    else:
        ds = ds.shuffle(len(files), seed=cfg.seed)
        ds = ds.interleave(t.data.TFRecordDataset, cycle_length=min(8, len(files)), num_parallel_calls=t.data.AUTOTUNE)
    ds = ds.shuffle(cfg.shuffle_buffer, seed=cfg.seed, reshuffle_each_iteration=True).repeat()
    ds = ds.map(parse, num_parallel_calls=t.data.AUTOTUNE)
    ds = ds.batch(global_batch, drop_remainder=True).prefetch(t.data.AUTOTUNE)
    opts = t.data.Options()
    opts.experimental_distribute.auto_shard_policy = t.data.experimental.AutoShardPolicy.OFF
    return ds.with_options(opts), classes, int(meta["images"])
