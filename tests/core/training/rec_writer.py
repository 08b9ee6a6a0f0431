"""Independent writer of insightface-style MXNet RecordIO .rec/.idx files, for tests.

Written from the format description (dmlc recordio + ImageRecordIO header), not from
the reader under test: each record is magic, (cflag << 29 | length), payload padded to
4 bytes; payloads containing the magic word are split into parts at each occurrence.
"""

import struct

MAGIC = 0xCED7230A


def _frame(payload: bytes) -> bytes:
    magic = struct.pack("<I", MAGIC)
    pieces = payload.split(magic)
    out = b""
    for i, piece in enumerate(pieces):
        if len(pieces) == 1:
            cflag = 0
        elif i == 0:
            cflag = 1
        elif i == len(pieces) - 1:
            cflag = 3
        else:
            cflag = 2
        out += magic + struct.pack("<I", (cflag << 29) | len(piece)) + piece + b"\x00" * ((4 - len(piece) % 4) % 4)
    return out


def header(label, id1=0, id2=0) -> bytes:
    if isinstance(label, (list, tuple)):
        return struct.pack("<IfQQ", len(label), 0.0, id1, id2) + struct.pack(f"<{len(label)}f", *label)
    return struct.pack("<IfQQ", 0, float(label), id1, id2)


def write_rec(rec_path, idx_path, people: list[list[bytes]]) -> int:
    """people[c] = encoded images of class c. Returns the number of image records."""
    records = {}
    key = 1
    ranges = []
    for c, imgs in enumerate(people):
        start = key
        for img in imgs:
            records[key] = header(float(c), key) + img
            key += 1
        ranges.append((start, key))
    first_id = key
    for start, stop in ranges:
        records[key] = header([float(start), float(stop)])
        key += 1
    records[0] = header([float(first_id), float(key)])
    offset = 0
    with open(rec_path, "wb") as rec, open(idx_path, "w") as idx:
        for k in sorted(records):
            framed = _frame(records[k])
            rec.write(framed)
            idx.write(f"{k}\t{offset}\n")
            offset += len(framed)
    return first_id - 1
