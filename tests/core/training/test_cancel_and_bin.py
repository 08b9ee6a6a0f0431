"""Training jobs stopped by a CANCEL file, the pretrained model on a .bin, and untrusted .bin pickles.

Apart from test_train_eval_export.py, whose tests share one costly training run on one worker.
"""

import json
import pickle
import subprocess
import sys

import pytest

from core.errors import UnsafePickle
from tests.cli_run import facerec, one_json
from tests.conftest import ROOT


@pytest.mark.slow
def test_pretrained_facenet_is_accurate_on_the_bin(val_bin):
    proc = facerec("eval", "--bin", str(val_bin), "--model", "facenet", "--json")
    doc = one_json(proc)
    assert doc["pairs"] == 100 and doc["accuracy"] >= 0.9


@pytest.mark.slow
def test_cancel_file_written_while_training_stops_after_a_checkpoint(tfrecords, tmp_path):
    """The GUI's Cancel: a CANCEL file appears while the trainer process runs."""
    import time

    from core.training.events import read_events

    run = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "main.py", "train", "--data", str(tfrecords), "--out", str(run),
                             "--steps", "500", "--batch-size", "8", "--checkpoint-every", "1000", "--json"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and sum(e.kind == "step" for e in read_events(run)) < 3:
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        time.sleep(0.2)
    (run / "CANCEL").touch()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 130, err[-2000:]
    doc = json.loads(out)
    events = read_events(run)
    assert doc["cancelled"] and 3 <= doc["steps"] < 500
    assert events[-1].kind == "cancelled" and events[-2].kind == "checkpoint"
    assert events[-1].step == doc["steps"] and (run / "ckpt").is_dir()
    assert not (run / "CANCEL").exists()  # honoured, so a resume starts clean


def test_cancel_pressed_before_the_trainer_starts_is_honoured(tfrecords, tmp_path):
    from core.training.config import TrainConfig
    from core.training.trainer import train

    run = tmp_path / "r"
    run.mkdir()
    (run / "CANCEL").touch()
    res = train(TrainConfig(data=str(tfrecords), out=str(run), steps=50, batch_size=8))
    assert res["cancelled"] and res["steps"] == 0 and res["checkpoint"]


def test_untrusted_bin_pickle_cannot_run_code(tmp_path):
    from core.evaluation.bin_loader import load_bin

    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (__import__("os").system, (f"touch {marker}",))

    p = tmp_path / "evil.bin"
    p.write_bytes(pickle.dumps(([b"x", b"y"], [Evil()]), protocol=2))
    with pytest.raises(UnsafePickle, match="posix.system|os.system|refusing"):
        load_bin(p)
    assert not marker.exists()
    p.write_bytes(b"not a pickle at all")
    from core.errors import DatasetError

    with pytest.raises(DatasetError):
        load_bin(p)
