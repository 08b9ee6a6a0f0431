"""A new user's machine: empty cache, data and config folders (and HOME). Every "not cached" message names a
command that really fixes it, and `make setup` alone makes the app work: a sample photo is recognised as a face
and the window opens and draws.

Slow (it downloads through pip's cache and converts SFace twice), but run by CI like every other test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
FACEREC = [sys.executable, str(ROOT / "main.py")]


def fresh_env(root: Path) -> dict[str, str]:
    """The environment of a machine that has never run the app: only pip's own cache and config are kept."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FACEREC_", "XDG_"))}
    if "PIP_CACHE_DIR" not in env:
        env["PIP_CACHE_DIR"] = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True,
                                              text=True).stdout.strip() or str(Path.home() / ".cache" / "pip")
    user_pip_conf = Path.home() / ".config" / "pip" / "pip.conf"
    if "PIP_CONFIG_FILE" not in env and user_pip_conf.is_file():
        env["PIP_CONFIG_FILE"] = str(user_pip_conf)
    for name in ("home", "cache", "data", "config"):
        (root / name).mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(root / "home"), FACEREC_CACHE_DIR=str(root / "cache"), FACEREC_DATA_DIR=str(root / "data"),
               FACEREC_CONFIG_DIR=str(root / "config"), QT_QPA_PLATFORM="offscreen")
    return env


def run(args: list[str], env: dict, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, env=env, cwd=ROOT, timeout=timeout)


def follow_messages(args: list[str], env: dict, max_steps: int = 4) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run ``args``; while it fails with a message that names a `facerec ...` command, run that command (as a
    user would) and try again. Returns the last run and the commands followed."""
    followed: list[str] = []
    for _ in range(max_steps + 1):
        out = run(args, env)
        if out.returncode == 0:
            return out, followed
        m = re.search(r"`(facerec [^`]+)`", out.stdout + out.stderr)
        assert m, f"{args} failed without naming a command that fixes it: {out.stdout[-500:]} {out.stderr[-500:]}"
        fix = m.group(1)
        assert fix not in followed, f"{fix} did not fix what it was named for: {out.stderr[-500:]}"
        done = run([*FACEREC, *fix.split()[1:]], env)
        assert done.returncode == 0, f"`{fix}` failed: {done.stderr[-800:]}"
        followed.append(fix)
    raise AssertionError(f"still failing after following {followed}")


def sample_photo(env: dict) -> Path:
    root = Path(env["FACEREC_CACHE_DIR"]) / "models" / "samples" / "5-celebrity-faces-dataset"
    return sorted((root / "val" / "madonna").glob("*.jpg"))[0]


def assert_one_unit_face(out: subprocess.CompletedProcess) -> None:
    doc = json.loads(out.stdout)
    assert doc["model"] == "sface" and len(doc["faces"]) == 1, doc
    emb = np.array(doc["faces"][0]["embedding"], np.float32)
    assert emb.shape == (128,) and abs(np.linalg.norm(emb) - 1.0) < 1e-3


def test_every_not_cached_message_names_a_command_that_fixes_it(tmp_path):
    env = fresh_env(tmp_path)
    out, followed = follow_messages([*FACEREC, "bench", "pipeline", "--json"], env)  # the sample photos by default
    assert followed == ["facerec models fetch samples", "facerec models fetch sface", "facerec models fetch yunet"]
    doc = json.loads(out.stdout)
    assert doc["photos"] == len(list((Path(env["FACEREC_CACHE_DIR"]) / "models" / "samples").rglob("*.jpg")))
    assert doc["faces"] >= doc["photos"] and doc["model"] == "sface"


def test_make_setup_from_empty_folders_then_represent_and_the_window(tmp_path):
    env = fresh_env(tmp_path)
    setup = run(["make", "--no-print-directory", "setup"], env)
    assert setup.returncode == 0, setup.stdout[-1500:] + setup.stderr[-1500:]
    photo = sample_photo(env)
    assert photo.is_file(), "make setup left no sample photos"
    rep = run([*FACEREC, "represent", str(photo), "--json"], env)
    assert rep.returncode == 0, rep.stderr[-800:]
    assert_one_unit_face(rep)

    shot = tmp_path / "window.png"
    win = run([*FACEREC, "--quit-when-ready", "--quit-after", "120", "--screenshot", str(shot)], env, timeout=300)
    assert win.returncode == 0, win.stderr[-1500:]
    ready = re.search(r"models ready ([0-9.]+) s", win.stderr)
    assert ready, f"the models never became ready in the window: {win.stderr[-800:]}"
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[0] > 300 and img.shape[1] > 500
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    assert img.std() > 10 and colours > 50, f"the window looks blank ({colours} colours, std {img.std():.1f})"
    assert (Path(env["FACEREC_CONFIG_DIR"]) / "config.toml").is_file(), "the window did not keep its state"
