"""Fine-tune a pretrained embedder on the gallery's own people (``facerec train --from-gallery``).

1. The gallery's stored face crops are warped to the model's template; per person, a
   fifth of the faces (at least one, for people with three or more) is held out.
2. *Before*: the held-out faces are verified against each other and identified against
   the training faces with the starting model.
3. A margin head is trained on the training faces (augmented; batch norm frozen; a low
   learning rate, so the pretrained backbone moves little), the run is exported and
   registered as a new model version (``NAME``, default ``MODEL-ft-N``), which keeps the
   starting model's licence.
4. *After*: the same measurements with the new model. Switching to it re-embeds the
   gallery; the previous model stays selectable until it is removed.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.errors import UsageError
from core.progress import CancelFn

HOLDOUT = 0.2
SEED = 7


def _crops(gallery_dir: Path, spec) -> dict[str, list[np.ndarray]]:
    """{person: [aligned crops for ``spec``]} from a gallery's stored crops."""
    import cv2

    from core.config import load_settings
    from core.faces import estimate_similarity
    from core.gallery import Gallery
    from core.gallery.enroller import decode_crop
    from core.zoo import get_spec

    dst = spec.alignment()
    out: dict[str, list[np.ndarray]] = {}
    with Gallery(gallery_dir, settings=load_settings(), create=False) as g:
        for name in g.names():
            for f in g.faces(name):
                img = decode_crop(f["thumbnail"])
                if img is None:
                    continue
                src_model = f.get("model") or g.spec.name
                try:
                    src = get_spec(src_model).alignment()
                except UsageError:
                    src = dst
                m = estimate_similarity(src.points * (img.shape[0] / src.size), dst.points)
                out.setdefault(name, []).append(cv2.warpAffine(img, m, (dst.size, dst.size),
                                                               borderMode=cv2.BORDER_REPLICATE))
    people = {k: v for k, v in out.items() if len(v) >= 2}
    if len(people) < 2:
        raise UsageError(f"{gallery_dir} needs at least two people with two faces each to fine-tune on.")
    return people


def split(people: dict[str, list[np.ndarray]]) -> tuple[dict, dict]:
    rng = np.random.default_rng(SEED)
    train, held = {}, {}
    for name, crops in people.items():
        idx = rng.permutation(len(crops))
        k = max(1, int(round(HOLDOUT * len(crops)))) if len(crops) >= 3 else 0
        held[name] = [crops[i] for i in idx[:k]]
        train[name] = [crops[i] for i in idx[k:]]
    return train, {k: v for k, v in held.items() if v}


def embed_people(embed, people: dict[str, list[np.ndarray]]) -> dict[str, np.ndarray]:
    """{person: (n, D) unit embeddings} of each person's crops."""
    return {n: embed(np.stack(crops)) for n, crops in people.items()}


def measure(train: dict[str, np.ndarray], held: dict[str, np.ndarray]) -> dict:
    """Verification over all held-out pairs and rank-1 identification of held-out faces against training faces
    (both {person: (n, D) embeddings})."""
    from core.decide.metrics import accuracy_at, best_threshold

    names = sorted(held)
    h = [held[n] for n in names]
    owner = np.concatenate([[i] * len(x) for i, x in enumerate(h)])
    e = np.concatenate(h)
    iu = np.triu_indices(len(e), 1)
    scores = np.sum(e[iu[0]] * e[iu[1]], axis=1)
    labels = owner[iu[0]] == owner[iu[1]]
    out = {"held_out_faces": int(len(e)), "pairs": int(len(scores))}
    if labels.any() and (~labels).any():
        t, acc = best_threshold(scores, labels)
        out.update(verify_accuracy=round(acc, 4), threshold=round(t, 4),
                   same_mean=round(float(scores[labels].mean()), 4), different_mean=round(float(scores[~labels].mean()), 4),
                   accuracy_at_threshold=round(accuracy_at(scores, labels, t), 4))
    gallery = {n: train[n] for n in sorted(train)}
    right = 0
    for i, n in enumerate(names):
        for q in h[i]:
            best = max(gallery, key=lambda m: float(np.sort(gallery[m] @ q)[::-1][:3].mean()))
            right += best == n
    out["rank1"] = round(right / len(e), 4)
    return out


def default_init() -> str:
    """The default model when our trainer can train it, else the first trainable pretrained model."""
    from core.config import load_settings
    from core.training.init import trainable_backbone
    from core.zoo import CATALOGUE, get_spec

    default = load_settings().model
    if trainable_backbone(get_spec(default)) is not None:
        return default
    for spec in CATALOGUE.values():
        if trainable_backbone(spec) is not None:
            return spec.name
    raise UsageError("No trainable pretrained model is available.")


FINETUNE_STEPS = 80  # the loss is near 0 by step 40 on 5 people; 80 steps take ~7 min on a 2-core CPU


def finetune_from_gallery(gallery_dir: Path, init: str | None = None, name: str | None = None,
                          steps: int | None = None, progress: Callable | None = None,
                          cancel: CancelFn | None = None) -> dict:
    from core.datasets import write_shards
    from core.faces import get_embedder
    from core.training.config import TrainConfig
    from core.training.export import export_run
    from core.training.init import init_settings
    from core.training.runs import run_embed_fn
    from core.training.runs_db import new_run_folder
    from core.training.trainer import train
    from core.zoo import add_model, get_spec, model_names

    init = init or default_init()
    spec = get_spec(init)
    base = init_settings(init)
    people = _crops(Path(gallery_dir), spec)
    train_set, held = split(people)
    embed = get_embedder(init, warmup=False).embed
    train_emb = embed_people(embed, train_set)
    before = measure(train_emb, embed_people(embed, held))
    run = new_run_folder("finetune", name or init)
    classes = sorted(train_set)
    flat = [(c, classes.index(n)) for n in classes for c in train_set[n]]

    def items(a, b):
        import cv2

        for i in range(a, b):
            crop, label = flat[i]
            yield i, label, cv2.imencode(".jpg", cv2.cvtColor(crop, cv2.COLOR_RGB2BGR))[1].tobytes(), None

    write_shards(items, len(flat), run / "data", 10_000, f"gallery:{Path(gallery_dir).resolve()}:{len(flat)}",
                 extra={"classes": len(classes), "class_names": classes})
    # the head starts at each person's centroid of the pretrained embeddings: a random head's first
    # gradients would wreck the pretrained features (measured: rank-1 on held-out faces 1.0 -> 0.24)
    centroids = np.stack([train_emb[n].mean(axis=0) for n in classes], axis=1)
    centroids /= np.linalg.norm(centroids, axis=0, keepdims=True)
    np.save(run / "head_init.npy", centroids.astype(np.float32))
    cfg = TrainConfig(data=str(run / "data"), out=str(run / "train"), head="arcface", steps=steps or FINETUNE_STEPS,
                      batch_size=32, optimizer="sgd", lr=[0.001, 0.0001], weight_decay=5e-4, augment=True,
                      freeze_bn=True, checkpoint_every=10_000, init=init, margin_s=32.0, name=name or "",
                      head_init=str(run / "head_init.npy"), **base)

    def show(rec):
        if progress is not None:
            progress(int(rec["step"]), cfg.steps, f"loss {rec['loss']:.3f}")

    res = train(cfg, progress=show, cancel=cancel)
    if res["cancelled"]:
        return {"model": None, "run": str(run), "cancelled": True, "before": before}
    tuned = run_embed_fn(run / "train")[0]
    after = measure(embed_people(tuned, train_set), embed_people(tuned, held))
    n = 1
    new_name = name
    while not new_name or new_name in model_names():
        new_name = f"{init}-ft-{n}"
        n += 1
        if name and name in model_names():
            raise UsageError(f"A model named '{name}' exists already; choose another --name.")
    export_run(run / "train", run / "export", "savedmodel")
    added = add_model(new_name, run / "export")
    return {"model": new_name, "run": str(run), "init": init, "licence": added["licence"],
            "people": len(classes), "train_faces": len(flat), "steps": res["steps"],
            "before": before, "after": after}
