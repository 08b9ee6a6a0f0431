"""LiteRT, the CPU runtime: every network gives what TensorFlow gives, on real faces, without TensorFlow loaded."""

import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT, require

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def faces(val_people):
    """{model: (N, S, S, 3) aligned crops of the real val photos}, detected and aligned as the app does."""
    from core.config import Settings
    from core.faces import FaceAnalyzer, load_image

    out = {}
    photos = [p for ps in val_people.values() for p in ps]
    for name in ("sface", "arcface-mbf", "facenet", "openface"):
        an = require(f"The {name} weights", lambda n=name: FaceAnalyzer(Settings(model=n, runtime="tf"), warmup=False))
        out[name] = np.concatenate([an.align(img, an.detect(img)) for img in map(load_image, photos)])
    return out


@pytest.mark.parametrize("name", ["sface", "arcface-mbf", "facenet", "openface"])
def test_litert_embeddings_equal_tensorflows_on_real_faces(faces, name):
    from core.faces.embedding import LiteEmbedder, TFEmbedder
    from core.zoo import get_spec

    crops = faces[name]
    assert len(crops) >= 25
    lite, tf = LiteEmbedder(get_spec(name), warmup=False), TFEmbedder(get_spec(name), warmup=False)
    a = lite.embed(crops)
    np.testing.assert_allclose(a, tf.embed(crops), atol=1e-4)
    np.testing.assert_allclose(lite.embed(crops[:1]), a[:1], atol=1e-6)  # a batch of one is no different


def test_litert_onet_equals_tensorflows(faces):
    import cv2

    from core.faces.detection.mtcnn_tf import normalize
    from core.faces.detection.onet import lite_onet, tf_onet

    crops = normalize(np.stack([cv2.resize(c, (48, 48), interpolation=cv2.INTER_AREA) for c in faces["sface"]]))
    for a, b in zip(lite_onet()(crops), tf_onet()(crops)):
        np.testing.assert_allclose(a, b, atol=1e-4)


def test_the_cpu_path_never_imports_tensorflow(val_people):
    a, b = val_people["madonna"][:2]
    code = ("import sys; from core.cli import main; code = main(['verify', sys.argv[1], sys.argv[2], '--json']); "
            "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'; sys.exit(code)")
    out = subprocess.run([sys.executable, "-c", code, str(a), str(b)], capture_output=True, text=True, cwd=ROOT,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-1500:]
    assert '"same"' in out.stdout


def test_runtime_is_a_checked_setting_and_info_says_which():
    from core.config import Settings
    from core.errors import BadValue
    from tests.cli_run import facerec, one_json

    with pytest.raises(BadValue, match="runtime"):
        Settings(runtime="gpu").check()
    doc = one_json(facerec("info", "--json"))
    assert doc["runtime"] in ("litert", "tf") and doc["litert_installed"] is True
