"""Verification facade: "same person or not?" for image pairs, with a calibrated threshold.

For each image the primary face (largest box) is used; an image without a face
is an error for that pair (exit 3 on the CLI for a single pair).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.analyzer import FaceAnalyzer, cosine, primary_face
from core.errors import BadInput, NoFaceFound, UsageError
from core.metrics import accuracy_at


@dataclass
class Pair:
    a: str
    b: str
    label: bool | None = None


def read_pairs_csv(path: Path) -> list[Pair]:
    """Rows ``a,b[,label]``; label is 1/0/true/false/same/different; a header row is skipped."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"Cannot read the pairs file {path}: {exc.strerror or exc}.") from exc
    pairs: list[Pair] = []
    base = Path(path).parent
    for lineno, row in enumerate(csv.reader(text.splitlines()), start=1):
        row = [c.strip() for c in row]
        if not row or all(not c for c in row) or row[0].startswith("#"):
            continue
        if len(row) not in (2, 3):
            raise UsageError(f"{path}:{lineno}: expected 'a,b' or 'a,b,label', got {len(row)} columns.")
        label = None
        if len(row) == 3 and row[2] != "":
            v = row[2].lower()
            if v in ("1", "true", "same", "yes"):
                label = True
            elif v in ("0", "false", "different", "no"):
                label = False
            elif lineno == 1:
                continue  # header
            else:
                raise UsageError(f"{path}:{lineno}: label '{row[2]}' is not 1/0/true/false.")
        elif lineno == 1 and not (Path(row[0]).exists() or (base / row[0]).exists()):
            continue  # header without labels
        pairs.append(Pair(row[0], row[1], label))
    if not pairs:
        raise UsageError(f"{path} holds no pairs.")
    return pairs


def _resolve(p: str, base: Path | None) -> str:
    if base is not None and not Path(p).is_absolute() and not Path(p).exists() and (base / p).exists():
        return str(base / p)
    return p


def verify_pairs(analyzer: FaceAnalyzer, pairs: list[Pair], base: Path | None = None,
                 progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Score every pair; each distinct image is analysed once. Returns the CLI's JSON shape."""
    unique = list(dict.fromkeys(_resolve(p, base) for pr in pairs for p in (pr.a, pr.b)))
    emb: dict[str, np.ndarray | BadInput] = {}
    for res in analyzer.analyze_paths(unique, progress=progress):
        if res.error is not None:
            emb[res.path] = res.error
        elif not res.faces:
            emb[res.path] = NoFaceFound(f"{res.path}: no face found.")
        else:
            emb[res.path] = primary_face(res.faces).embedding
    thr = analyzer.threshold
    rows, scores, labels = [], [], []
    for pr in pairs:
        ea, eb = emb[_resolve(pr.a, base)], emb[_resolve(pr.b, base)]
        row: dict = {"a": pr.a, "b": pr.b}
        bad = ea if isinstance(ea, BadInput) else eb if isinstance(eb, BadInput) else None
        if bad is not None:
            row.update(score=None, same=None, error=str(bad))
        else:
            s = cosine(ea, eb)
            row.update(score=round(s, 6), same=bool(s >= thr))
            if pr.label is not None:
                scores.append(s)
                labels.append(pr.label)
        if pr.label is not None:
            row["label"] = pr.label
        rows.append(row)
    out: dict = {"model": analyzer.embedder.name, "threshold": thr, "pairs": rows}
    if any(p.label is not None for p in pairs):
        n_labelled = sum(p.label is not None for p in pairs)
        correct = accuracy_at(np.array(scores), np.array(labels, bool), thr) * len(scores) if scores else 0.0
        out["accuracy"] = round(float(correct) / n_labelled, 4)  # failed pairs count as wrong
        out["labelled"] = n_labelled
    return out


def verify_two(analyzer: FaceAnalyzer, a: str, b: str) -> dict:
    """One pair; raises BadInput (no face, unreadable) so the CLI exits 3."""
    faces = {}
    for res in analyzer.analyze_paths([a, b]):
        if res.error is not None:
            raise res.error
        if not res.faces:
            raise NoFaceFound(f"{res.path}: no face found.")
        faces[res.path] = primary_face(res.faces)
    s = cosine(faces[a].embedding, faces[b].embedding)
    return {"same": bool(s >= analyzer.threshold), "score": round(s, 6), "threshold": analyzer.threshold,
            "model": analyzer.embedder.name}
