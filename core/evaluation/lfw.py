"""LFW through our own detection, alignment and embedding (``facerec eval --lfw DIR``).

``DIR`` holds ``images_deepfunneled/`` and the protocol files: ``pairs.txt`` (View 2,
10 folds x 600 pairs), ``pairsDevTrain.txt`` / ``pairsDevTest.txt`` (View 1) and, for
calibration, ``peopleDevTrain.txt`` / ``peopleDevTest.txt``. The face compared in each
image is the one nearest the image centre (the LFW subject). View 1 chooses
(``--view 1``, ``--calibrate``); View 2 reports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.config import Settings
from core.errors import DatasetError

VIEW1_PAIRS = ("pairsDevTrain.txt", "pairsDevTest.txt")


@dataclass(frozen=True)
class LfwPair:
    a: tuple[str, int]
    b: tuple[str, int]
    same: bool
    fold: int


def image_path(root: Path, name: str, i: int) -> Path:
    return Path(root) / "images_deepfunneled" / name / f"{name}_{i:04d}.jpg"


def read_pairs(path: Path, fold_offset: int = 0) -> list[LfwPair]:
    """``pairs.txt`` layout: a header (``folds n`` or ``n``), then per fold n matched lines
    (``name i j``) and n mismatched lines (``name1 i name2 j``)."""
    try:
        lines = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()]
    except OSError as exc:
        raise DatasetError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    head = lines[0]
    folds, n = (int(head[0]), int(head[1])) if len(head) == 2 else (1, int(head[0]))
    body = lines[1:]
    if len(body) != folds * 2 * n:
        raise DatasetError(f"{path}: expected {folds * 2 * n} pairs after the header, found {len(body)}.")
    out = []
    for k, row in enumerate(body):
        fold = k // (2 * n)
        try:
            if len(row) == 3:
                out.append(LfwPair((row[0], int(row[1])), (row[0], int(row[2])), True, fold + fold_offset))
            elif len(row) == 4:
                out.append(LfwPair((row[0], int(row[1])), (row[2], int(row[3])), False, fold + fold_offset))
            else:
                raise ValueError
        except ValueError as exc:
            raise DatasetError(f"{path}: line {k + 2} is not an LFW pair: {' '.join(row)!r}.") from exc
    return out


def read_people(path: Path) -> list[tuple[str, int]]:
    """``peopleDev*.txt`` (a count, then ``name n`` lines) or ``people.txt`` (folds of such blocks)."""
    rows = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()]
    return [(r[0], int(r[1])) for r in rows if len(r) == 2 and not r[0].isdigit()]


def view_pairs(root: Path, view: int) -> list[LfwPair]:
    root = Path(root)
    if view == 2:
        return read_pairs(root / "pairs.txt")
    return [p for i, f in enumerate(VIEW1_PAIRS) for p in read_pairs(root / f, fold_offset=i)]


def check_tree(root: Path, files: tuple[str, ...]) -> None:
    root = Path(root)
    if not (root / "images_deepfunneled").is_dir():
        raise DatasetError(f"{root} has no images_deepfunneled/ folder; see docs/accuracy.md for how to get LFW.")
    missing = [f for f in files if not (root / f).exists()]
    if missing:
        raise DatasetError(f"{root} lacks {', '.join(missing)}; see docs/accuracy.md for how to get LFW.")


def embed_pairs(root: Path, pairs: list[LfwPair], analyzer, flip: bool, progress=None):
    """(scores (P,), labels (P,), folds (P,), no_face pairs (P,) bool, unique image count)."""
    from core.evaluation.face_cache import embed_images

    uniq = sorted({x for p in pairs for x in (p.a, p.b)})
    where = {x: i for i, x in enumerate(uniq)}
    paths = [str(image_path(root, n, i)) for n, i in uniq]
    for p in paths[:1] + paths[-1:]:
        if not Path(p).exists():
            raise DatasetError(f"{p} is missing; is {root} a complete LFW tree (deep-funneled images)?")
    es = embed_images(paths, analyzer, pick="centre", flip=flip, progress=progress)
    ia = np.array([where[p.a] for p in pairs])
    ib = np.array([where[p.b] for p in pairs])
    scores = np.sum(es.embeddings[ia] * es.embeddings[ib], axis=1)
    labels = np.array([p.same for p in pairs])
    folds = np.array([p.fold for p in pairs])
    return scores, labels, folds, es.no_face[ia] | es.no_face[ib], len(uniq)


def evaluate_lfw(root: Path, settings: Settings, view: int = 2, roc_dir: str | None = None,
                 progress: Callable | None = None, flip: bool = True, analyzer=None) -> dict:
    """The LFW protocol's figures for the settings' model (the `.bin` result's fields, plus LFW's)."""
    from core.decide import verify_point
    from core.evaluation.verify_bin import evaluate_pairs, plot_roc
    from core.faces import FaceAnalyzer

    root = Path(root)
    check_tree(root, ("pairs.txt",) if view == 2 else VIEW1_PAIRS)
    analyzer = analyzer or FaceAnalyzer(settings, warmup=False)
    emb = analyzer.embedder
    pairs = view_pairs(root, view)
    scores, labels, folds, no_face, n_images = embed_pairs(root, pairs, analyzer, flip, progress)
    res = evaluate_pairs(scores, labels, folds=10 if view == 2 else 2)
    doc: dict = {"model": emb.name, "fingerprint": emb.fingerprint[:12], "view": view, "images": n_images,
                 "pairs": len(pairs), "flip": flip, "face": "nearest the image centre", "detector": analyzer.detector.name,
                 "template": emb.spec.template, **res, "no_face": int(no_face.sum())}
    point = verify_point(emb.spec, settings, fingerprint=emb.fingerprint)
    if flip:  # the operating point belongs to the runtime pipeline (no flip): measure it there
        scores = embed_pairs(root, pairs, analyzer, False, progress)[0]
    same = scores >= point.threshold
    doc["operating_point"] = {**point.to_json(), "accuracy": round(float(np.mean(same == labels)), 5),
                              "far": round(float(np.mean(same[~labels])), 5),
                              "tar": round(float(np.mean(same[labels])), 5)}
    if roc_dir:
        doc["roc_png"] = str(plot_roc(scores, labels, Path(roc_dir) / f"lfw_view{view}_{emb.name}_roc.png",
                                      title=f"LFW View {view}, {emb.name}"))
    return doc
