"""Calibrate a model's operating points on LFW View 1 (``facerec eval --lfw DIR --calibrate``).

Everything runs through the runtime pipeline (our detector, the model's template,
the face nearest the centre, no flip), on View 1's people split only:

- **1:1 verify**: thresholds at false-accept rates 1e-1 .. 1e-5, measured on every
  different-person pair of ``peopleDevTrain`` images (tens of millions of pairs),
  with the true-accept rate at each on every same-person pair.
- **1:N identify**: the exceedance tail of a stranger's identity score against one
  enrolled person with k faces (k = 1, 2, 3, 5, 10, 20): ``peopleDevTrain`` people
  with at least k images are enrolled (k random images each), every
  ``peopleDevTest`` image (other people) is a stranger. The 1:N threshold for a
  gallery is derived from these tails and the gallery's face counts
  (:func:`core.decide.open_set.open_set_threshold`).

Only these derived numbers are stored, with their provenance; never an image or
an embedding of an LFW person.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.decide import open_set_threshold
from core.decide.metrics import far_table, tail_table, threshold_for_rate
from core.errors import DatasetError
from core.gallery.identity import RULE, rule_scores

K_BUCKETS = (1, 2, 3, 5, 10, 20)
SEED = 20261123


def _people_images(root: Path, people_file: str) -> tuple[list[str], np.ndarray]:
    from core.evaluation.lfw import image_path, read_people

    paths, owner = [], []
    for pid, (name, n) in enumerate(read_people(Path(root) / people_file)):
        for i in range(1, n + 1):
            paths.append(str(image_path(root, name, i)))
            owner.append(pid)
    return paths, np.asarray(owner)


def _pair_scores(e: np.ndarray, owner: np.ndarray, chunk: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """(genuine scores, impostor scores) over every pair of rows of ``e`` (i < j)."""
    gen, imp = [], []
    for a in range(0, len(e), chunk):
        s = e[a:a + chunk] @ e.T
        rows = np.arange(a, min(a + chunk, len(e)))
        upper = rows[:, None] < np.arange(len(e))[None, :]
        same = owner[rows][:, None] == owner[None, :]
        gen.append(s[upper & same])
        imp.append(s[upper & ~same].astype(np.float32))
    return np.concatenate(gen), np.concatenate(imp)


def identity_scores(enrolled: list[np.ndarray], strangers: np.ndarray) -> np.ndarray:
    """The identity score (the gallery's rule) of every stranger for every identity."""
    return np.concatenate([rule_scores(strangers, faces) for faces in enrolled])


def calibrate_on_lfw(root: Path, analyzer, note: Callable[[str], None] = print, progress=None) -> dict:
    from core.evaluation.face_cache import embed_images
    from core.zoo import save_calibration

    root = Path(root)
    for f in ("peopleDevTrain.txt", "peopleDevTest.txt"):
        if not (root / f).exists():
            raise DatasetError(f"{root} lacks {f} (View 1's people split), which calibration needs.")
    emb = analyzer.embedder
    t0 = time.time()
    note("Calibrating on LFW View 1: embedding peopleDevTrain and peopleDevTest images ...")
    train_paths, train_owner = _people_images(root, "peopleDevTrain.txt")
    test_paths, _ = _people_images(root, "peopleDevTest.txt")
    e_train = embed_images(train_paths, analyzer, pick="centre", flip=False, progress=progress).embeddings
    e_test = embed_images(test_paths, analyzer, pick="centre", flip=False, progress=progress).embeddings
    genuine, impostor = _pair_scores(e_train, train_owner)
    verify = far_table(impostor, levels=(1e-1, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4, 1e-4, 3e-5, 1e-5))
    verify["tar"] = [round(float(np.mean(genuine >= t)), 5) for t in verify["threshold"]]
    verify["genuine_pairs"] = int(len(genuine))
    rng = np.random.default_rng(SEED)
    by_person: dict[int, list[int]] = {}
    for i, o in enumerate(train_owner):
        by_person.setdefault(int(o), []).append(i)
    tables, ks = [], []
    for k in K_BUCKETS:
        people = [ix for ix in by_person.values() if len(ix) >= k]
        if len(people) < 20:
            break
        enrolled = [e_train[rng.choice(ix, k, replace=False)] for ix in people]
        tab = tail_table(identity_scores(enrolled, e_test))
        tab["identities"] = len(people)
        tables.append(tab)
        ks.append(k)
    impostor_doc = {"k": ks, "tables": tables, "rule": RULE,
                    "strangers": int(len(e_test))}
    summary = {"verify_far_1e-3": round(threshold_for_rate(verify["far"], verify["threshold"], 1e-3), 4),
               "identify_fpir_1e-2": {str(n): round(open_set_threshold(impostor_doc, [5] * n, 0.01), 4)
                                      for n in (1, 5, 50, 500)}}
    doc = {"provenance": {"data": "LFW View 1 people split (peopleDevTrain: verify pairs and enrolled; "
                                  "peopleDevTest: strangers), images_deepfunneled",
                          "pipeline": f"{analyzer.detector.name} detector, face nearest the centre, "
                                      f"{emb.spec.template} alignment, no flip",
                          "date": time.strftime("%Y-%m-%d"), "seconds": round(time.time() - t0, 1)},
           "verify": verify, "impostor": impostor_doc, "summary": summary}
    path = save_calibration(emb.spec, emb.fingerprint, doc)
    note(f"Calibration of {emb.name} saved to {path}.")
    return {**doc, "path": str(path)}
