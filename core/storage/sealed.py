"""Files other than databases that hold faces (search indexes, the grouping state, exports), sealed with
AES-256-GCM under a folder's data key.

Format: ``MAGIC | salt (16) | chunk size (u32)``, then chunks of up to ``chunk size`` bytes, each with its
16-byte tag. Each file has its own key, HKDF-SHA256 of the data key and the file's random salt; a chunk's
nonce is its index and its authenticated data the header, the index and whether it is the last chunk, so a
changed, reordered or truncated file fails to open (:class:`SealBroken`) instead of loading wrong data.
Chunks (4 MiB) keep files over the 2 GiB a single AES-GCM call takes.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from core.errors import SealBroken
from core.fileutil import write_bytes_atomic

MAGIC = b"FRSEAL\x01\x00"
HEADER = struct.Struct("<8s16sI")
CHUNK = 4 << 20


__all__ = ["SealBroken", "read_maybe_sealed", "seal", "unseal", "write_maybe_sealed"]


def _aead(key: bytes, salt: bytes):
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return AESGCM(HKDF(hashes.SHA256(), 32, salt, b"facerec sealed file v1").derive(key))


def _nonce(i: int) -> bytes:
    return struct.pack("<QI", i, 0)


def is_sealed(data: bytes | memoryview) -> bool:
    return bytes(data[:len(MAGIC)]) == MAGIC


def seal(data: bytes | memoryview, key: bytes, chunk: int = CHUNK) -> bytes:
    mv = memoryview(data).cast("B")
    salt = os.urandom(16)
    head = HEADER.pack(MAGIC, salt, chunk)
    g = _aead(key, salt)
    n = max(1, -(-len(mv) // chunk))
    return b"".join([head, *(g.encrypt(_nonce(i), mv[i * chunk:(i + 1) * chunk], head + struct.pack("<Q?", i, i == n - 1))
                             for i in range(n))])


def unseal(blob: bytes | memoryview, key: bytes, what: str = "file") -> bytes:
    from cryptography.exceptions import InvalidTag

    mv = memoryview(blob)
    if len(mv) < HEADER.size or not is_sealed(mv):
        raise SealBroken(f"The {what} is not a sealed facerec file.")
    _magic, salt, chunk = HEADER.unpack_from(mv)
    head = bytes(mv[:HEADER.size])
    g = _aead(key, salt)
    pos, i, parts = HEADER.size, 0, []
    while True:
        end = min(pos + chunk + 16, len(mv))
        last = end == len(mv)
        try:
            parts.append(g.decrypt(_nonce(i), mv[pos:end], head + struct.pack("<Q?", i, last)))
        except InvalidTag:
            raise SealBroken(f"The {what} was changed or damaged (or belongs to another key); it was not "
                             "loaded.") from None
        if last:
            return b"".join(parts)
        pos, i = end, i + 1


def write_maybe_sealed(path: Path, data: bytes | memoryview, key: bytes | None) -> None:
    """Write ``data`` atomically: sealed under ``key``, or as it is without one."""
    write_bytes_atomic(Path(path), seal(data, key) if key is not None else bytes(data))


def read_maybe_sealed(path: Path, key: bytes | None, what: str = "file") -> bytes:
    """The file's data: unsealed with ``key``; a sealed file without a key, or a plain one with a key, is an
    error (:class:`SealBroken`): data is never silently read with the wrong protection."""
    blob = Path(path).read_bytes()
    if key is None:
        if is_sealed(blob):
            raise SealBroken(f"The {what} {path} is encrypted, but its folder has no key.")
        return blob
    return unseal(blob, key, f"{what} {path}")
