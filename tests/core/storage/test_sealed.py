"""Sealed files at their chunk boundaries: every length around a boundary round-trips, and a chunk dropped,
swapped or cut at a boundary is refused (never loads shorter data)."""

from __future__ import annotations

import os

import pytest

from core.errors import SealBroken
from core.storage.sealed import HEADER, seal, unseal

KEY = bytes(range(32))
CHUNK = 64


@pytest.mark.parametrize("n", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK - 1, 3 * CHUNK + 5])
def test_every_length_around_a_chunk_boundary_round_trips(n):
    data = os.urandom(n)
    blob = seal(data, KEY, chunk=CHUNK)
    assert unseal(blob, KEY) == data
    chunks = max(1, -(-n // CHUNK))
    assert len(blob) == HEADER.size + n + 16 * chunks       # one tag a chunk, nothing else


def test_a_chunk_dropped_swapped_or_cut_at_a_boundary_is_refused():
    data = os.urandom(3 * CHUNK)
    blob = seal(data, KEY, chunk=CHUNK)
    body, step = blob[HEADER.size:], CHUNK + 16
    c = [body[i:i + step] for i in range(0, len(body), step)]
    head = blob[:HEADER.size]
    for bad in (head + c[0] + c[1],                     # the last chunk dropped: cut exactly at a boundary
                head + c[1] + c[0] + c[2],              # two chunks swapped
                head + c[0] + c[2],                     # one in the middle dropped
                blob + c[2]):                           # a chunk repeated after the last
        with pytest.raises(SealBroken):
            unseal(bad, KEY)
    with pytest.raises(SealBroken):
        unseal(blob, bytes(32))                         # another key
