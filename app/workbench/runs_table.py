"""The workbench's runs table: a Qt item model over the runs database (core.training.runs_db)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

COLUMNS = ("Name", "Kind", "Status", "Model / backbone", "Head", "Data", "Steps", "Best / result", "Date")
STATUS_COLOURS = {"running": Qt.GlobalColor.darkBlue, "done": Qt.GlobalColor.darkGreen,
                  "failed": Qt.GlobalColor.red, "cancelled": Qt.GlobalColor.darkYellow}


def headline(run: dict) -> str:
    """The one figure a row shows: best verification accuracy, an evaluation's accuracy, a benchmark's speed."""
    s = run.get("summary") or {}
    if run["kind"] in ("train",) and s.get("best_accuracy") is not None:
        return f"{s['best_accuracy']:.4f} ({s.get('best_bin') or 'val'})"
    if run["kind"] == "finetune" and s.get("after"):
        b, a = s.get("before", {}), s["after"]
        return f"rank-1 {b.get('rank1', 0):.2f} -> {a.get('rank1', 0):.2f}"
    if run["kind"] == "eval" and s.get("accuracy") is not None:
        return f"accuracy {s['accuracy']:.4f}"
    if run["kind"] == "bench" and s.get("headline"):
        return f"{s['headline']:.1f} {s.get('unit', '')}"
    if s.get("last_loss") is not None:
        return f"loss {s['last_loss']:.3f}"
    return ""


class RunsModel(QAbstractTableModel):
    def __init__(self, db, parent=None):
        super().__init__(parent)
        self.db = db
        self.rows: list[dict] = []
        self.refresh()

    def refresh(self) -> None:
        self.beginResetModel()
        self.rows = self.db.list()
        self.endResetModel()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent=QModelIndex()) -> int:
        return len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def run(self, row: int) -> dict:
        return self.rows[row]

    def row_of(self, run_id: int) -> int:
        return next((i for i, r in enumerate(self.rows) if r["id"] == run_id), -1)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        c, s = r.get("config") or {}, r.get("summary") or {}
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 2:
            return STATUS_COLOURS.get(r["status"])
        if role == Qt.ItemDataRole.ToolTipRole:
            return r["path"]
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        col = index.column()
        if col == 0:
            return r["name"]
        if col == 1:
            return r["kind"]
        if col == 2:
            return r["status"]
        if col == 3:
            return c.get("model") or c.get("init") or c.get("backbone") or c.get("detector") or ""
        if col == 4:
            return c.get("head", "")
        if col == 5:
            return Path(str(c.get("data") or c.get("source") or "")).name
        if col == 6:
            steps = s.get("steps")
            target = s.get("target_steps") or c.get("steps")
            return f"{steps}/{target}" if steps is not None and target else (str(steps) if steps is not None else "")
        if col == 7:
            return headline(r)
        return (r.get("created") or "")[:16].replace("T", " ")
