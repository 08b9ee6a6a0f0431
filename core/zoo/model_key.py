"""A model's key: ``name:fingerprint-prefix``, the one name embeddings, indexes and calibrations are kept under
(the same network with other weights is another key)."""

from __future__ import annotations

PREFIX = 12  # hex digits of the weights' SHA-256 kept in a key


def model_key(name: str, fingerprint: str | None) -> str:
    """``name:<first 12 hex digits of the weights' fingerprint>`` ("unversioned" when it has none)."""
    return f"{name}:{(fingerprint or 'unversioned')[:PREFIX]}"


def key_fingerprint(key: str) -> str:
    """The fingerprint prefix of a model key."""
    return key.split(":", 1)[1]
