"""The Training tab as a workbench, offscreen, driven as a person drives it: clicks on its buttons, rows and dialog
buttons, keys typed into the dialogs; real jobs in their own processes."""

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit, QMessageBox

from core.training.runs_db import RunsDB

LEFT = Qt.MouseButton.LeftButton
RUN_BUTTONS = ("resume", "cancel", "export_use", "use_selected_model", "rename", "delete", "open_folder")
POWERS_OF_TEN = {"10" + str(e).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")) for e in range(-8, 1)}


@pytest.fixture
def bench(qtbot, tmp_path):
    from app.workbench import Workbench
    from app.workers import JobRegistry

    registry = JobRegistry()
    w = Workbench(registry, RunsDB(tmp_path / "runs.db"))
    qtbot.addWidget(w)
    w.resize(1000, 640)  # the Training tab's share of a 1024x700 window
    with qtbot.waitActive(w):  # the window a person works in: keys reach its focused widget
        w.show()
        w.activateWindow()
    yield w
    registry.shutdown(timeout_s=30)


def _status(w, rid):
    return w.db.get(rid)["status"]


def click(qtbot, widget) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget.text()
    qtbot.mouseClick(widget, LEFT)


def click_row(qtbot, bench, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    rect = bench.table.visualRect(bench.model.index(row, 0))
    qtbot.mouseClick(bench.table.viewport(), LEFT, modifier, rect.center())


def open_dialog(qtbot, bench, name: str, kind: type):
    """Click a job button; its dialog must be on screen."""
    click(qtbot, bench.button(name))
    dlg = bench.dialog
    assert isinstance(dlg, kind) and dlg.isVisible()
    return dlg


def type_number(qtbot, spin, value: int) -> None:
    qtbot.keyClick(spin, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(spin, str(value))
    assert spin.value() == value


def answer_next_modal(answer) -> None:
    """Run ``answer(dialog)`` on the next modal dialog (a question or an input dialog runs its own event loop)."""
    def go(tries: int = 200) -> None:
        w = QApplication.activeModalWidget()
        if w is None:
            if tries:
                QTimer.singleShot(20, lambda: go(tries - 1))
            return
        try:
            answer(w)
        except Exception:
            w.reject()
            raise
    QTimer.singleShot(0, go)


def drawn_labels(plot, side: str = "bottom") -> list[str]:
    """The tick labels an axis paints now."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        specs = plot.getAxis(side).generateDrawSpecs(painter)
    finally:
        painter.end()
    assert specs is not None
    return [text for _rect, _flags, text in specs[2] if text]


# ---------------------------------------------------------------- the tab as it opens, and its buttons


def test_the_tab_imports_before_the_application_exists():
    """app.main imports the window before it makes the QApplication: nothing here may need one at import."""
    import subprocess
    import sys

    from tests.conftest import ROOT

    out = subprocess.run([sys.executable, "-c", "import app.workbench"], cwd=ROOT, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]


def test_an_empty_workbench_shows_hints_and_only_the_buttons_that_start_jobs(bench):
    assert bench.curves.hinting() and bench.card.hinting() and bench.bench.hinting()   # no empty placeholder axes
    assert "New training" in bench.curves.hint.text()
    assert all(bench.button(n).isEnabled() for n in ("new_training", "evaluate", "benchmark", "finetune"))
    assert not any(bench.button(n).isEnabled() for n in RUN_BUTTONS)


def test_each_job_button_opens_its_dialog_and_its_cancel_button_closes_it(bench, qtbot):
    from app.workbench.job_dialogs import BenchmarkDialog, EvaluateDialog, FinetuneDialog, NewTrainingDialog

    for name, kind in (("new_training", NewTrainingDialog), ("evaluate", EvaluateDialog),
                       ("benchmark", BenchmarkDialog), ("finetune", FinetuneDialog)):
        dlg = open_dialog(qtbot, bench, name, kind)
        click(qtbot, dlg.cancel_button)
        qtbot.waitUntil(lambda: bench.dialog is None)
    assert bench.db.list() == [] and not bench.active   # cancelling starts nothing


def test_the_buttons_fit_a_1024_px_window_and_wrap_rather_than_cut_when_narrower(bench, qtbot):
    buttons = list(bench.buttons.values())

    def laid_out(width):
        bench.resize(width, 640)
        qtbot.waitUntil(lambda: bench.toolbar.width() <= width and bench.toolbar.width() > width - 40)
        for b in buttons:  # every label whole, every button inside the bar
            assert b.isVisible() and b.width() >= b.sizeHint().width(), b.text()
            assert bench.toolbar.rect().contains(b.geometry()), b.text()
        return len({b.y() for b in buttons})

    assert bench.minimumSizeHint().width() < 1000
    assert laid_out(1000) == 1
    assert bench.button("finetune").text() == "Fine-tune" and "my people" in bench.button("finetune").toolTip()
    assert laid_out(420) > 1
    click(qtbot, bench.button("benchmark"))   # a wrapped button works as well
    click(qtbot, bench.dialog.cancel_button)


def test_run_buttons_follow_the_selection_and_rename_and_delete_work(bench, qtbot, tmp_path):
    folder = tmp_path / "old-run"
    folder.mkdir()
    bench.db.add("train", "old run", str(folder), {"backbone": "mobilefacenet", "steps": 10}, status="cancelled")
    bench.model.refresh()
    for_one_run = ("resume", "export_use", "rename", "delete", "open_folder")
    assert not any(bench.button(n).isEnabled() for n in for_one_run)

    click_row(qtbot, bench, 0)
    assert [r["name"] for r in bench.selected()] == ["old run"]
    assert all(bench.button(n).isEnabled() for n in for_one_run)
    assert not bench.button("use_selected_model").isEnabled()   # only a fine-tune has a model to switch to
    assert not bench.button("cancel").isEnabled()               # nothing runs
    assert "no training steps" in bench.curves.hint.text().lower()

    click_row(qtbot, bench, 0, Qt.KeyboardModifier.ControlModifier)   # Ctrl+click: the selection goes away
    assert bench.selected() == []
    assert not any(bench.button(n).isEnabled() for n in for_one_run)

    click_row(qtbot, bench, 0)

    def rename(dlg):
        edit = dlg.findChild(QLineEdit)
        edit.selectAll()
        qtbot.keyClicks(edit, "renamed")
        qtbot.mouseClick(dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok), LEFT)

    answer_next_modal(rename)
    click(qtbot, bench.button("rename"))
    assert bench.db.list()[0]["name"] == "renamed" and bench.model.data(bench.model.index(0, 0)) == "renamed"
    assert bench.button("delete").isEnabled()                   # the renamed run stays selected

    answer_next_modal(lambda box: qtbot.mouseClick(box.button(QMessageBox.StandardButton.Yes), LEFT))
    with qtbot.waitActive(bench):  # what a window manager does when a dialog closes (offscreen has none)
        bench.activateWindow()
    qtbot.keyClick(bench.table, Qt.Key.Key_Delete)             # the Delete key in the table, after a confirmation
    assert bench.db.list() == [] and bench.model.rowCount() == 0
    assert not any(bench.button(n).isEnabled() for n in for_one_run)   # the selection went with the run


def test_the_roc_axis_reads_powers_of_ten_and_marks_tar_at_far_at_its_far(qtbot):
    from app.workbench.plots import RocWidget

    roc = RocWidget()
    qtbot.addWidget(roc)
    roc.resize(500, 380)
    roc.show()
    qtbot.waitExposed(roc)
    assert drawn_labels(roc) == ["10⁻⁴", "10⁻³", "10⁻²", "10⁻¹", "10⁰"]   # empty: no bare 2 ... 9
    far = np.logspace(-5, 0, 60)
    roc.add_roc("model", far, np.clip(1.0 + 0.02 * np.log10(far), 0, 1), {"1e-3": 0.94})
    labels = drawn_labels(roc)
    assert set(labels) <= POWERS_OF_TEN and len(labels) >= 5
    marker = next(i for i in roc.getPlotItem().listDataItems() if i.opts.get("symbol"))
    assert marker.getData()[0] == pytest.approx([-3.0])     # drawn at FAR 10^-3 on the log axis, not at 1


# ---------------------------------------------------------------- real jobs started from their dialogs


@pytest.mark.slow
def test_training_run_shows_in_the_table_draws_curves_and_cancel_leaves_a_checkpoint(bench, qtbot, tfrecords):
    from app.workbench.job_dialogs import NewTrainingDialog

    dlg = open_dialog(qtbot, bench, "new_training", NewTrainingDialog)
    qtbot.keyClicks(dlg.name, "tiny")
    qtbot.keyClicks(dlg.data, str(tfrecords))
    type_number(qtbot, dlg.steps, 400)
    type_number(qtbot, dlg.batch, 8)
    click(qtbot, dlg.ok_button)
    qtbot.waitUntil(lambda: bench.dialog is None)
    assert [r["name"] for r in bench.model.rows] == ["tiny"]          # the run is in the table at once
    rid = bench.model.rows[0]["id"]
    assert _status(bench, rid) == "running" and bench.button("cancel").isEnabled()
    assert not bench.button("delete").isEnabled()                     # a running job is not deleted
    qtbot.waitUntil(lambda: bench.curves.points(rid, "loss") >= 3, timeout=300_000)  # curves fill while it runs
    assert bench.curves.points(rid, "lr") >= 3 and not bench.curves.hinting()
    assert bench.curves.notes["val"].isVisible() and not bench.curves.notes["loss"].isVisible()  # no .bin: says so
    click_row(qtbot, bench, 0)
    click(qtbot, bench.button("cancel"))
    qtbot.waitUntil(lambda: _status(bench, rid) != "running", timeout=300_000)
    run = bench.db.get(rid)
    assert run["status"] == "cancelled"
    assert 3 <= run["summary"]["steps"] < 400
    assert any((Path(run["path"]) / "ckpt").glob("ckpt-*.index"))   # a checkpoint was saved before stopping
    assert bench.model.rows[0]["status"] == "cancelled"
    assert bench.button("resume").isEnabled() and not bench.button("cancel").isEnabled()


@pytest.mark.slow
def test_evaluation_produces_a_result_card_with_its_roc(bench, qtbot, val_bin):
    from app.workbench.job_dialogs import SOURCES, EvaluateDialog

    dlg = open_dialog(qtbot, bench, "evaluate", EvaluateDialog)
    qtbot.keyClicks(dlg.model, "facenet")
    assert dlg.model.currentText() == "facenet" and SOURCES[dlg.source.currentText()] == "bin"
    qtbot.keyClicks(dlg.path, str(val_bin))
    click(qtbot, dlg.ok_button)
    qtbot.waitUntil(lambda: bench.dialog is None)
    rid = bench.model.rows[0]["id"]
    qtbot.waitUntil(lambda: _status(bench, rid) != "running", timeout=300_000)
    assert _status(bench, rid) == "done", bench.log.toPlainText()[-2000:]
    click_row(qtbot, bench, bench.model.row_of(rid))
    assert bench.details.currentWidget() is bench.card and not bench.card.hinting()
    assert "facenet" in bench.card.title.text() and "accuracy" in bench.card.figures.text()
    assert bench.card.roc.curves == 1
    labels = drawn_labels(bench.card.roc)
    assert set(labels) <= POWERS_OF_TEN and len(labels) >= 3, labels
    summary = bench.db.get(rid)["summary"]
    assert 0.9 <= summary["accuracy"] <= 1.0      # the same figure `facerec eval` prints (it is the same command)


@pytest.mark.slow
def test_a_benchmark_started_from_its_dialog_adds_a_row_and_a_bar(bench, qtbot):
    from app.workbench.job_dialogs import BenchmarkDialog

    dlg = open_dialog(qtbot, bench, "benchmark", BenchmarkDialog)
    qtbot.keyClicks(dlg.kind, "Detection")            # the fastest benchmark: 50 frames of YuNet
    qtbot.keyClicks(dlg.detector, "yunet")
    assert (dlg.kind.currentText(), dlg.detector.currentText()) == ("Detection (ms per frame)", "yunet")
    click(qtbot, dlg.ok_button)
    qtbot.waitUntil(lambda: bench.dialog is None)
    rid = bench.model.rows[0]["id"]
    qtbot.waitUntil(lambda: _status(bench, rid) != "running", timeout=300_000)
    assert _status(bench, rid) == "done", bench.log.toPlainText()[-2000:]
    assert bench.details.currentWidget() is bench.bench and not bench.bench.hinting()
    assert bench.bench.table.rowCount() == 1 and bench.bench.bars.bars == 1
    assert bench.bench.table.item(0, 4).text() == "ms per frame"
    assert float(bench.bench.table.item(0, 3).text()) > 0
