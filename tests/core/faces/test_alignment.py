import numpy as np
import pytest

from core.faces import align_face, estimate_similarity
from core.zoo.templates import ARCFACE_112, Template


def _similarity(angle, scale, tx, ty):
    c, s = np.cos(angle) * scale, np.sin(angle) * scale
    return np.array([[c, -s, tx], [s, c, ty]])


@pytest.mark.parametrize("angle,scale,tx,ty", [(0.0, 1.0, 0, 0), (0.3, 1.7, 12.5, -4), (-1.2, 0.4, 100, 50)])
def test_recovers_exact_similarity(angle, scale, tx, ty):
    rng = np.random.default_rng(1)
    src = rng.uniform(0, 200, (5, 2))
    m = _similarity(angle, scale, tx, ty)
    dst = src @ m[:, :2].T + m[:, 2]
    est = estimate_similarity(src, dst)
    np.testing.assert_allclose(est, m, atol=1e-9)


def test_noisy_points_least_squares_and_no_reflection():
    rng = np.random.default_rng(2)
    src = rng.uniform(0, 100, (5, 2))
    mirrored = src * np.array([-1, 1]) + rng.normal(0, 0.01, src.shape)
    est = estimate_similarity(src, mirrored)
    assert np.linalg.det(est[:, :2]) > 0  # a similarity never mirrors a face


def test_degenerate_points_raise():
    with pytest.raises(ValueError):
        estimate_similarity(np.ones((5, 2)), np.zeros((5, 2)))


def test_template_scaling():
    t = Template.from_arcface(224)
    np.testing.assert_allclose(t.points, ARCFACE_112 * 2)
    wide = Template.from_arcface(112, zoom=0.5)
    eye_dist = np.linalg.norm(wide.points[0] - wide.points[1])
    assert eye_dist == pytest.approx(np.linalg.norm(ARCFACE_112[0] - ARCFACE_112[1]) / 2)


def test_align_moves_landmarks_onto_template():
    # draw 5 dots at known landmark positions, rotate the picture, and check the crop puts them on the template
    img = np.zeros((300, 300, 3), np.uint8)
    t = Template.from_arcface(112)
    m = _similarity(0.4, 1.3, 90, 40)
    moved = t.points @ m[:, :2].T + m[:, 2]  # the template's shape, rotated, scaled and shifted
    for x, y in moved:
        img[int(round(y)) - 1:int(round(y)) + 2, int(round(x)) - 1:int(round(x)) + 2] = 255
    crop = align_face(img, moved, t)
    assert crop.shape == (112, 112, 3)
    for x, y in t.points:
        assert crop[int(round(y)), int(round(x))].max() > 100
