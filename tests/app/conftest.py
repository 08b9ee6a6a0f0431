import cv2
import numpy as np
import pytest
from PIL import Image


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
