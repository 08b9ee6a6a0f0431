import numpy as np
import pytest

from core.errors import UnknownName
from core.faces import available_detectors, get_detector, load_image
from core.faces.detection.mtcnn_tf import choose_canvas, pyramid_scales
from core.live import iou


def test_registry_lists_known_names():
    assert "mtcnn" in available_detectors()
    with pytest.raises(UnknownName, match="mtcnn"):
        get_detector("no-such-detector")


def test_canvas_and_pyramid():
    assert choose_canvas(480, 640, 640)[:2] == (480, 640)
    ch, cw, s = choose_canvas(4000, 6000, 640)
    assert max(ch, cw) == 640 and s == pytest.approx(min(cw / 6000, ch / 4000))
    scales = pyramid_scales(480, 640, 20)
    assert scales[0] == pytest.approx(12 / 20)                      # a 20 px face fills P-Net's 12 px window
    assert 480 * scales[-1] >= 12 > 480 * scales[-1] * 0.709        # the last level is the smallest that fits
    assert np.allclose(np.diff(np.log(scales)), np.log(0.709))


def test_finds_one_face_with_plausible_landmarks(val_people):
    det = get_detector("mtcnn")
    found = 0
    for paths in val_people.values():
        for p in paths:
            faces = det.detect(load_image(p))
            if not faces:
                continue
            found += 1
            f = faces[0]
            x1, y1, x2, y2 = f.box
            lm = f.landmarks
            assert f.score > 0.9
            assert (lm[:, 0] > x1 - 5).all() and (lm[:, 0] < x2 + 5).all()
            assert lm[0, 0] < lm[1, 0]                      # left eye left of right eye
            assert lm[[0, 1], 1].mean() < lm[2, 1] < lm[[3, 4], 1].mean()  # eyes above nose above mouth
    assert found == sum(len(v) for v in val_people.values())


def test_agrees_with_reference_mtcnn_package(val_people):
    from mtcnn import MTCNN

    ref = MTCNN()
    det = get_detector("mtcnn")
    for paths in list(val_people.values())[:3]:
        img = load_image(paths[0])
        mine = det.detect(img)[0]
        r = max(ref.detect_faces(img), key=lambda d: d["confidence"])
        x, y, w, h = r["box"]
        assert iou(mine.box, [x, y, x + w, y + h]) > 0.7
        le = np.array(r["keypoints"]["left_eye"], float)
        assert np.linalg.norm(mine.landmarks[0] - le) < 0.1 * w


def test_huge_and_gray_images(val_people):
    import cv2

    det = get_detector("mtcnn")
    img = load_image(next(iter(val_people.values()))[1])
    base = det.detect(img)[0].box
    big = cv2.resize(img, (img.shape[1] * 12, img.shape[0] * 12), interpolation=cv2.INTER_LINEAR)
    faces = det.detect(big)
    assert faces and iou(faces[0].box / 12, base) > 0.7
    gray = np.repeat(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
    assert det.detect(gray)


def test_blank_frame_has_no_faces():
    assert get_detector("mtcnn").detect(np.full((480, 640, 3), 128, np.uint8)) == []
