"""Pure-Python reader of MXNet RecordIO ``.rec/.idx`` files (no MXNet needed).

Record framing (dmlc-core): ``uint32 magic 0xced7230a``, ``uint32 lrecord`` whose
top 3 bits are a continuation flag (0 whole, 1 first, 2 middle, 3 last part) and
low 29 bits the part length, then the bytes, padded to 4. A payload that contains
the magic is split there and the parts are joined with the magic on reading.

Image records start with ``IRHeader`` = struct ``<IfQQ`` (flag, label, id, id2);
when ``flag > 0`` the label is instead ``flag`` float32 values after the header.

insightface layout: record 0 is a header whose label ``[a, b]`` gives the range of
identity records ``a..b-1``; image records ``1..a-1`` carry a class label; identity
record ``k`` carries the image range ``[start, end)`` of one class.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.errors import DatasetError
from core.fileutil import Closing

MAGIC = 0xCED7230A
_MAGIC_BYTES = struct.pack("<I", MAGIC)
IR_FORMAT = "<IfQQ"
IR_SIZE = struct.calcsize(IR_FORMAT)
MAX_RECORD = 64 << 20  # a face image record over 64 MiB is corruption, not data


@dataclass
class IRHeader:
    flag: int
    label: np.ndarray  # (1,) or (flag,) float32
    id: int
    id2: int


class CorruptRecord(DatasetError):
    kind = "corrupt_record"


def unpack_record(payload: bytes) -> tuple[IRHeader, bytes]:
    """Split an image record into its header and the encoded image bytes."""
    if len(payload) < IR_SIZE:
        raise CorruptRecord(f"record of {len(payload)} bytes is shorter than the {IR_SIZE}-byte image header")
    flag, label, id1, id2 = struct.unpack_from(IR_FORMAT, payload)
    body = payload[IR_SIZE:]
    if flag > 0:
        if flag > 1 << 20 or len(body) < 4 * flag:
            raise CorruptRecord(f"image header claims {flag} labels but the record is too short")
        labels = np.frombuffer(body[: 4 * flag], "<f4").astype(np.float32)
        body = body[4 * flag:]
    else:
        labels = np.array([label], np.float32)
    return IRHeader(flag, labels, id1, id2), body


class RecordIOReader(Closing):
    """Random access to records by key through the ``.idx`` file (lines ``key<TAB>offset``)."""

    def __init__(self, rec: Path, idx: Path):
        self.rec_path, self.idx_path = Path(rec), Path(idx)
        for p in (self.rec_path, self.idx_path):
            if not p.is_file():
                raise DatasetError(f"{p}: no such file.")
        self.size = self.rec_path.stat().st_size
        self.offsets = self._read_idx()
        self._f = open(self.rec_path, "rb")

    def _read_idx(self) -> dict[int, int]:
        offsets: dict[int, int] = {}
        with open(self.idx_path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                line = raw.strip()
                if not line:
                    continue
                parts = line.split()
                try:
                    key, off = int(parts[0]), int(parts[1])
                except (IndexError, ValueError) as exc:
                    raise DatasetError(f"{self.idx_path}:{lineno}: expected 'key<TAB>offset', got {line[:40]!r}.") \
                        from exc
                if not 0 <= off < self.size:
                    raise DatasetError(f"{self.idx_path}:{lineno}: offset {off} is outside {self.rec_path.name} "
                                       f"({self.size} bytes); are the .idx and .rec from the same dataset?")
                offsets[key] = off
        if not offsets:
            raise DatasetError(f"{self.idx_path} lists no records.")
        return offsets

    def close(self) -> None:
        self._f.close()

    def read_at(self, offset: int) -> bytes:
        """The payload of the record starting at byte ``offset`` (parts re-joined)."""
        f = self._f
        f.seek(offset)
        parts: list[bytes] = []
        while True:
            head = f.read(8)
            if len(head) < 8:
                raise CorruptRecord(f"record at byte {offset} is cut off by the end of the file")
            magic, lrec = struct.unpack("<II", head)
            if magic != MAGIC:
                raise CorruptRecord(f"bad magic 0x{magic:08x} at byte {f.tell() - 8} (expected 0x{MAGIC:08x})")
            cflag, length = lrec >> 29, lrec & ((1 << 29) - 1)
            if length > MAX_RECORD or f.tell() + length > self.size:
                raise CorruptRecord(f"record at byte {offset} claims {length} bytes, beyond the file or the limit")
            data = f.read(length)
            f.read((-length) % 4)
            if not parts and cflag not in (0, 1):
                raise CorruptRecord(f"record at byte {offset} starts with a continuation part (flag {cflag})")
            parts.append(data)
            if cflag in (0, 3):
                break
        return _MAGIC_BYTES.join(parts)

    def read(self, key: int) -> bytes:
        if key not in self.offsets:
            raise CorruptRecord(f"record key {key} is not in {self.idx_path.name}")
        return self.read_at(self.offsets[key])

    def read_image(self, key: int) -> tuple[IRHeader, bytes]:
        return unpack_record(self.read(key))


@dataclass
class FaceRecordSet:
    """insightface layout of a ``.rec``: image keys and the number of classes."""

    image_keys: list[int]
    classes: int
    identity_ranges: list[tuple[int, int]]


def insightface_layout(reader: RecordIOReader) -> FaceRecordSet:
    """Read record 0 and the identity records; fall back to 'every key is an image' without a header."""
    try:
        head, _ = reader.read_image(0)
    except CorruptRecord:
        head = None
    if head is not None and head.flag > 0 and len(head.label) >= 2:
        first_id, end_id = int(head.label[0]), int(head.label[1])
        if not 0 < first_id <= end_id:
            raise DatasetError(f"record 0 of {reader.rec_path.name} gives a bad identity range [{first_id}, {end_id}).")
        ranges = []
        for k in range(first_id, end_id):
            h, _ = reader.read_image(k)
            if len(h.label) < 2:
                raise DatasetError(f"identity record {k} has no image range.")
            ranges.append((int(h.label[0]), int(h.label[1])))
        keys = [k for k in range(1, first_id) if k in reader.offsets]
        return FaceRecordSet(image_keys=keys, classes=len(ranges), identity_ranges=ranges)
    keys = sorted(k for k in reader.offsets)
    return FaceRecordSet(image_keys=keys, classes=-1, identity_ranges=[])


def iter_images(reader: RecordIOReader, keys: list[int]) -> Iterator[tuple[int, int | None, bytes | None, str | None]]:
    """Yield ``(key, class label, image bytes, error)``; a corrupt record yields its error instead."""
    for k in keys:
        try:
            h, img = reader.read_image(k)
            yield k, int(h.label[0]), img, None
        except CorruptRecord as exc:
            yield k, None, None, str(exc)
