"""Training, evaluation and export on the real 93-image check set (CPU)."""

import json

import numpy as np
import pytest

from tests.cli_run import facerec, one_json


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory, tfrecords):
    """The issue's check: 60 steps of MobileFaceNet + ArcFace at batch 16, via the CLI."""
    run = tmp_path_factory.mktemp("run") / "r"
    proc = facerec("train", "--data", str(tfrecords), "--backbone", "mobilefacenet", "--head", "arcface",
                   "--steps", "60", "--batch-size", "16", "--out", str(run), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return run, one_json(proc)


@pytest.mark.slow
def test_sixty_steps_lower_the_loss(trained_run):
    run, doc = trained_run
    losses = [h["loss"] for h in doc["history"]]
    assert len(losses) == 60
    assert np.mean(losses[-5:]) <= 0.8 * np.mean(losses[:5]), losses
    assert doc["checkpoint"] and (run / "config.json").exists()
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done" and kinds.count("step") == 60
    assert {"step", "loss", "accuracy", "lr", "images_per_s"} <= set(events[1])


@pytest.mark.slow
def test_eval_reports_accuracy_over_100_pairs(trained_run, val_bin, tmp_path):
    run, _ = trained_run
    proc = facerec("eval", "--bin", str(val_bin), "--checkpoint", str(run), "--roc-dir", str(tmp_path), "--json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    doc = one_json(proc)
    assert doc["pairs"] == 100 and 0.0 <= doc["accuracy"] <= 1.0 and doc["std"] >= 0
    assert set(doc["tar_at_far"]) == {"1e-2", "1e-3", "1e-4"}
    assert (tmp_path / "pairs_roc.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_exports_inspect_and_register(trained_run, tmp_path, val_people):
    from core.training.export import export_run, inspect_model

    run, _ = trained_run
    sm = one_json(facerec("export", "--checkpoint", str(run), "--out", str(tmp_path / "sm"), "--format", "savedmodel",
                          "--json"))
    fr = export_run(run, tmp_path / "fz", "frozen")
    assert (tmp_path / "sm" / "saved_model.pb").exists() and (tmp_path / "fz.pb").stat().st_size > 1_000_000
    assert sm["output"] == [None, 512] and fr["format"] == "frozen"
    info = inspect_model(fr["exported"])
    assert info["kind"] == "frozen_graph" and info["inputs"][0]["shape"] == [-1, 112, 112, 3]
    assert info["operations"]["Conv2D"] > 10 and info["variables"] == 0
    info = one_json(facerec("inspect", sm["exported"], "--json"))
    assert info["signatures"]["serving_default"]["outputs"]["embedding"][1] == [None, 512]
    assert info["parameters"] > 1_000_000

    import os

    env = {**os.environ, "FACEREC_DATA_DIR": str(tmp_path / "data")}  # a registry of its own
    added = one_json(facerec("models", "add", "mytrained", sm["exported"], "--json", env=env))
    assert added["input_size"] == 112 and added["dimension"] == 512 and added["preprocess"] == "arcface"
    rep = one_json(facerec("represent", str(val_people["madonna"][0]), "--model", "mytrained", "--json", env=env))
    vec = np.array(rep["faces"][0]["embedding"])
    assert rep["model"] == "mytrained" and vec.shape == (512,) and abs(np.linalg.norm(vec) - 1) < 1e-4


@pytest.mark.slow
def test_resume_continues_and_validation_during_training_matches_eval(trained_run, val_bin, tmp_path):
    """Resume the 60-step run for 2 more steps with a .bin to validate on: it continues at step 61, and the
    validation it logs equals `eval` of the checkpoint it saved."""
    import shutil

    from core.evaluation import evaluate_bin
    from core.training.config import TrainConfig
    from core.training.events import read_events
    from core.training.runs import run_embed_fn
    from core.training.trainer import train
    from core.zoo.checkpoints import read_config

    src, _ = trained_run
    run = tmp_path / "r"
    shutil.copytree(src, run)
    old = read_config(run)
    cfg = TrainConfig(data=old["data"], out=str(run), steps=62, batch_size=16, val_bins=[str(val_bin)], val_every=62,
                      checkpoint_every=1000)
    res = train(cfg, resume=True)
    assert [h["step"] for h in res["history"]] == [61, 62]
    kinds = [e.kind for e in read_events(run)]
    assert kinds.count("start") == 2 and "resume" in kinds and kinds[-1] == "done"
    during = res["evaluations"][-1]
    embed, size = run_embed_fn(run)
    after = evaluate_bin(embed, val_bin, size)
    assert during["pairs"] == after["pairs"] == 100
    assert during["accuracy"] == pytest.approx(after["accuracy"], abs=1e-6)


@pytest.mark.slow
def test_reexporting_under_one_name_reembeds_the_gallery_with_the_new_weights(trained_run, tmp_path, train_people):
    """`models add` of a re-export (same name, same folder, only variables/ differs) is a new model key:
    the gallery re-embeds, and the embedder in this process loads the new weights."""
    from core.config import Settings
    from core.faces import get_embedder
    from core.gallery import Gallery
    from core.gallery.enroller import decode_crop
    from core.training.export import export_model
    from core.zoo import add_model, load_run

    run, _ = trained_run
    cfg, model = load_run(run)
    out = tmp_path / "mine"
    export_model(model, 112, out, "savedmodel")
    first = add_model("mine", out)
    gal = tmp_path / "g"
    with Gallery(gal, settings=Settings(model="mine")) as g:
        g.enroll("elton_john", train_people["elton_john"][:4])
        key1 = g.model_key
        old = get_embedder("mine", warmup=False)
    layer = model.get_layer("embedding_conv")
    layer.set_weights([w * 1.5 + 0.01 for w in layer.get_weights()])  # new weights, same graph
    export_model(model, 112, out, "savedmodel")
    second = add_model("mine", out)
    assert second["fingerprint"] != first["fingerprint"]
    new = get_embedder("mine", warmup=False)
    assert new is not old and new.fingerprint == second["fingerprint"]
    with Gallery(gal, settings=Settings(model="mine")) as g:
        assert g.model_key != key1 and g.missing_embeddings() == 4   # the old embeddings do not count
        g.reembed()
        ids, vecs = g.store.embeddings(g.model_key, 512)
        crops = [decode_crop(f["thumbnail"]) for f in g.faces("elton_john")]
        np.testing.assert_allclose(vecs, new.embed(np.stack(crops)), atol=1e-4)  # embedded with the new weights
        assert np.abs(vecs - old.embed(np.stack(crops))).max() > 1e-3
    from core.faces.embedding import LiteEmbedder, TFEmbedder
    from core.zoo import get_spec

    spec = get_spec("mine")                                               # a trained model on LiteRT, as on TF
    np.testing.assert_allclose(LiteEmbedder(spec, warmup=False).embed(np.stack(crops)),
                               TFEmbedder(spec, warmup=False).embed(np.stack(crops)), atol=1e-4)
