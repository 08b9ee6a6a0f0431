import numpy as np

from core.live import LiveRecognizer
from core.live.capture import ImagesSource, open_source
from core.live.tracking import IoUTracker, appearance_signature


def test_tracker_keeps_ids_and_drops_lost_tracks():
    from core.faces import DetectedFace

    def det(x):
        return DetectedFace(np.array([x, 10, x + 50, 60], np.float32), np.zeros((5, 2), np.float32), 0.99)

    tr = IoUTracker(max_missed=2)
    a = tr.update([det(0)], 0.0)[0].id
    assert tr.update([det(5)], 0.1)[0].id == a            # moved a little: same track
    assert tr.update([det(300)], 0.2)[0].id != a          # far away: a new track
    for t in (0.3, 0.4, 0.5):
        tr.update([], t)
    assert tr.tracks == []


def test_appearance_signature_tells_faces_apart(val_people):
    from core.faces import load_image

    a = load_image(val_people["madonna"][0])
    b = load_image(val_people["elton_john"][0])
    box = np.array([40, 40, 160, 160], np.float32)
    same = appearance_signature(a, box) @ appearance_signature(a, box + 2)
    diff = appearance_signature(a, box) @ appearance_signature(b, box)
    threshold = LiveRecognizer(None, refresh_s=1.0, threshold=0.5).same_face_min  # what the recognizer uses
    assert same > 0.9 and same > threshold > diff


def test_scene_cut_never_carries_a_name(analyzer, train_people, val_people, tmp_path):
    """Two photos at the same place one after the other: the second must not inherit the first's name."""
    from core.gallery import Gallery

    with Gallery(tmp_path / "g", analyzer=analyzer) as g:
        g.enroll("jerry_seinfeld", train_people["jerry_seinfeld"])
        rec = LiveRecognizer(analyzer, g, refresh_s=100.0)  # no refresh: the cut alone must end the track
        frames = list(_frames(val_people["jerry_seinfeld"][0], 3)) + list(_frames(val_people["elton_john"][0], 3))
        names = []
        for i, img in enumerate(frames):
            from core.live import Frame

            names.append([f.name for f in rec.process(Frame(img, i, i * 0.04))])
        assert names[0] == ["jerry_seinfeld"]
        assert all(n != ["jerry_seinfeld"] for n in names[3:]), names


def _frames(path, n):
    import cv2

    from core.faces import load_image

    img = load_image(path)
    canvas = np.full((480, 640, 3), 60, np.uint8)
    img = cv2.resize(img, (300, 300))
    canvas[90:390, 170:470] = img
    for _ in range(n):
        yield canvas


def test_sources(tmp_path, val_people):
    src = open_source(str(val_people["madonna"][0].parent))
    assert isinstance(src, ImagesSource)
    f = src.read()
    assert f.image.ndim == 3 and f.path
    import pytest

    from core.errors import BadInput

    with pytest.raises(BadInput):
        open_source(str(tmp_path / "missing.avi"))
    bad = tmp_path / "bad.avi"
    bad.write_bytes(b"not a video")
    with pytest.raises(BadInput):
        open_source(str(bad))
