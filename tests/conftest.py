"""Shared fixtures: the real model weights and 5-celebrity photos from the model cache.

`make test` runs `facerec models fetch` first, so the cache is filled once per machine.
Settings, galleries and registered models go to a per-session temporary folder, never the
user's own. Without the sample set a test is skipped on a developer's machine but fails
under ``CI=true``, so a missing sample set can never pass CI silently.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import core  # noqa: F401  (first: it loads SQLCipher before any test module loads TensorFlow)
from tests.core.training.rec_writer import write_rec

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_ISOLATED = Path(tempfile.mkdtemp(prefix="facerec-tests-"))
os.environ["FACEREC_CONFIG_DIR"] = str(_ISOLATED / "config")  # subprocesses inherit these
os.environ["FACEREC_DATA_DIR"] = str(_ISOLATED / "data")

ROOT = Path(__file__).resolve().parents[1]


def require(what: str, fn):
    """``fn()``, or skip (developer machine) / fail (CI) with what is missing and how to get it."""
    from core.errors import ModelFileInvalid, ModelUnavailable

    try:
        return fn()
    except (ModelUnavailable, ModelFileInvalid) as exc:
        message = f"{what} is not available ({exc}); run `make setup`."
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="session")
def samples() -> Path:
    from core.zoo import sample_dataset_dir

    return require("The 5-celebrity sample set", sample_dataset_dir)


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
    from core.config import Settings
    from core.faces import FaceAnalyzer

    return require("The FaceNet weights", lambda: FaceAnalyzer(Settings(model="facenet"), warmup=False))


# ---------------------------------------------------------------- training data (used by training and GUI tests)


@pytest.fixture(scope="session")
def aligned_train(train_people, analyzer):
    """{person: [112x112 ArcFace-aligned JPEG bytes]} from the real 5-celebrity train photos."""
    from core.faces import align_face, load_image
    from core.zoo import Template

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
    from core.datasets import convert_rec

    out = tmp_path_factory.mktemp("tfr")
    convert_rec(*rec_dataset, out)
    return out


@pytest.fixture(scope="session")
def val_bin(tmp_path_factory, aligned_train):
    """A 100-pair .bin (50 same, 50 different) in insightface's pickle layout."""
    import pickle
    import random

    rng = random.Random(5)
    names = sorted(aligned_train)
    bins, issame = [], []
    for i in range(100):
        if i % 2 == 0:
            n = rng.choice(names)
            a, b = rng.sample(aligned_train[n], 2)
        else:
            n1, n2 = rng.sample(names, 2)
            a, b = rng.choice(aligned_train[n1]), rng.choice(aligned_train[n2])
        bins += [a, b]
        issame.append(i % 2 == 0)
    p = tmp_path_factory.mktemp("bin") / "pairs.bin"
    with open(p, "wb") as f:
        pickle.dump((bins, issame), f, protocol=2)
    return p


# ---------------------------------------------------------------- a gallery and a video (GUI, live and soak tests)


def make_clip(path, photos, frames_each=25, fps=25):
    """A 640x480 MJPG video showing each photo centred on grey for ``frames_each`` frames."""
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (640, 480))
    assert w.isOpened()
    for p in photos:
        img = np.asarray(Image.open(p).convert("RGB"))
        s = min(440 / img.shape[0], 600 / img.shape[1])
        img = cv2.resize(img, (int(img.shape[1] * s), int(img.shape[0] * s)))
        canvas = np.full((480, 640, 3), 60, np.uint8)
        y, x = (480 - img.shape[0]) // 2, (640 - img.shape[1]) // 2
        canvas[y:y + img.shape[0], x:x + img.shape[1]] = img
        for _ in range(frames_each):
            w.write(cv2.cvtColor(canvas, cv2.COLOR_RGB2BGR))
    w.release()
    return path


@pytest.fixture(scope="session")
def two_people_gallery(tmp_path_factory, train_people, analyzer):
    from core.gallery import Gallery

    root = tmp_path_factory.mktemp("gui-gallery")
    with Gallery(root, analyzer=analyzer) as g:
        for name in ("jerry_seinfeld", "elton_john"):
            g.enroll(name, train_people[name])
    return root


@pytest.fixture(scope="session")
def clip(tmp_path_factory, val_people):
    photos = val_people["jerry_seinfeld"][:3] + val_people["elton_john"][:3]
    return make_clip(tmp_path_factory.mktemp("clip") / "clip.avi", photos)


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory, val_people):
    """The same people for 48 s: it still plays after slow work on a busy machine."""
    photos = val_people["jerry_seinfeld"][:3] + val_people["elton_john"][:3]
    return make_clip(tmp_path_factory.mktemp("clip") / "long.avi", photos, frames_each=200)


def scanned_library(root: Path, photos: Path) -> Path:
    """A photo library in ``root/lib`` scanned from ``photos`` with the default model (its gallery beside it)."""
    from core.config import Settings
    from core.library import Library

    with Library(root / "lib", settings=Settings(gallery=str(root / "gallery"))) as lib:
        lib.scan([photos])
    return root / "lib"
