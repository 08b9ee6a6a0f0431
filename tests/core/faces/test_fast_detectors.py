"""YuNet and YuNet + O-Net against MTCNN on the real val photos: same faces, and O-Net's landmarks closer."""

import numpy as np
import pytest

from core.faces import DetectedFace, Detector, get_detector, load_image
from core.live import iou
from tests.conftest import require


@pytest.fixture(scope="module")
def photos(val_people):
    require("The YuNet weights", lambda: get_detector("yunet"))
    return [load_image(p) for paths in val_people.values() for p in paths]


def _matched(ref: list[DetectedFace], got: list[DetectedFace]) -> list[tuple[DetectedFace, DetectedFace]]:
    out = []
    for f in ref:
        best = max(got, key=lambda g: iou(f.box, g.box), default=None)
        if best is not None and iou(f.box, best.box) > 0.5:
            out.append((f, best))
    return out


def _landmark_error(pairs) -> float:
    """Mean landmark distance in units of the MTCNN box width."""
    return float(np.mean([np.linalg.norm(f.landmarks - g.landmarks, axis=1).mean() / (f.box[2] - f.box[0])
                          for f, g in pairs]))


def test_yunet_onet_finds_mtcnns_faces_with_closer_landmarks(photos):
    mtcnn, yunet, refined = get_detector("mtcnn"), get_detector("yunet"), get_detector("yunet-onet")
    same, plain_pairs, refined_pairs = 0, [], []
    for img in photos:
        ref = mtcnn.detect(img)
        got = refined.detect(img)
        pairs = _matched(ref, got)
        same += int(len(pairs) == len(ref) == len(got))
        refined_pairs += pairs
        plain_pairs += _matched(ref, yunet.detect(img))
    assert same >= 0.9 * len(photos)
    err_plain, err_refined = _landmark_error(plain_pairs), _landmark_error(refined_pairs)
    assert err_refined < 0.04
    assert err_refined < 0.75 * err_plain  # O-Net places the points much closer to MTCNN's than YuNet does


class _Nothing(Detector):
    def detect(self, image):
        return []


def test_refiner_falls_back_to_the_next_finder(photos):
    from core.faces.detection.landmark_refine import OnetRefinedDetector
    from core.faces.detection.onet import lite_onet

    img = photos[0]
    onet = lite_onet()
    alone = OnetRefinedDetector(get_detector("yunet"), onet=onet).detect(img)
    after_miss = OnetRefinedDetector(_Nothing(), get_detector("yunet"), onet=onet).detect(img)
    assert len(alone) >= 1 and len(after_miss) == len(alone)
    np.testing.assert_allclose(after_miss[0].landmarks, alone[0].landmarks)
    assert OnetRefinedDetector(_Nothing(), onet=onet).detect(img) == []
    built = []                                       # a finder given as a callable is built on first need only
    lazy = OnetRefinedDetector(get_detector("yunet"), lambda: built.append(1) or _Nothing(), onet=onet)
    assert lazy.detect(img) and built == []
