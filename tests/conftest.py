"""Shared fixtures: the real FaceNet weights and 5-celebrity photos from the model cache.

`make test` runs `facerec models fetch` first, so the cache is filled once per machine.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import pytest

from tests.core.training.rec_writer import write_rec

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


# ---------------------------------------------------------------- training data (used by training and GUI tests)


@pytest.fixture(scope="session")
def aligned_train(train_people, analyzer):
    """{person: [112x112 ArcFace-aligned JPEG bytes]} from the real 5-celebrity train photos."""
    from core.alignment import Template, align_face
    from core.imageio import load_image

    tmpl = Template.from_arcface(112)
    out = {}
    for name, paths in train_people.items():
        crops = []
        for p in paths:
            img = load_image(p)
            faces = analyzer.detect(img)
            if faces:
                crop = align_face(img, max(faces, key=lambda f: f.size).landmarks, tmpl)
            else:  # keep all 93 images, as the check's set has: a centre crop when no face is found
                crop = cv2.resize(img, (112, 112))
            crops.append(cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))[1].tobytes())
        out[name] = crops
    return out


@pytest.fixture(scope="session")
def rec_dataset(tmp_path_factory, aligned_train):
    d = tmp_path_factory.mktemp("rec")
    n = write_rec(d / "train.rec", d / "train.idx", [aligned_train[k] for k in sorted(aligned_train)])
    assert n == 93
    return d / "train.rec", d / "train.idx"


@pytest.fixture(scope="session")
def tfrecords(tmp_path_factory, rec_dataset):
    from core.datasets.tfrecords import convert_rec

    out = tmp_path_factory.mktemp("tfr")
    convert_rec(*rec_dataset, out)
    return out
