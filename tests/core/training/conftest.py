import cv2
import pytest

from tests.core.training.rec_writer import write_rec


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
