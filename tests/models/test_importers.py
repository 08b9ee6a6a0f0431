"""Each imported network equals its reference runtime on real aligned faces (atol 1e-4), imports are strict,
and OpenFace's CSV round trip gives the same embeddings."""

import numpy as np
import pytest

from core.errors import ModelFileInvalid
from core.zoo.catalogue import ARCFACE_MBF, OPENFACE, SFACE
from tests.conftest import require


def _source(spec):

    path = require(f"The {spec.name} weights", lambda: _ready(spec))
    return path


def _ready(spec):
    from core.errors import ModelUnavailable
    from core.zoo.store import source_file

    path = source_file(spec)
    if path is None:
        raise ModelUnavailable(f"run `facerec models fetch {spec.name}`")
    return path


@pytest.fixture(scope="module")
def faces(val_people, analyzer):
    """Real faces of the 5-celebrity val set: one per person, aligned for each template."""
    from core.faces import load_image

    out = []
    for paths in val_people.values():
        img = load_image(paths[0])
        out.append((img, max(analyzer.detect(img), key=lambda f: f.size)))
    return out


def _aligned(faces, spec):
    from core.faces import align_face

    return np.stack([align_face(img, f.landmarks, spec.alignment()) for img, f in faces]).astype(np.float32)


def _ort(path):
    import onnxruntime as ort

    ort.set_default_logger_severity(3)
    return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])


def _assert_both_equal(model, x, ref):
    """The Keras network and the run-time inference graph built from it both equal ``ref``."""
    from models.inference_graph import compile_inference

    np.testing.assert_allclose(np.asarray(model(x, training=False)), ref, atol=1e-4)
    np.testing.assert_allclose(np.asarray(compile_inference(model)(x)), ref, atol=1e-4)


def test_sface_equals_onnxruntime(faces):
    from core.zoo import load_keras

    x = _aligned(faces, SFACE)
    sess = _ort(_source(SFACE))
    ref = np.concatenate([sess.run(None, {"data": xi[None].transpose(0, 3, 1, 2)})[0] for xi in x])
    _assert_both_equal(load_keras(SFACE), (x - 127.5) / 128.0, ref)
    assert np.abs(ref).max() > 0.1


def test_arcface_mbf_equals_onnxruntime(faces):
    from core.zoo import load_keras

    x = _aligned(faces, ARCFACE_MBF)
    sess = _ort(_source(ARCFACE_MBF))
    name = sess.get_inputs()[0].name
    ref = np.concatenate([sess.run(None, {name: ((xi[None] - 127.5) / 127.5).transpose(0, 3, 1, 2)})[0] for xi in x])
    _assert_both_equal(load_keras(ARCFACE_MBF), (x - 127.5) / 127.5, ref)


def test_openface_equals_an_independent_forward_pass_of_the_t7(faces):
    import torchfile

    from core.zoo import load_keras
    from tests.models.t7_reference import forward

    x = _aligned(faces, OPENFACE)[:3] / 255.0
    net = torchfile.load(str(_source(OPENFACE)))
    ref = np.stack([forward(net, xi.transpose(2, 0, 1).astype(np.float64)) for xi in x])
    ours = np.array(load_keras(OPENFACE)(x, training=False))
    ours /= np.linalg.norm(ours, axis=1, keepdims=True)  # the t7 ends in nn.Normalize
    np.testing.assert_allclose(ours, ref, atol=1e-4)


def test_onnx_import_is_strict():
    from models.mobilefacenet import build_insightface_mbf
    from models.onnx_import import import_insightface_mbf, import_sface
    from models.sface import build_sface

    with pytest.raises(ModelFileInvalid):
        import_insightface_mbf(build_insightface_mbf(), _source(SFACE))  # the wrong network's file
    with pytest.raises(ModelFileInvalid, match="does not normalise|not fit"):
        import_sface(build_sface(), _source(ARCFACE_MBF))


def test_csv_folder_rows_and_columns_are_checked(tmp_path):
    from core.zoo.fetch import csv_dir
    from models.openface import build_openface, load_csv_weights

    _source(OPENFACE)
    bad = tmp_path / "csv"
    bad.mkdir()
    for f in csv_dir(OPENFACE).glob("*.csv"):
        (bad / f.name).write_bytes(f.read_bytes())
    rows = (bad / "conv2_w.csv").read_text().splitlines()
    (bad / "conv2_w.csv").write_text("\n".join(rows[:-1]) + "\n")  # one output channel short
    with pytest.raises(ModelFileInvalid, match="conv2_w.csv: expected 64 rows"):
        load_csv_weights(build_openface(), bad)
    (bad / "conv2_w.csv").write_text("\n".join(rows) + "\n")
    (bad / "bn1_v.csv").unlink()
    with pytest.raises(ModelFileInvalid, match="bn1_v.csv"):
        load_csv_weights(build_openface(), bad)


def test_export_csv_then_add_csv_gives_the_same_embeddings(tmp_path, faces):
    from core.zoo import add_csv_model, export_csv, get_spec, load_keras

    _source(OPENFACE)
    out = export_csv("openface", tmp_path / "csv")
    assert out["files"] == 224
    add_csv_model("openface-csv", tmp_path / "csv")
    x = _aligned(faces, OPENFACE) / 255.0
    a = np.asarray(load_keras(OPENFACE)(x, training=False))
    b = np.asarray(load_keras(get_spec("openface-csv"))(x, training=False))
    np.testing.assert_allclose(a, b, atol=1e-5)


@pytest.mark.parametrize("spec", [SFACE, ARCFACE_MBF, OPENFACE], ids=lambda s: s.name)
def test_each_model_separates_people_with_its_own_alignment(spec, val_people, analyzer):
    """Real faces aligned to the model's template: same-person pairs score above different-person ones,
    and clearly better than with a template shifted by a tenth of the crop."""
    from core.faces import align_face, get_embedder, load_image
    from core.zoo import Template

    _source(spec)
    emb = get_embedder(spec.name, warmup=False)
    tmpl = spec.alignment()
    shifted = Template(tmpl.size, tmpl.points + np.array([0.0, 0.1 * tmpl.size]))
    owners, right, wrong = [], [], []
    for name, paths in val_people.items():
        for p in paths[:4]:
            img = load_image(p)
            f = max(analyzer.detect(img), key=lambda d: d.size)
            right.append(align_face(img, f.landmarks, tmpl))
            wrong.append(align_face(img, f.landmarks, shifted))
            owners.append(name)
    owners = np.array(owners)

    def auc(crops):
        e = emb.embed(np.stack(crops))
        s = e @ e.T
        iu = np.triu_indices(len(e), 1)
        same = owners[iu[0]] == owners[iu[1]]
        return float((s[iu][same][:, None] > s[iu][~same][None]).mean())

    good, bad = auc(right), auc(wrong)
    assert good >= 0.95 and good > bad, (good, bad)
