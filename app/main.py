"""GUI entry point: parse GUI flags, show the window at once, load models in the background."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def parse_gui_args(argv: list[str], prog: str = "python main.py") -> argparse.Namespace:
    p = argparse.ArgumentParser(prog=prog, description="Face recognition desktop app.")
    p.add_argument("--source", help="webcam index, video file, image or folder of images")
    p.add_argument("--gallery", help="gallery folder (default: the user data directory)")
    p.add_argument("--screenshot", help="save a PNG of the main window before quitting")
    p.add_argument("--quit-after", type=float, help="quit after this many seconds")
    p.add_argument("--quit-when-ready", action="store_true",
                   help="quit as soon as the models are loaded (or failed to load); --quit-after is then the limit")
    return p.parse_args(argv)


def gui_entry() -> None:
    """``facerec-gui``, the installed app's window (a GUI script: on Windows it has no console)."""
    for name in ("stdout", "stderr"):  # pythonw has none; libraries that write progress must not fail
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w"))  # kept open for the life of the process
    sys.exit(run_gui(sys.argv[1:], prog="facerec-gui"))


def run_gui(argv: list[str], prog: str = "python main.py") -> int:
    import time

    t0 = time.perf_counter()
    args = parse_gui_args(argv, prog)
    if (not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and sys.platform.startswith("linux")
            and not os.environ.get("QT_QPA_PLATFORM")):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no screen: run headless rather than fail
    from app.system_check import display_problem

    problem = display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 1
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("facerec")
    app.setOrganizationName("facerec")
    _set_icon(app)
    win = MainWindow(gallery_dir=args.gallery, source=args.source)
    win.started_at = t0
    win.show()
    app.processEvents()
    win.shown_after = time.perf_counter() - t0
    if args.quit_after is not None or args.quit_when_ready:
        from PySide6.QtCore import QTimer

        finished = []

        def finish():
            if finished:  # ready first, then the time limit: once is enough
                return
            finished.append(True)
            if args.screenshot:
                Path(args.screenshot).parent.mkdir(parents=True, exist_ok=True)
                win.grab().save(str(args.screenshot), "PNG")
            print(timing_report(win), file=sys.stderr, flush=True)
            win.close()
            app.quit()

        if args.quit_when_ready:
            poll = QTimer(win)

            def check():
                if win.ready_after is not None or win.engine_error is not None:
                    poll.stop()
                    QTimer.singleShot(300, finish)  # let the window paint its ready state first

            poll.timeout.connect(check)
            poll.start(100)
        if args.quit_after is not None:
            QTimer.singleShot(int(args.quit_after * 1000), finish)
    return int(app.exec())


def _set_icon(app) -> None:
    """The window's icon, and the desktop entry it belongs to (``facerec desktop install``)."""
    from PySide6.QtGui import QIcon

    from core.paths import resource_path

    icon = QIcon()
    for name in ("facerec.svg", "facerec-256.png"):
        path = resource_path("icons", name)
        if path.is_file():
            icon.addFile(str(path))
    app.setWindowIcon(icon)
    app.setDesktopFileName("facerec")


def timing_report(win) -> str:
    """Start-up and live-view figures of a window (printed by ``--quit-after``)."""
    def f(v):
        return "-" if v is None else f"{v:.1f} s"

    v = win.view
    return (f"facerec: window shown {f(win.shown_after)}, models ready {f(win.ready_after)}, "
            f"first names {f(win.first_names_after)}; view {v.display_rate.rate:.1f} fps, "
            f"names {v.names_rate.rate:.1f}/s, frames dropped by recognition {win.recog.dropped if win.recog else 0}")
