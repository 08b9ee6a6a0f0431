"""Plots for the workbench, drawn with pyqtgraph: training curves, ROC curves, benchmark bars."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QStackedWidget, QWidget

pg.setConfigOptions(antialias=True, background="w", foreground="k")
PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf")
CURVES = (("loss", "loss"), ("accuracy", "training accuracy"), ("lr", "learning rate"), ("val", "verification accuracy"))
NOTES = {"val": "No verification sets (.bin) in these runs."}  # a plot without lines says why, in its middle


SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")
FAR_DECADES = range(-8, 1)   # the ROC's FAR axis: 10^-8 ... 10^0


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def power_of_ten(exponent: int) -> str:
    """``10⁻³`` for -3."""
    return "10" + str(exponent).translate(SUPERSCRIPT)


class HintStack(QStackedWidget):
    """A view that shows a short hint in its place while it has nothing to show (never empty axes)."""

    def __init__(self, content: QWidget, hint: str, parent=None):
        super().__init__(parent)
        self.hint = QLabel(hint)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        muted = self.hint.palette()
        muted.setColor(QPalette.ColorRole.WindowText, muted.color(QPalette.ColorRole.PlaceholderText))
        self.hint.setPalette(muted)  # muted, yet readable in light and dark themes
        self.hint.setStyleSheet("font-size: 13px; padding: 24px")
        self.content = content
        self.addWidget(self.hint)
        self.addWidget(content)

    def show_hint(self, text: str | None = None) -> None:
        if text is not None:
            self.hint.setText(text)
        self.setCurrentWidget(self.hint)

    def show_content(self) -> None:
        self.setCurrentWidget(self.content)

    def hinting(self) -> bool:
        return self.currentWidget() is self.hint


class CurvesWidget(HintStack):
    """Loss, training accuracy, learning rate and verification accuracy against step, one line per run; a hint
    until a run has points to draw."""

    EMPTY = ("No training run to show. Start one with New training, or select training runs in the table to see "
             "their loss, accuracy and learning rate against step.")

    def __init__(self, parent=None):
        super().__init__(QWidget(), self.EMPTY, parent)
        grid = QGridLayout(self.content)
        grid.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, pg.PlotItem] = {}
        self.lines: dict[tuple, pg.PlotDataItem] = {}
        self.data: dict[tuple, tuple[list, list]] = {}
        self.runs: dict[int, tuple[str, int]] = {}  # run id -> (label, colour index)
        self.notes: dict[str, pg.TextItem] = {}
        for i, (key, title) in enumerate(CURVES):
            w = pg.PlotWidget(title=title)
            w.setLabel("bottom", "step")
            w.showGrid(x=True, y=True, alpha=0.25)
            w.addLegend(offset=(-5, 5)) if key == "loss" else None
            self.plots[key] = w.getPlotItem()
            self.notes[key] = pg.TextItem(NOTES.get(key, f"No {title} logged yet."), color="#808080", anchor=(0.5, 0.5))
            self.notes[key].setTextWidth(170)  # wraps: a narrow plot shows it whole
            grid.addWidget(w, i // 2, i % 2)
        self._mark_empty()

    def clear(self) -> None:
        for p in self.plots.values():
            p.clear()
        self.lines.clear()
        self.data.clear()
        self.runs.clear()
        self._mark_empty()
        self.show_hint(self.EMPTY)

    def _mark_empty(self) -> None:
        """A plot with no line yet shows a note instead of placeholder axes."""
        for key, p in self.plots.items():
            empty = not any(k[1] == key and xs for k, (xs, _ys) in self.data.items())
            for side in ("left", "bottom"):
                p.showAxis(side, not empty)
            note = self.notes[key]
            if note.scene() is None:  # PlotItem.clear() removed it
                p.addItem(note, ignoreBounds=True)
            note.setVisible(empty)
            (x0, x1), (y0, y1) = p.viewRange()
            note.setPos((x0 + x1) / 2, (y0 + y1) / 2)

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
        if touched:
            self._mark_empty()
            self.show_content()
        return n

    def points(self, run_id: int, key: str) -> int:
        return sum(len(v[0]) for k, v in self.data.items() if k[0] == run_id and k[1] == key)


class FarAxis(pg.AxisItem):
    """A log FAR axis whose labels are every decade as a power of ten (10⁻⁴ ... 10⁰), the 2..9 between unlabelled:
    pyqtgraph's own log ticks label only those 2..9 when the view spans less than a decade."""

    def __init__(self):
        super().__init__("bottom")
        self.setTicks([[(e, power_of_ten(e)) for e in FAR_DECADES],
                       [(e + np.log10(m), "") for e in FAR_DECADES[:-1] for m in range(2, 10)]])

    def boundingRect(self):  # room for half a label beyond each end: the end decades are labelled too
        return super().boundingRect().adjusted(-20, 0, 20, 0)


class RocWidget(pg.PlotWidget):
    """TAR against FAR (log scale), several models overlaid, TAR@FAR marked."""

    def __init__(self, parent=None):
        super().__init__(parent, title="ROC", axisItems={"bottom": FarAxis()})
        self.setLabel("bottom", "false accept rate")
        self.setLabel("left", "true accept rate")
        self.setLogMode(x=True, y=False)
        self.showGrid(x=True, y=True, alpha=0.25)
        self.addLegend(offset=(-5, -5))
        self.clear_curves()

    def clear_curves(self) -> None:
        self.getPlotItem().clear()
        self.curves, self.xlow, self.ylow = 0, -2, 0.5
        self.setXRange(-4, 0, padding=0.02)
        self.setYRange(0.5, 1.0, padding=0.02)

    def add_roc(self, label: str, far, tar, marks: dict | None = None) -> None:
        far = np.maximum(np.asarray(far, np.float64), 1e-6)
        tar = np.asarray(tar, np.float64)
        c = colour(self.curves)
        self.plot(far, tar, pen=pg.mkPen(c, width=2), name=label)
        for i, (key, value) in enumerate((marks or {}).items()):
            if value is not None:  # a plotted point, so the log axis places it at its FAR (a bare scatter is not)
                self.plot([float(key)], [float(value)], pen=None, symbol="o", symbolSize=9, symbolBrush=c)
                # below the point (a good ROC is near the top edge): right of it, or left for every other curve;
                # a curve's second mark one line lower, so neighbouring marks' labels never overlap
                text = pg.TextItem(f"{value:.3f} @ {key}", color=c,
                                   anchor=(0 if self.curves % 2 == 0 else 1, -1.1 * i))
                text.setPos(np.log10(float(key)), float(value))
                self.addItem(text)
        measured = far[far > 1e-6]  # the view: from the decade of the smallest measured FAR (at least 10^-2) to 1
        self.xlow = min(self.xlow, max(int(np.floor(np.log10(measured.min()))) if measured.size else -4, FAR_DECADES[0]))
        seen = tar[far >= 10.0 ** self.xlow]
        self.ylow = min(self.ylow, float(np.floor(seen.min() * 10) / 10) if seen.size else 0.5)
        self.setXRange(self.xlow, 0, padding=0.02)
        self.setYRange(self.ylow, 1.0, padding=0.02)
        self.curves += 1


class BarChart(pg.PlotWidget):
    """One bar per benchmark result (its headline figure), labelled below; :class:`BenchView` shows a hint
    instead while there is none."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.showGrid(y=True, alpha=0.25)
        self.bars = 0

    def set_bars(self, labels: list[str], values: list[float], unit: str) -> None:
        self.getPlotItem().clear()
        self.bars = 0
        if not values:
            return
        xs = np.arange(len(values))
        self.addItem(pg.BarGraphItem(x=xs, height=np.asarray(values, np.float64), width=0.6,
                                     brushes=[pg.mkBrush(colour(i)) for i in range(len(values))]))
        self.getAxis("bottom").setStyle(hideOverlappingLabels=False)  # 10^0 at the right edge is drawn too
        self.getAxis("bottom").setTicks([[(int(x), lab) for x, lab in zip(xs, labels)]])
        self.setLabel("left", unit)
        self.bars = len(values)
