"""The workbench's result card: an evaluation's figures, its ROC (several runs overlaid) and the pairs it got
wrong as thumbnails; a fine-tune's before/after."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout, QWidget

from app.workbench.plots import HintStack, RocWidget


def _fmt(v, digits=4) -> str:
    return "n/a" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


def pair_pixmap(a: str, b: str, size: int = 96) -> QPixmap:
    """Two photos side by side (a failure example)."""
    import cv2

    from core.errors import BadInput
    from core.faces import load_image

    tiles = []
    for p in (a, b):
        try:
            img = load_image(p)
        except BadInput:
            img = np.full((size, size, 3), 60, np.uint8)
        s = size / max(img.shape[:2])
        img = cv2.resize(img, (max(1, int(img.shape[1] * s)), max(1, int(img.shape[0] * s))))
        tile = np.full((size, size, 3), 255, np.uint8)
        tile[:img.shape[0], :img.shape[1]] = img
        tiles.append(tile)
    both = np.ascontiguousarray(np.concatenate([tiles[0], np.full((size, 4, 3), 255, np.uint8), tiles[1]], axis=1))
    h, w = both.shape[:2]
    return QPixmap.fromImage(QImage(both.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy())


class ResultCard(HintStack):
    """An evaluation's or a fine-tune's figures; a hint while none is selected."""

    EMPTY = ("No evaluation selected. Evaluate a model (Evaluate), or select evaluations in the table to see their "
             "figures and compare their ROC curves; a fine-tune shows its before/after figures.")

    def __init__(self, parent=None):
        super().__init__(QWidget(), self.EMPTY, parent)
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("")
        self.title.setStyleSheet("font-weight: bold; font-size: 14px")
        self.figures = QLabel("")
        self.figures.setTextFormat(Qt.TextFormat.RichText)
        self.figures.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical)
        self.roc = RocWidget()
        self.failures = QListWidget()
        self.failures.setViewMode(QListWidget.ViewMode.IconMode)
        self.failures.setIconSize(QSize(196, 96))
        self.failures.setResizeMode(QListWidget.ResizeMode.Adjust)
        split.addWidget(self.roc)
        split.addWidget(self.failures)
        lay.addWidget(self.title)
        lay.addWidget(self.figures)
        lay.addWidget(split, 1)
        self.shown: list[int] = []

    def show_runs(self, runs: list[dict], results: dict[int, dict]) -> None:
        """Show the first run's card; overlay the ROC of every selected evaluation."""
        self.roc.clear_curves()
        self.failures.clear()
        self.shown = [r["id"] for r in runs]
        if not runs:
            self.show_hint()
            return
        self.show_content()
        first = runs[0]
        doc = results.get(first["id"], {})
        if first["kind"] == "finetune":
            self._finetune(first, doc)
        else:
            self._evaluation(first, doc)
        for r in runs:
            d = results.get(r["id"], {})
            roc = d.get("roc") or (d.get("results") or [{}])[0].get("roc")
            if roc:
                taf = d.get("tar_at_far") or {}
                self.roc.add_roc(f"{r['name']}", roc["far"], roc["tar"],
                                 {k: taf.get(k) for k in ("1e-3", "1e-2") if taf.get(k) is not None})
        self.roc.setVisible(self.roc.curves > 0)            # no empty axes: a fine-tune has no ROC
        self.failures.setVisible(self.failures.count() > 0)

    def _evaluation(self, run: dict, doc: dict) -> None:
        if "results" in doc:  # several .bin files: the first one's card
            doc = doc["results"][0]
        self.title.setText(f"{run['name']}  ({doc.get('model', '')}, {doc.get('pairs', doc.get('probes', ''))} "
                           f"{'pairs' if 'pairs' in doc else 'probes'})")
        if "rank1" in doc:  # the open-set protocol
            rows = [("rank-1", doc.get("rank1")), ("named right (DIR)", doc.get("dir")),
                    ("strangers named (FPIR)", doc.get("fpir")), ("FPIR predicted", doc.get("fpir_predicted")),
                    ("identities", doc.get("identities")), ("probes", doc.get("probes")),
                    ("strangers", doc.get("strangers")),
                    ("threshold", (doc.get("operating_point") or {}).get("threshold"))]
        else:
            taf = doc.get("tar_at_far") or {}
            op = doc.get("operating_point") or {}
            rows = [("accuracy", f"{_fmt(doc.get('accuracy'))} +- {_fmt(doc.get('std'))}"),
                    ("pairs", doc.get("pairs")), ("AUC", doc.get("auc")),
                    *((f"TAR @ FAR {k}", taf.get(k)) for k in ("1e-2", "1e-3", "1e-4")),
                    ("operating point", f"{_fmt(op.get('threshold'))} ({op.get('source', '-')}): FAR "
                                        f"{_fmt(op.get('far'), 5)}, TAR {_fmt(op.get('tar'))}" if op else "-"),
                    ("no face found", doc.get("no_face", 0))]
        self.figures.setText("<table>" + "".join(f"<tr><td>{k}&nbsp;&nbsp;</td><td><b>{_fmt(v)}</b></td></tr>"
                                                 for k, v in rows) + "</table>")
        for f in doc.get("failures", [])[:24]:
            what = "same person, rejected" if f["same"] else "different people, accepted"
            item = QListWidgetItem(QIcon(pair_pixmap(f["a"], f["b"])), f"{f['score']:.3f}: {what}")
            item.setToolTip(f"{Path(f['a']).name}\n{Path(f['b']).name}")
            self.failures.addItem(item)

    def _finetune(self, run: dict, doc: dict) -> None:
        self.title.setText(f"{run['name']}: fine-tuned {doc.get('init', '')} -> {doc.get('model') or '(cancelled)'}")
        b, a = doc.get("before", {}), doc.get("after", {})
        keys = ("verify_accuracy", "rank1", "same_mean", "different_mean", "held_out_faces")
        self.figures.setText("<table><tr><td></td><td><b>before</b>&nbsp;&nbsp;</td><td><b>after</b></td></tr>" +
                             "".join(f"<tr><td>{k}&nbsp;&nbsp;</td><td>{_fmt(b.get(k))}</td><td>{_fmt(a.get(k))}</td></tr>"
                                     for k in keys) + f"</table><p>licence: {doc.get('licence', '')}</p>")
