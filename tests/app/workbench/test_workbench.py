"""The Training tab as a workbench, offscreen, with real jobs in their own processes."""

import pytest

from core.training.runs_db import RunsDB


@pytest.fixture
def bench(qtbot, tmp_path):
    from app.workbench import Workbench
    from app.workers import JobRegistry

    registry = JobRegistry()
    w = Workbench(registry, RunsDB(tmp_path / "runs.db"))
    qtbot.addWidget(w)
    w.show()
    yield w
    registry.shutdown(timeout_s=30)


def _status(w, rid):
    return w.db.get(rid)["status"]


@pytest.mark.slow
def test_training_run_shows_in_the_table_draws_curves_and_cancel_leaves_a_checkpoint(bench, qtbot, tfrecords):
    from pathlib import Path

    from app.workbench.job_dialogs import NewTrainingDialog

    dlg = NewTrainingDialog(bench._trainable())
    dlg.name.setText("tiny")
    dlg.data.setText(str(tfrecords))
    dlg.steps.setValue(400)
    dlg.batch.setValue(8)
    rid = bench.new_training(dlg)
    assert rid is not None and _status(bench, rid) == "running"
    assert [r["name"] for r in bench.model.rows] == ["tiny"]          # the run is in the table at once
    qtbot.waitUntil(lambda: bench.curves.points(rid, "loss") >= 3, timeout=300_000)  # curves fill while it runs
    assert bench.curves.points(rid, "lr") >= 3
    bench.table.selectRow(0)
    bench.cancel()
    qtbot.waitUntil(lambda: _status(bench, rid) != "running", timeout=300_000)
    run = bench.db.get(rid)
    assert run["status"] == "cancelled"
    assert 3 <= run["summary"]["steps"] < 400
    assert any((Path(run["path"]) / "ckpt").glob("ckpt-*.index"))   # a checkpoint was saved before stopping
    assert bench.model.rows[0]["status"] == "cancelled"


@pytest.mark.slow
def test_evaluation_produces_a_result_card_with_its_roc(bench, qtbot, val_bin):
    from app.workbench.job_dialogs import SOURCES, EvaluateDialog

    dlg = EvaluateDialog(["facenet"], "facenet")
    dlg.source.setCurrentText(next(k for k, v in SOURCES.items() if v == "bin"))
    dlg.path.setText(str(val_bin))
    assert dlg.problem() is None
    rid = bench.evaluate(dlg)
    qtbot.waitUntil(lambda: _status(bench, rid) != "running", timeout=300_000)
    assert _status(bench, rid) == "done", bench.log.toPlainText()[-2000:]
    bench.table.selectRow(bench.model.row_of(rid))
    assert "facenet" in bench.card.title.text() and "accuracy" in bench.card.figures.text()
    assert bench.card.roc.curves == 1
    summary = bench.db.get(rid)["summary"]
    assert 0.9 <= summary["accuracy"] <= 1.0      # the same figure `facerec eval` prints (it is the same command)


@pytest.mark.slow
def test_benchmark_adds_a_row_and_a_bar(bench, qtbot):
    dlg = bench.benchmark_dialog()
    dlg.kind.setCurrentText("Detection (ms per frame)")
    dlg.detector.setCurrentText("yunet")
    rid = bench.benchmark(dlg)
    qtbot.waitUntil(lambda: _status(bench, rid) != "running", timeout=300_000)
    assert _status(bench, rid) == "done", bench.log.toPlainText()[-2000:]
    assert bench.bench.table.rowCount() == 1 and bench.bench.bars.bars == 1
    assert bench.bench.table.item(0, 4).text() == "ms per frame"
    assert float(bench.bench.table.item(0, 3).text()) > 0
