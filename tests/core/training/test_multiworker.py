"""Training across processes with tf.distribute: two workers on 127.0.0.1 (CPU), as on two machines."""

import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from tests.conftest import ROOT


def _free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


@pytest.mark.slow
def test_two_workers_train_in_step_and_end_with_identical_weights(tfrecords, tmp_path):
    workers = ",".join(f"127.0.0.1:{p}" for p in _free_ports(2))
    run = tmp_path / "run"
    procs = []
    for i in range(2):
        cmd = [sys.executable, "main.py", "train", "--data", str(tfrecords), "--out", str(run), "--steps", "20",
               "--head", "softmax", "--optimizer", "adamw", "--lr", "0.001", "--input-size", "56",
               "--batch-size", "16", "--checkpoint-every", "1000", "--workers", workers, "--worker-index", str(i),
               "--json"]
        procs.append(subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    docs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, (out[-2000:], err[-3000:])
        docs.append(json.loads(out))
    chief, other = sorted(docs, key=lambda d: d["worker"])
    assert chief["workers"] == other["workers"] == 2 and chief["chief"] and not other["chief"]
    assert chief["weights_digest"] == other["weights_digest"]      # all-reduced: the same model on both
    assert chief["steps"] == other["steps"] == 20
    losses = [h["loss"] for h in chief["history"]]
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5]), losses
    assert (run / "ckpt").is_dir() and (run / "events.jsonl").exists()  # only the chief writes these
    events = [json.loads(line) for line in (run / "events.jsonl").read_text().splitlines()]
    assert events[0]["event"] == "start" and events[0]["workers"] == 2 and events[-1]["event"] == "done"
