import struct

import pytest

from core.datasets import convert_rec, read_meta
from core.datasets.recordio import MAGIC, RecordIOReader, insightface_layout, unpack_record
from core.errors import Cancelled, DatasetError
from tests.core.training.rec_writer import header, write_rec


def test_check_set_converts_93_images_5_classes(rec_dataset, tmp_path):
    res = convert_rec(*rec_dataset, tmp_path / "out")
    assert res["images"] == 93 and res["classes"] == 5 and len(res["shards"]) == 1
    assert res["corrupt_records"] == []
    meta = read_meta(tmp_path / "out")
    assert meta["complete"] and meta["classes"] == 5


def test_reader_layout_and_labels(rec_dataset):
    with RecordIOReader(*rec_dataset) as r:
        lay = insightface_layout(r)
        assert lay.classes == 5 and len(lay.image_keys) == 93
        counts = [b - a for a, b in lay.identity_ranges]
        assert sum(counts) == 93
        h, img = r.read_image(lay.image_keys[0])
        assert h.label[0] == 0.0 and img[:3] == b"\xff\xd8\xff"


def test_payload_containing_magic_is_rejoined(tmp_path):
    magic = struct.pack("<I", MAGIC)
    img = b"\xff\xd8\xff" + b"ab" + magic + b"cd" + magic + b"e"  # split into three parts on disk
    write_rec(tmp_path / "m.rec", tmp_path / "m.idx", [[img], [img + b"x"]])
    with RecordIOReader(tmp_path / "m.rec", tmp_path / "m.idx") as r:
        assert r.read_image(1)[1] == img
        assert r.read_image(2)[1] == img + b"x"


def test_corrupt_record_is_reported_not_fatal(rec_dataset, tmp_path):
    rec, idx = rec_dataset
    data = bytearray(rec.read_bytes())
    with RecordIOReader(rec, idx) as r:
        off = r.offsets[5]
    data[off:off + 4] = b"\x00\x00\x00\x00"  # smash one record's magic
    bad_rec = tmp_path / "bad.rec"
    bad_rec.write_bytes(bytes(data))
    res = convert_rec(bad_rec, idx, tmp_path / "out")
    assert res["images"] == 92
    assert len(res["corrupt_records"]) == 1 and res["corrupt_records"][0]["key"] == 5
    assert "magic" in res["corrupt_records"][0]["error"]


def test_mismatched_idx_is_a_clear_error(rec_dataset, tmp_path):
    rec, _ = rec_dataset
    idx = tmp_path / "x.idx"
    idx.write_text("0\t0\n1\t999999999999\n")
    with pytest.raises(DatasetError, match="outside"):
        RecordIOReader(rec, idx)
    short = tmp_path / "short.rec"
    short.write_bytes(b"\x0a\x23\xd7\xce" + b"\x00" * 4)
    (tmp_path / "short.idx").write_text("0\t0\n")
    with pytest.raises(DatasetError):
        convert_rec(short, tmp_path / "short.idx", tmp_path / "o")


def test_header_with_label_array():
    h, body = unpack_record(header([3.0, 7.0]) + b"img")
    assert h.flag == 2 and list(h.label) == [3.0, 7.0] and body == b"img"


def test_conversion_resumes_after_cancel(rec_dataset, tmp_path):
    out = tmp_path / "out"
    calls = {"n": 0}

    def cancel_after_two():
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Cancelled):
        convert_rec(*rec_dataset, out, shard_size=20, cancel=cancel_after_two)
    done = sorted(out.glob("*.tfrecord"))
    assert len(done) == 2
    mtimes = {p.name: p.stat().st_mtime_ns for p in done}
    res = convert_rec(*rec_dataset, out, shard_size=20)
    assert res["images"] == 93 and len(res["shards"]) == 5
    assert all((out / n).stat().st_mtime_ns == m for n, m in mtimes.items())  # finished shards were not rewritten
