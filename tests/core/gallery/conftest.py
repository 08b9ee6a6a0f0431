import shutil

import pytest

ENROLLED = ["ben_afflek", "elton_john", "jerry_seinfeld", "madonna"]
STRANGER = "mindy_kaling"


@pytest.fixture(scope="session")
def gallery_template(tmp_path_factory, train_people, analyzer):
    """A gallery with four people enrolled from their train photos (built once). Stored plain, as earlier
    versions stored galleries (these tests read its raw bytes: secure delete, damage); encrypted galleries are
    tested in tests/core/storage."""
    from core.config import Settings
    from core.gallery import Gallery

    root = tmp_path_factory.mktemp("gallery-template")
    with Gallery(root, analyzer=analyzer, settings=Settings(encrypt=False)) as g:
        for name in ENROLLED:
            rep = g.enroll(name, train_people[name])
            assert rep.added >= len(train_people[name]) - 3, rep.to_json()
    return root


@pytest.fixture
def gallery(gallery_template, tmp_path, analyzer):
    """A private copy of the enrolled gallery for a test that changes it."""
    from core.gallery import Gallery

    root = tmp_path / "g"
    shutil.copytree(gallery_template, root)
    g = Gallery(root, analyzer=analyzer)
    yield g
    g.close()
