"""``facerec desktop install | uninstall``: the app in the desktop's menu (a freedesktop ``.desktop`` entry and
its icon), for a ``pip``/``pipx`` install.

By default the files go where the desktop looks for the user's own applications: ``$XDG_DATA_HOME`` (else
``~/.local/share``) ``/applications/facerec.desktop`` and ``.../icons/hicolor/{scalable,256x256}/apps/``.
``--prefix DIR`` writes under ``DIR/share`` instead (``--prefix /usr/local`` for every user, a folder for tests).
The entry starts the installed ``facerec-gui`` by its absolute path, so it works whatever ``PATH`` the
desktop session has. Linux and the BSDs only: Windows and macOS have no freedesktop menus.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

from core.errors import UsageError

APP_ID = "facerec"  # the entry's file name, the icon's name and the window's desktop file name (app/main.py)
ICONS = (("scalable", "facerec.svg", "facerec.svg"), ("256x256", "facerec-256.png", "facerec.png"))


def data_root(prefix: str | os.PathLike | None = None) -> Path:
    """Where entries and icons go: ``PREFIX/share``, else the user's XDG data home."""
    if prefix is not None:
        return Path(prefix).expanduser().resolve() / "share"
    xdg = os.environ.get("XDG_DATA_HOME")
    return Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"


def targets(prefix=None) -> dict[str, Path]:
    """The files install writes: ``entry`` and one icon per theme size."""
    root = data_root(prefix)
    out = {"entry": root / "applications" / f"{APP_ID}.desktop"}
    for size, _, name in ICONS:
        out[f"icon_{size}"] = root / "icons" / "hicolor" / size / "apps" / name
    return out


def gui_command() -> list[str]:
    """The command that opens the window: the installed ``facerec-gui`` of this environment, else the one on
    PATH, else this interpreter running the source tree's main.py (a clone that was never installed)."""
    exe = "facerec-gui.exe" if os.name == "nt" else "facerec-gui"
    script = Path(sysconfig.get_path("scripts")) / exe
    if script.is_file():
        return [str(script)]
    found = shutil.which("facerec-gui")
    if found:
        return [str(Path(found).resolve())]
    main_py = Path(__file__).resolve().parents[2] / "main.py"
    if main_py.is_file():
        return [sys.executable, str(main_py)]
    raise UsageError("facerec-gui is not installed in this environment; install the app first "
                     "(`pipx install .` or `pip install facerec-*.whl`).")


def _exec_arg(arg: str) -> str:
    """One argument of an Exec key, quoted as the Desktop Entry Specification asks when it must be."""
    if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`=%'):
        return arg
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    return '"' + escaped.replace("%", "%%") + '"'


def _value(text: str) -> str:
    """A string value of a desktop entry (escapes for backslash and line breaks)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def desktop_entry(command: list[str]) -> str:
    """The text of ``facerec.desktop`` for ``command`` (valid under ``desktop-file-validate``)."""
    exec_line = _value(" ".join(_exec_arg(a) for a in command))
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.1",  # the oldest that has Keywords; older validators reject versions they do not know
        "Name=facerec",
        "GenericName=Face Recognition",
        "Comment=Recognize the people you know in photos, video and the webcam, on your own machine",
        f"Exec={exec_line}",
        f"TryExec={_value(_exec_arg(command[0]))}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "StartupNotify=true",
        f"StartupWMClass={APP_ID}",
        "Categories=Graphics;Photography;",
        "Keywords=face;recognition;people;photos;webcam;gallery;",
    ]
    return "\n".join(lines) + "\n"


def _require_freedesktop() -> None:
    if sys.platform.startswith(("win", "cygwin", "darwin")):
        raise UsageError("Desktop entries are a Linux (freedesktop) menu feature, so there is nothing to install on "
                         f"this system ({sys.platform}); start the app with `facerec-gui`.")


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def install(prefix=None) -> dict:
    """Write the entry and the icons; returns what was written and the command the entry runs."""
    from core.paths import resource_path

    _require_freedesktop()
    command = gui_command()
    paths = targets(prefix)
    for size, source, _ in ICONS:
        _write(paths[f"icon_{size}"], resource_path("icons", source).read_bytes())
    _write(paths["entry"], desktop_entry(command).encode())
    hicolor = paths["entry"].parent.parent / "icons" / "hicolor"
    os.utime(hicolor)  # the icon theme's caches look at its folder's time
    return {"installed": {"entry": str(paths["entry"]),
                          "icons": [str(p) for k, p in paths.items() if k.startswith("icon_")]},
            "exec": command, "data_root": str(data_root(prefix))}


def uninstall(prefix=None) -> dict:
    """Remove the entry and the icons (what is already gone is not an error)."""
    _require_freedesktop()
    removed = []
    for path in targets(prefix).values():
        if path.is_file() or path.is_symlink():
            path.unlink()
            removed.append(str(path))
    return {"removed": removed, "data_root": str(data_root(prefix))}


def cmd_desktop(args) -> tuple[dict, int]:
    return (install(args.prefix) if args.action == "install" else uninstall(args.prefix)), 0


def register(sub) -> None:
    from core.cli.common import common_flags

    p = sub.add_parser("desktop", parents=[common_flags(json_only=True)],
                       help="add the app to (or remove it from) the desktop's application menu")
    p.add_argument("action", choices=("install", "uninstall"))
    p.add_argument("--prefix", help="write under PREFIX/share instead of the user's XDG data folder")
    p.set_defaults(func=cmd_desktop)
