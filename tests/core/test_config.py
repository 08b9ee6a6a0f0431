"""The one settings store: checked values, atomic writes, the [gui] table, shared by the CLI and the GUI."""

import json
import subprocess
import sys

import pytest

from core.config import GuiState, Settings, load_gui_state, load_settings, save_gui_state, save_settings
from core.errors import BadValue, UsageError
from tests.conftest import ROOT


def test_defaults_load_without_a_file(tmp_path):
    s = load_settings(tmp_path / "none.toml")
    assert s == Settings()


@pytest.mark.parametrize("text,word", [
    ('[index]\nlarge_index = "ivf"\n', "binary"),                 # names the value and the allowed ones
    ('[operating_points]\nidentify_fpir = 2.0\n', "identify_fpir"),
    ('[operating_points]\nverify_threshold = "high"\n', "number"),
    ('[engine]\ndetector = "haar"\n', "mtcnn"),
    ('[engine]\ntop_k = 0\n', "top_k"),
    ('[engine]\nmodle = "facenet"\n', "Known"),
])
def test_bad_values_are_refused_where_they_enter(tmp_path, text, word):
    p = tmp_path / "config.toml"
    p.write_text(text)
    with pytest.raises(BadValue, match=word):
        load_settings(p)


def test_flags_are_checked_too():
    with pytest.raises(BadValue, match="hnsw"):
        Settings().replace(large_index="ivf")


def test_version_0_files_still_load(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text('[engine]\nmodel = "facenet"\nthreshold = 0.4\n')
    s = load_settings(p)
    assert s.verify_threshold == s.identify_threshold == 0.4


def test_newer_files_are_refused(tmp_path):
    p = tmp_path / "config.toml"
    p.write_text("version = 99\n")
    with pytest.raises(UsageError, match="newer"):
        load_settings(p)


def test_save_load_roundtrip_keeps_the_gui_table(tmp_path):
    p = tmp_path / "config.toml"
    save_gui_state(GuiState(camera=2, width=1280, height=720, geometry="abcd"), p)
    s = Settings(model="facenet", identify_fpir=0.001, verify_threshold=0.42, live_detector="mtcnn")
    save_settings(s, p)
    assert load_settings(p) == s
    g = load_gui_state(p)
    assert (g.camera, g.width, g.height, g.geometry) == (2, 1280, 720, "abcd")
    assert not list(tmp_path.glob(".config.toml.*"))  # no temporary left behind


def test_cli_reads_what_the_gui_wrote(tmp_path):
    """The GUI saves through save_settings; `facerec info` in another process sees the same values."""
    import os

    env = {**os.environ, "FACEREC_CONFIG_DIR": str(tmp_path)}
    save_settings(Settings(identify_fpir=0.001, live_detector="mtcnn"), tmp_path / "config.toml")
    out = subprocess.run([sys.executable, "main.py", "info", "--json"], capture_output=True, text=True, cwd=ROOT,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    settings = json.loads(out.stdout)["settings"]
    assert settings["identify_fpir"] == 0.001 and settings["live_detector"] == "mtcnn"
