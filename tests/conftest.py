"""Shared fixtures: the real FaceNet weights and 5-celebrity photos from the model cache.

`make test` runs `facerec models fetch` first, so the cache is filled once per machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def samples() -> Path:
    from core.model_store import sample_dataset_dir

    return sample_dataset_dir()


def people(root: Path) -> dict[str, list[Path]]:
    return {d.name: sorted(d.glob("*.jpg")) for d in sorted(root.iterdir()) if d.is_dir()}


@pytest.fixture(scope="session")
def val_people(samples) -> dict[str, list[Path]]:
    return people(samples / "val")


@pytest.fixture(scope="session")
def train_people(samples) -> dict[str, list[Path]]:
    return people(samples / "train")


@pytest.fixture(scope="session")
def analyzer():
    from core.analyzer import FaceAnalyzer

    return FaceAnalyzer(warmup=False)
