"""Small pieces every tab uses: counts in words (so the tabs stay independent of each other; face crops are in
:mod:`app.crops`)."""

from __future__ import annotations


def count_text(n: int, noun: str = "face", plural: str | None = None) -> str:
    """``1 face``, ``2 faces``; ``1 person``, ``2 people`` with ``plural="people"``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
