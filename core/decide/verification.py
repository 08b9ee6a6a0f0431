"""Verification facade: "same person or not?" for image pairs, at the model's 1:1 operating point.

For each image the primary face (the largest box) is compared, and the result says
which face that was when a photo holds several. A photo without a usable face
makes its pair "not the same" with a ``reason``; it is reported in that pair and
never stops the run.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.decide.metrics import accuracy_at
from core.decide.operating_points import OperatingPoint, verify_point
from core.errors import BadInput, NoFaceFound, UsageError
from core.faces import FaceAnalyzer, cosine, primary_face
from core.progress import ProgressFn


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


@dataclass
class Probe:
    """The face a photo contributes to a pair, or why it has none."""

    embedding: np.ndarray | None
    face: dict | None = None
    reason: str | None = None
    message: str = ""


def _probe(res) -> Probe:
    if res.error is not None:
        return Probe(None, reason=getattr(res.error, "kind", "unreadable"), message=str(res.error))
    if not res.faces:
        return Probe(None, reason="no_face", message=f"{res.path}: no face found.")
    f = primary_face(res.faces)
    info = {"box": f.detection.xywh, "faces_in_photo": len(res.faces)}
    if len(res.faces) > 1:
        info["chosen"] = "largest"
    return Probe(f.embedding, info)


def point_for(analyzer: FaceAnalyzer, threshold: float | None) -> OperatingPoint:
    return verify_point(analyzer.embedder.spec, analyzer.settings, threshold, analyzer.embedder.fingerprint)


def verify_pairs(analyzer: FaceAnalyzer, pairs: list[Pair], base: Path | None = None,
                 progress: ProgressFn | None = None, threshold: float | None = None) -> dict:
    """Score every pair; each distinct image is analysed once. Returns the CLI's JSON shape."""
    unique = list(dict.fromkeys(_resolve(p, base) for pr in pairs for p in (pr.a, pr.b)))
    probes = {res.path: _probe(res) for res in analyzer.analyze_paths(unique, progress=progress)}
    point = point_for(analyzer, threshold)
    thr = point.threshold
    rows, scores, labels, correct = [], [], [], 0
    for pr in pairs:
        pa, pb = probes[_resolve(pr.a, base)], probes[_resolve(pr.b, base)]
        row: dict = {"a": pr.a, "b": pr.b}
        bad = pa if pa.embedding is None else pb if pb.embedding is None else None
        if bad is not None:
            row.update(score=None, same=False, reason=bad.reason, error=bad.message)
        else:
            s = cosine(pa.embedding, pb.embedding)
            row.update(score=round(s, 6), same=bool(s >= thr))
            for side, p in (("face_a", pa), ("face_b", pb)):
                if p.face and p.face["faces_in_photo"] > 1:
                    row[side] = p.face
            if pr.label is not None:
                scores.append(s)
                labels.append(pr.label)
        if pr.label is not None:
            row["label"] = pr.label
            correct += int(row["same"] == pr.label)
        rows.append(row)
    out: dict = {"model": analyzer.embedder.name, "threshold": round(thr, 6), "operating_point": point.to_json(),
                 "pairs": rows}
    n_labelled = sum(p.label is not None for p in pairs)
    if n_labelled:
        lab = np.array([p.label for p in pairs if p.label is not None], bool)
        same = np.array([r["same"] for r, p in zip(rows, pairs) if p.label is not None], bool)
        out["accuracy"] = round(correct / n_labelled, 4)  # a pair without a usable face counts as "not the same"
        out["labelled"] = n_labelled
        out["false_accepts"] = int((same & ~lab).sum())
        out["false_rejects"] = int((~same & lab).sum())
        out["far"] = round(float((same & ~lab).sum() / max(1, (~lab).sum())), 5)
        out["no_face_pairs"] = sum(1 for r in rows if r.get("reason"))
        if scores:
            out["accuracy_scored"] = round(accuracy_at(np.array(scores), np.array(labels, bool), thr), 4)
    return out


def verify_two(analyzer: FaceAnalyzer, a: str, b: str, threshold: float | None = None) -> dict:
    """One pair; raises BadInput (no face, unreadable) so the CLI exits 3."""
    probes = {}
    for res in analyzer.analyze_paths([a, b]):
        if res.error is not None:
            raise res.error
        if not res.faces:
            raise NoFaceFound(f"{res.path}: no face found.")
        probes[res.path] = _probe(res)
    if a not in probes or b not in probes:
        raise BadInput("Both images must be readable.")
    s = cosine(probes[a].embedding, probes[b].embedding)
    point = point_for(analyzer, threshold)
    doc = {"same": bool(s >= point.threshold), "score": round(s, 6), "threshold": round(point.threshold, 6),
           "operating_point": point.to_json(), "model": analyzer.embedder.name}
    for side, p in (("face_a", probes[a]), ("face_b", probes[b])):
        if p.face and p.face["faces_in_photo"] > 1:
            doc[side] = p.face
    return doc
