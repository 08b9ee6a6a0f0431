"""A face cut by the image's edge is of low quality: "unknown (low quality)", in photos and in the live view."""

import shutil

import numpy as np
import pytest


@pytest.fixture(scope="module")
def whole_and_cut(val_people, analyzer):
    """A real photo of Jerry Seinfeld, and the same photo cut through his face (40% of its box is gone)."""
    from core.faces import load_image

    img = load_image(val_people["jerry_seinfeld"][0])
    x1, _, x2, _ = max(analyzer.detect(img), key=lambda f: f.size).box
    return img, np.ascontiguousarray(img[:, int(x1 + 0.4 * (x2 - x1)):])


def test_a_face_cut_by_the_edge_is_of_low_quality(analyzer, whole_and_cut):
    from core.faces.quality import outside_share

    whole, cut = whole_and_cut
    face = max(analyzer.analyze(whole), key=lambda f: f.detection.size)
    assert face.quality.parts["framing"] == 1.0 and face.quality.score >= analyzer.settings.min_quality
    face = max(analyzer.analyze(cut), key=lambda f: f.detection.size)
    assert outside_share(face.detection.landmarks, cut.shape) > 0.2
    assert face.quality.weakest == "framing" and face.quality.reason == "cut off by the edge"
    assert face.quality.score < analyzer.settings.min_quality
    others = {k: v for k, v in face.quality.parts.items() if k != "framing"}
    assert min(others.values()) >= analyzer.settings.min_quality  # without the edge it would have been named
    from core.faces import Face, assess

    # with its image's size unknown (a Face made without it) a face is not judged on framing
    assert assess(face.detection, face.crop).parts["framing"] == 1.0
    assert Face(face.detection, face.crop, face.embedding).quality.parts["framing"] == 1.0


def test_the_live_view_and_identify_say_unknown_low_quality(analyzer, whole_and_cut, two_people_gallery, tmp_path):
    from PIL import Image

    from core.gallery import Gallery
    from core.live import Frame, LiveRecognizer

    whole, cut = whole_and_cut
    root = tmp_path / "g"
    shutil.copytree(two_people_gallery, root)
    with Gallery(root, analyzer=analyzer) as g:
        rec = LiveRecognizer(analyzer, g)
        assert [f.name for f in rec.process(Frame(whole, 0, 0.0))] == ["jerry_seinfeld"]
        rec.reset()
        (face,) = rec.process(Frame(cut, 1, 0.04))
        assert face.name is None and face.reason == "low_quality" and face.label() == "unknown (low quality)"
        assert face.at_threshold(-1.0).name is None     # no threshold names it
        Image.fromarray(cut).save(tmp_path / "cut.jpg")
        (match,) = g.identify_paths([tmp_path / "cut.jpg"])[0]["faces"]
        assert match["name"] is None and match["reason"] == "low_quality"
