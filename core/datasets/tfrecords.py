"""Convert face datasets to sharded TFRecords (``image``: encoded bytes, ``label``: int64).

Shards are written to a temporary name and renamed when complete; ``dataset.json``
records finished shards, so an interrupted conversion resumes where it stopped.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from core.errors import Cancelled, DatasetError
from core.fileutil import write_bytes_atomic
from core.progress import CancelFn, ProgressFn
from core.tf_runtime import tf

META = "dataset.json"


def _example(image: bytes, label: int) -> bytes:
    t = tf()
    feat = {
        "image": t.train.Feature(bytes_list=t.train.BytesList(value=[image])),
        "label": t.train.Feature(int64_list=t.train.Int64List(value=[label])),
    }
    return t.train.Example(features=t.train.Features(feature=feat)).SerializeToString()


def _looks_like_image(b: bytes) -> bool:
    return b[:3] == b"\xff\xd8\xff" or b[:8] == b"\x89PNG\r\n\x1a\n"


def write_shards(items: Callable[[int, int], Iterator[tuple[int, int | None, bytes | None, str | None]]], total: int,
                 out: Path, shard_size: int, source: str, extra: dict | None = None,
                 progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> dict:
    """Write ``total`` items as shards of ``shard_size``; ``items(start, stop)`` yields (key, label, bytes, error)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    n_shards = max(1, -(-total // shard_size))
    meta_path = out / META
    state = {}
    if meta_path.exists():
        try:
            state = json.loads(meta_path.read_text())
        except ValueError:
            state = {}
        if state.get("source") != source or state.get("shard_size") != shard_size:
            state = {}
    done: dict[str, dict] = {s["file"]: s for s in state.get("shards", []) if (out / s["file"]).exists()}
    bad: list[dict] = list(state.get("corrupt", []))
    t0, processed = time.perf_counter(), 0
    shards = []
    for i in range(n_shards):
        name = f"train-{i:05d}-of-{n_shards:05d}.tfrecord"
        start, stop = i * shard_size, min(total, (i + 1) * shard_size)
        if name in done:
            shards.append(done[name])
            if progress:
                progress(stop, total, name)
            continue
        if cancel and cancel():
            raise Cancelled(f"Conversion cancelled after {len(shards)} of {n_shards} shards; run it again to resume.")
        tmp = out / (name + ".partial")
        count, labels = 0, set()
        with tf().io.TFRecordWriter(str(tmp)) as w:
            for key, label, img, err in items(start, stop):
                if err is None and (img is None or not _looks_like_image(img)):
                    err = "payload is not a JPEG or PNG image"
                if err is not None:
                    bad.append({"key": key, "error": err})
                    continue
                w.write(_example(img, int(label)))
                count += 1
                labels.add(int(label))
        os.replace(tmp, out / name)
        processed += stop - start
        entry = {"file": name, "images": count, "first": start, "stop": stop}
        shards.append(entry)
        state = {"source": source, "shard_size": shard_size, "shards": shards, "corrupt": bad, "complete": False}
        write_bytes_atomic(meta_path, json.dumps(state, indent=1).encode())
        if progress:
            progress(stop, total, name)
    images = sum(s["images"] for s in shards)
    if images == 0:
        first = f" (first problem: {bad[0]['error']})" if bad else ""
        raise DatasetError(f"No readable image records in {source.split(':', 1)[1].rsplit(':', 1)[0]}; "
                           f"{len(bad)} corrupt{first}.")
    meta = {"source": source, "shard_size": shard_size, "shards": shards, "corrupt": bad, "complete": True,
            "images": images, **(extra or {})}
    write_bytes_atomic(meta_path, json.dumps(meta, indent=1).encode())
    secs = time.perf_counter() - t0
    return {"images": images, "classes": meta.get("classes"), "shards": [str(out / s["file"]) for s in shards],
            "corrupt_records": bad, "seconds": round(secs, 3),
            "records_per_s": round(processed / secs, 1) if processed and secs > 0 else None}


def convert_rec(rec: Path, idx: Path, out: Path, shard_size: int = 20_000, progress: ProgressFn | None = None,
                cancel: CancelFn | None = None) -> dict:
    from core.datasets.recordio import RecordIOReader, insightface_layout, iter_images

    with RecordIOReader(rec, idx) as reader:
        layout = insightface_layout(reader)
        keys = layout.image_keys
        if not keys:
            raise DatasetError(f"{rec} holds no image records.")
        labels_seen: set[int] = set()

        def items(a, b):
            for key, label, img, err in iter_images(reader, keys[a:b]):
                if label is not None:
                    labels_seen.add(label)
                yield key, label, img, err

        src = f"rec:{Path(rec).resolve()}:{Path(rec).stat().st_size}"
        res = write_shards(items, len(keys), out, shard_size, src, progress=progress, cancel=cancel,
                           extra={"classes": layout.classes if layout.classes > 0 else None})
        classes = layout.classes if layout.classes > 0 else len(labels_seen)
        _set_meta(out, classes=classes)
        res["classes"] = classes
        return res


def convert_folder(root: Path, out: Path, shard_size: int = 20_000, align_size: int = 112,
                   progress: ProgressFn | None = None, cancel: CancelFn | None = None) -> dict:
    """One sub-folder per identity -> 112x112 ArcFace-aligned JPEG crops in TFRecords (faces detected here)."""
    import cv2

    from core.decide import identity_folders
    from core.errors import BadInput
    from core.faces import align_face, get_detector, load_image
    from core.zoo import Template

    people = identity_folders(Path(root))
    names = sorted(people)
    flat = [(p, names.index(n)) for n in names for p in people[n]]
    det = get_detector("mtcnn")
    tmpl = Template.from_arcface(align_size)

    def items(a, b):
        for i in range(a, b):
            path, label = flat[i]
            try:
                img = load_image(path)
                faces = det.detect(img)
                if not faces:
                    yield i, None, None, f"{path}: no face found"
                    continue
                f = max(faces, key=lambda d: d.size)
                crop = align_face(img, f.landmarks, tmpl)
                yield i, label, cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))[1].tobytes(), None
            except BadInput as exc:
                yield i, None, None, str(exc)

    res = write_shards(items, len(flat), out, shard_size, f"folder:{Path(root).resolve()}:{len(flat)}",
                       progress=progress, cancel=cancel, extra={"classes": len(names), "class_names": names})
    res["classes"] = len(names)
    return res


def _set_meta(out: Path, **values) -> None:
    p = Path(out) / META
    meta = json.loads(p.read_text())
    meta.update(values)
    write_bytes_atomic(p, json.dumps(meta, indent=1).encode())


def read_meta(data_dir: Path) -> dict:
    p = Path(data_dir) / META
    try:
        meta = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{data_dir} has no readable {META}; convert a dataset there first "
                           "(`facerec convert-rec` or `facerec convert-folder`).") from exc
    if not meta.get("complete"):
        raise DatasetError(f"The conversion into {data_dir} did not finish; run it again to resume.")
    return meta
