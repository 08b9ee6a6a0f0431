"""Plots for the workbench, drawn with pyqtgraph: training curves, ROC curves, benchmark bars."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGridLayout, QWidget

pg.setConfigOptions(antialias=True, background="w", foreground="k")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
CURVES = (("loss", "loss"), ("accuracy", "training accuracy"), ("lr", "learning rate"), ("val", "verification accuracy"))


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


class CurvesWidget(QWidget):
    """Loss, training accuracy, learning rate and verification accuracy against step, one line per run."""

    def __init__(self, parent=None):
        super().__init__(parent)
        grid = QGridLayout(self)
        self.plots: dict[str, pg.PlotItem] = {}
        self.lines: dict[tuple, pg.PlotDataItem] = {}
        self.data: dict[tuple, tuple[list, list]] = {}
        self.runs: dict[int, tuple[str, int]] = {}  # run id -> (label, colour index)
        for i, (key, title) in enumerate(CURVES):
            w = pg.PlotWidget(title=title)
            w.setLabel("bottom", "step")
            w.showGrid(x=True, y=True, alpha=0.25)
            w.addLegend(offset=(-5, 5)) if key == "loss" else None
            self.plots[key] = w.getPlotItem()
            grid.addWidget(w, i // 2, i % 2)

    def clear(self) -> None:
        for p in self.plots.values():
            p.clear()
        self.lines.clear()
        self.data.clear()
        self.runs.clear()

    def add_run(self, run_id: int, label: str) -> None:
        if run_id not in self.runs:
            self.runs[run_id] = (label, len(self.runs))

    def _line(self, run_id: int, key: str, sub: str = ""):
        k = (run_id, key, sub)
        if k not in self.lines:
            label, ci = self.runs.get(run_id, (str(run_id), 0))
            pen = pg.mkPen(colour(ci), width=2, style=pg.QtCore.Qt.PenStyle.DashLine if sub else pg.QtCore.Qt.PenStyle.SolidLine)
            name = label if key == "loss" else None
            self.lines[k] = self.plots[key].plot([], [], pen=pen, name=name,
                                                 symbol="o" if key == "val" else None, symbolSize=6)
            self.data[k] = ([], [])
        return k

    def add_events(self, run_id: int, events) -> int:
        """Add typed events (step and eval) of one run; returns how many points were added."""
        touched, n = set(), 0
        for ev in events:
            step = ev.step
            if step is None:
                continue
            if ev.kind == "step":
                for key in ("loss", "accuracy", "lr"):
                    v = ev.get(key)
                    if v is not None:
                        k = self._line(run_id, key)
                        self.data[k][0].append(step)
                        self.data[k][1].append(float(v))
                        touched.add(k)
                        n += 1
            elif ev.kind == "eval" and ev.get("accuracy") is not None:
                k = self._line(run_id, "val", str(ev.get("bin", "")))
                self.data[k][0].append(step)
                self.data[k][1].append(float(ev.get("accuracy")))
                touched.add(k)
                n += 1
        for k in touched:
            xs, ys = self.data[k]
            self.lines[k].setData(np.asarray(xs), np.asarray(ys))
        return n

    def points(self, run_id: int, key: str) -> int:
        return sum(len(v[0]) for k, v in self.data.items() if k[0] == run_id and k[1] == key)


class RocWidget(pg.PlotWidget):
    """TAR against FAR (log scale), several models overlaid, TAR@FAR marked."""

    def __init__(self, parent=None):
        super().__init__(parent, title="ROC")
        self.setLabel("bottom", "false accept rate (log)")
        self.setLabel("left", "true accept rate")
        self.setLogMode(x=True, y=False)
        self.showGrid(x=True, y=True, alpha=0.25)
        self.addLegend(offset=(-5, -5))
        self.setYRange(0.5, 1.0)
        self.curves = 0

    def clear_curves(self) -> None:
        self.getPlotItem().clear()
        self.curves = 0

    def add_roc(self, label: str, far, tar, marks: dict | None = None) -> None:
        far = np.maximum(np.asarray(far, np.float64), 1e-6)
        c = colour(self.curves)
        self.plot(far, np.asarray(tar, np.float64), pen=pg.mkPen(c, width=2), name=label)
        for key, value in (marks or {}).items():
            if value is not None:
                pt = pg.ScatterPlotItem([float(key)], [float(value)], symbol="o", size=9, brush=pg.mkBrush(c))
                self.addItem(pt)
                text = pg.TextItem(f"{value:.3f} @ {key}", color=c, anchor=(0, 1))
                text.setPos(np.log10(float(key)), float(value))
                self.addItem(text)
        self.curves += 1


class BarChart(pg.PlotWidget):
    """One bar per benchmark result (its headline figure), labelled below."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.showGrid(y=True, alpha=0.25)
        self.bars = 0

    def set_bars(self, labels: list[str], values: list[float], unit: str) -> None:
        self.getPlotItem().clear()
        xs = np.arange(len(values))
        self.addItem(pg.BarGraphItem(x=xs, height=np.asarray(values, np.float64), width=0.6,
                                     brushes=[pg.mkBrush(colour(i)) for i in range(len(values))]))
        self.getAxis("bottom").setTicks([[(int(x), lab) for x, lab in zip(xs, labels)]])
        self.setLabel("left", unit)
        self.bars = len(values)
