"""Before Qt opens a window: name the system packages it needs, in one sentence, instead of Qt's abort.

Qt's ``xcb`` platform plugin (X11) links against a list of ``libxcb-*`` and related
libraries that a fresh Debian/Ubuntu machine may lack, and dlopens ``libxcb-cursor``;
without them Qt aborts with "could not load the Qt platform plugin xcb". This module
asks ``ldd`` which of the plugin's libraries are missing and maps them to the Debian
package names. It imports no Qt.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from pathlib import Path

# soname -> Debian/Ubuntu package
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0", "libxkbcommon.so.0": "libxkbcommon0", "libxcb.so.1": "libxcb1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-xinput.so.0": "libxcb-xinput0", "libxcb-glx.so.0": "libxcb-glx0",
    "libX11-xcb.so.1": "libx11-xcb1", "libX11.so.6": "libx11-6", "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0", "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3", "libglib-2.0.so.0": "libglib2.0-0", "libICE.so.6": "libice6",
    "libSM.so.6": "libsm6",
}
DLOPENED = ("libxcb-cursor.so.0",)  # Qt >= 6.5 refuses to load xcb without it, though ldd does not list it


def xcb_plugin() -> Path | None:
    try:
        import importlib.util

        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    p = Path(list(spec.submodule_search_locations)[0]) / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return p if p.exists() else None


def parse_ldd(text: str) -> list[str]:
    """Sonames ``ldd`` reports as "not found", in order, once each."""
    out: list[str] = []
    for line in text.splitlines():
        if "=> not found" in line:
            name = line.split("=>")[0].strip()
            if name not in out:
                out.append(name)
    return out


def missing_libraries() -> list[str]:
    """Sonames Qt's xcb plugin needs that this machine lacks (empty when all load, or off Linux)."""
    plugin = xcb_plugin()
    if not sys.platform.startswith("linux") or plugin is None or shutil.which("ldd") is None:
        return []
    try:
        text = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    missing = parse_ldd(text)
    for name in DLOPENED:
        try:
            ctypes.CDLL(name)
        except OSError:
            if name not in missing:
                missing.append(name)
    return missing


def packages_for(sonames: list[str]) -> list[str]:
    return list(dict.fromkeys(PACKAGES.get(s, s) for s in sonames))


def will_use_xcb() -> bool:
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    return sys.platform.startswith("linux") and bool(os.environ.get("DISPLAY")) and \
        (platform in ("", "xcb") and not (os.environ.get("WAYLAND_DISPLAY") and platform == ""))


def display_problem() -> str | None:
    """One sentence when a window cannot open here, naming what to install; None when it can."""
    if not will_use_xcb():
        return None
    missing = missing_libraries()
    if not missing:
        return None
    pkgs = packages_for(missing)
    return (f"The window cannot open: Qt needs system libraries this machine lacks ({', '.join(missing)}); "
            f"install them with `sudo apt-get install {' '.join(pkgs)}` (or run headless with "
            "QT_QPA_PLATFORM=offscreen).")
