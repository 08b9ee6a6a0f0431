"""The workbench's benchmarks: every benchmark run as a table row, the chosen ones as a bar chart."""

from __future__ import annotations

from PySide6.QtWidgets import QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from app.workbench.plots import BarChart, HintStack

COLUMNS = ("Date", "Benchmark", "Model / detector", "Result", "Unit", "Device")


class BenchView(HintStack):
    """Every benchmark as a table row and the chosen ones as bars; a hint while there is none."""

    EMPTY = ("No benchmarks yet. Benchmark measures embedding, detection, photo pipeline, gallery search or "
             "training speed on this machine; each result is kept here to compare models and machines.")

    def __init__(self, parent=None):
        super().__init__(QWidget(), self.EMPTY, parent)
        lay = QVBoxLayout(self.content)
        lay.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.bars = BarChart()
        lay.addWidget(self.table, 1)
        lay.addWidget(self.bars, 1)

    def show_runs(self, runs: list[dict], chosen: list[dict] | None = None) -> None:
        """Every finished benchmark as a row; as bars, those comparable with ``chosen`` (default: the newest)."""
        rows = [r for r in runs if r["status"] == "done" and (r["summary"] or {}).get("headline") is not None]
        self.table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            s = r["summary"]
            values = ((r["created"] or "")[:16].replace("T", " "), r["config"].get("benchmark", ""), s.get("model", ""),
                      f"{s['headline']:.2f}", s.get("unit", ""), s.get("device") or "")
            for j, v in enumerate(values):
                self.table.setItem(i, j, QTableWidgetItem(str(v)))
        if chosen:  # everything comparable with the selection: the same benchmark, across models and time
            kinds = {r["config"].get("benchmark") for r in chosen}
            shown = [r for r in rows if r["config"].get("benchmark") in kinds][:12]
        else:
            shown = rows[:8]
        units = sorted({r["summary"].get("unit") for r in shown if r["summary"].get("unit")})
        self.bars.set_bars([f"{r['config'].get('benchmark')} {r['summary'].get('model', '')}"[:24] for r in shown],
                           [r["summary"]["headline"] for r in shown], " / ".join(units))
        if rows:
            self.show_content()
        else:
            self.show_hint()
