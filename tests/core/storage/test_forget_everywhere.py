"""One forget, from every entry point: after it, no byte of the person is left in any folder that holds faces
(the gallery, the photo library, the evaluation cache), and the exports made while they were enrolled are
listed. The entry points are the CLI's ``gallery forget``, the facade by name (the Gallery tab's Delete) and
by group (the People tab's Forget); the window's own buttons are clicked in tests/app."""

from __future__ import annotations

import os

import numpy as np
import pytest

from core.config import Settings
from core.gallery import Gallery
from tests.cli_run import facerec, one_json
from tests.core.storage.test_privacy import files_under, leaks
from tests.fakes import FakeAnalyzer, photo

NAME = "Ada Lovelace"


def _unit(rng, n: int, dim: int = 128) -> np.ndarray:
    x = rng.normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def populate(data) -> dict:
    """A plain gallery, library and evaluation cache (plain, so a byte scan can see) holding Ada and Grace;
    returns what of Ada must vanish."""
    from core.evaluation.face_cache import FaceCache
    from core.faces import DetectedFace
    from core.library import Library

    settings = Settings(gallery=str(data / "gallery"), encrypt=False)
    with Gallery(settings.gallery_dir(), settings=settings, analyzer=FakeAnalyzer()) as g:
        g.enroll(NAME, [photo(data / f"a{v}.png", 1, v) for v in range(3)])
        g.enroll("Grace Hopper", [photo(data / f"g{v}.png", 2, v) for v in range(3)])
        gallery_vecs = g.store.embeddings(g.model_key, 32)[1][:3]
        crops = [bytes(f["thumbnail"]) for f in g.faces(NAME)]
        from core.gallery.archive import export_gallery

        export_gallery(g, data / "backup.facerec", passphrase="pass phrase")
        (data / "backup.facerec").rename(data.parent / "backup.facerec")  # exports live outside the app's folders
    rng = np.random.default_rng(0)
    centre = {NAME: _unit(rng, 1)[0], "Grace Hopper": _unit(rng, 1)[0]}
    lib_vecs, shas = [], []
    with Library(data / "library", settings=settings) as lib:
        for who, person in ((NAME, 0), ("Grace Hopper", 1)):
            for i in range(4):
                v = centre[who] + 0.25 * _unit(rng, 1)[0]
                v /= np.linalg.norm(v)
                sha = f"{person}{i}".ljust(64, "f")
                lib.store.put_photo(str(data / f"photo-{person}-{i}.jpg"), 1, 1, sha, (100, 100), None, None,
                                    [{"box": [1, 1, 50, 50], "landmarks": [[1, 1]] * 5, "det_score": 1.0,
                                      "quality": 1.0, "embedding": v, "crop": b"\xff\xd8crop-of-" + who.encode()}],
                                    lib.model_key)
                if who == NAME:
                    lib_vecs.append(v)
                    shas.append(sha)
        lib.regroup(full=True)
        group = next(g.id for g in lib.people().groups
                     if set(lib.store.photo_hashes([f.id for f in g.faces]).values()) == set(shas))
        lib.name(group, NAME, enrol=False, join=True)   # the gallery's Ada is this Ada
    cache = FaceCache(encrypt=False)                                     # in its home, the app's cache folder
    cache.put_detections(shas[0], "yunet", [DetectedFace(np.array([1, 2, 3, 4], np.float32),
                                                         np.ones((5, 2), np.float32), 0.9)])
    cache_vec = _unit(rng, 1)[0]
    cache.put_embeddings([(f"fp|yunet|arcface|{shas[0]}|f0|0", cache_vec)])
    cache.close()
    return {"settings": settings, "group": group, "vectors": [*gallery_vecs, *lib_vecs, cache_vec],
            "crops": crops + [b"crop-of-" + NAME.encode()], "shas": shas}


@pytest.mark.parametrize("entry", ["cli", "by_name", "by_group"])
def test_forget_leaves_no_byte_of_the_person_in_any_folder(tmp_path, monkeypatch, entry):
    from core import privacy

    data = tmp_path / "data"
    monkeypatch.setenv("FACEREC_CACHE_DIR", str(tmp_path / "cache"))   # the evaluation cache's home
    ada = populate(data)
    before = leaks(files_under(data, tmp_path / "cache"), ada["vectors"], [NAME.encode()], ada["crops"])
    assert {"an embedding", "a face crop", "b'Ada Lovelace'"} <= {f.split(" in ")[0] for f in before}, before
    assert any("faces.sqlite" in f for f in before), before                  # the cache holds her too
    if entry == "cli":
        env = {**os.environ, "FACEREC_DATA_DIR": str(data), "FACEREC_CONFIG_DIR": os.environ["FACEREC_CONFIG_DIR"]}
        proc = facerec("gallery", "forget", NAME, "--gallery", str(data / "gallery"), "--library",
                       str(data / "library"), "--json", env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out = one_json(proc)
    elif entry == "by_name":
        out = privacy.forget(ada["settings"], NAME, library_dir=data / "library")
    else:
        out = privacy.forget(ada["settings"], group=ada["group"], library_dir=data / "library")
    assert [e["file"] for e in out["exports"]] == [str(tmp_path / "data" / "backup.facerec")]
    assert out["evaluation_cache"]["entries"] == 2
    after = leaks(files_under(data, tmp_path / "cache"), ada["vectors"], [NAME.encode()], ada["crops"])
    assert after == [], after
    with Gallery(data / "gallery", settings=ada["settings"], analyzer=FakeAnalyzer()) as g:
        assert g.names() == ["Grace Hopper"]
