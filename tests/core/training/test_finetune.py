"""Fine-tuning on a gallery's own people: a new model version with before/after figures, its parent's
licence, and a rollback that gives the old model's results back."""

import json
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_finetune_from_gallery_makes_a_new_version_and_rollback_restores_the_old(tmp_path, train_people, val_people):
    from core.config import Settings
    from core.gallery import Gallery

    gal = tmp_path / "g"
    people = ("jerry_seinfeld", "elton_john", "madonna")
    with Gallery(gal, settings=Settings(model="sface")) as g:
        for n in people:
            g.enroll(n, train_people[n][:8])
        probes = [p for n in people for p in val_people[n][:2]]
        before = [[f["name"] for f in r["faces"]] for r in g.identify_paths(probes)]
    proc = subprocess.run([sys.executable, "main.py", "train", "--from-gallery", str(gal), "--init", "sface",
                           "--steps", "4", "--name", "sface-mine", "--json"], capture_output=True, text=True,
                          cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    doc = json.loads(proc.stdout)
    assert doc["model"] == "sface-mine" and doc["init"] == "sface" and doc["people"] == 3
    assert doc["licence"].startswith("Apache-2.0")             # the parent's licence travels with the weights
    for side in ("before", "after"):
        assert doc[side]["held_out_faces"] >= 3 and 0.0 <= doc[side]["rank1"] <= 1.0
    # the pretrained features survive (a random head's first steps once wrecked them: rank-1 1.0 -> 0.24)
    assert doc["after"]["rank1"] >= doc["before"]["rank1"] - 0.1, doc
    assert doc["after"]["same_mean"] - doc["after"]["different_mean"] > 0.25, doc
    assert doc["steps"] == 4 and doc["train_faces"] >= 15
    from core.zoo import get_spec

    spec = get_spec("sface-mine")
    assert spec.parent == "sface" and spec.kind == "savedmodel" and spec.preprocess == "arcface"
    with Gallery(gal, settings=Settings(model="sface-mine")) as g:  # switching re-embeds from the stored crops
        assert g.missing_embeddings() == g.count()[1]
        g.reembed()
        assert g.missing_embeddings() == 0 and len(g.index()) == g.count()[1]
        from core.faces.embedding import LiteEmbedder, TFEmbedder
        from core.gallery.enroller import decode_crop

        crops = np.stack([decode_crop(f["thumbnail"]) for n in people for f in g.faces(n)])
        np.testing.assert_allclose(LiteEmbedder(spec, warmup=False).embed(crops),  # the fine-tuned network on LiteRT
                                   TFEmbedder(spec, warmup=False).embed(crops), atol=1e-4)
    with Gallery(gal, settings=Settings(model="sface")) as g:       # rollback: the old version is still there
        again = [[f["name"] for f in r["faces"]] for r in g.identify_paths(probes)]
    assert again == before
