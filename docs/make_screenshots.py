"""Take the README's and docs/gui.md's screenshots of the real window (run under Xvfb):

    xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/python docs/make_screenshots.py resources/screenshots

``--size 1024x700`` takes them at another window size (to check a small or a large screen; the committed ones are
1320x860; give Xvfb a screen at least that large).

Uses a temporary data and settings folder, the bundled sample photos, and real jobs (a short training run with
curves, evaluations, benchmarks, a fine-tune), exactly as a new user would click through them.
"""

from __future__ import annotations

import os
import pickle
import random
import sys
import tempfile
import time
from pathlib import Path

TMP = Path(tempfile.mkdtemp(prefix="facerec-shots-"))
os.environ["FACEREC_DATA_DIR"] = str(TMP / "data")
os.environ["FACEREC_CONFIG_DIR"] = str(TMP / "config")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def wait(app, cond, timeout=600.0, step=0.05):
    t = time.monotonic()
    while not cond():
        app.processEvents()
        time.sleep(step)
        if time.monotonic() - t > timeout:
            raise TimeoutError("gave up waiting")


def pause(app, seconds):
    t = time.monotonic()
    while time.monotonic() - t < seconds:
        app.processEvents()
        time.sleep(0.02)


def shoot(widget, out: Path, name: str) -> None:
    path = out / f"{name}.png"
    widget.grab().save(str(path), "PNG")
    print("saved", path, flush=True)


def make_bin(samples: Path, dest: Path) -> Path:
    """100 pairs (50 same, 50 different) of the val photos, aligned to 112x112, in insightface's .bin layout."""
    import cv2

    from core.faces import align_face, get_detector, load_image
    from core.zoo import Template

    det, tmpl = get_detector("mtcnn"), Template.from_arcface(112)
    crops = {}
    for d in sorted((samples / "val").iterdir()):
        crops[d.name] = []
        for p in sorted(d.glob("*.jpg")):
            img = load_image(p)
            f = max(det.detect(img), key=lambda x: x.size)
            crops[d.name].append(cv2.imencode(".jpg", cv2.cvtColor(align_face(img, f.landmarks, tmpl),
                                                                   cv2.COLOR_RGB2BGR))[1].tobytes())
    rng, names, bins, same = random.Random(3), sorted(crops), [], []
    for i in range(100):
        if i % 2 == 0:
            a, b = rng.sample(crops[rng.choice(names)], 2)
        else:
            n1, n2 = rng.sample(names, 2)
            a, b = rng.choice(crops[n1]), rng.choice(crops[n2])
        bins += [a, b]
        same.append(i % 2 == 0)
    dest.write_bytes(pickle.dumps((bins, same), protocol=2))
    return dest


def main(out: Path, size: tuple[int, int] = (1320, 860)) -> None:
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from app.workbench.job_dialogs import SOURCES, EvaluateDialog, NewTrainingDialog
    from core.datasets import convert_folder
    from core.zoo import sample_dataset_dir

    samples = sample_dataset_dir()
    data = TMP / "tfr"
    convert_folder(samples / "train", data)
    pairs = make_bin(samples, TMP / "val.bin")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    win = MainWindow(gallery_dir=str(TMP / "gallery"))
    win.resize(*size)
    win.show()
    wait(app, lambda: win.recognizer is not None)
    pause(app, 1)
    shoot(win, out, "first_start")
    win.live.first_start.samples.click()
    wait(app, lambda: len(win.seen_names) >= 1, timeout=900)
    pause(app, 6)
    shoot(win, out, "live")
    win.tabs.setCurrentWidget(win.gallery_panel)
    win.gallery_panel.refresh()
    pause(app, 1)
    shoot(win, out, "gallery")
    win.tabs.setCurrentWidget(win.people)
    wait(app, lambda: win.people.library is not None)
    win.people.scan([str(samples)])
    wait(app, lambda: win.people.scan_job is None, timeout=900)
    lib = win.people.library
    first = lib.people(with_faces=False).groups[0].id  # named after the folder its photos are in
    lib.name(first, Path(lib.show(first).faces[0].photo).parent.name, enrol=False)
    win.people.refresh()
    pause(app, 2)
    shoot(win, out, "people")
    win.tabs.setCurrentIndex(0)
    photos = sorted((samples / "val" / "mindy_kaling").glob("*.jpg"))
    photos += sorted((samples / "train" / "mindy_kaling").glob("*.jpg"))[:5]
    dlg = win.enroll_files([str(p) for p in photos])
    dlg.name.setCurrentText("mindy_kaling")
    wait(app, lambda: len(dlg.grid.tiles) == len(photos))
    pause(app, 1)
    shoot(dlg, out, "enroll")
    dlg.close()
    wb = win.workbench
    win.tabs.setCurrentWidget(wb)
    rids = []
    for name, head in (("arcface-mobilefacenet", "arcface"), ("cosface-mobilefacenet", "cosface")):
        d = NewTrainingDialog(wb._trainable())
        d.name.setText(name)
        d.data.setText(str(data))
        d.head.setCurrentText(head)
        d.steps.setValue(120)
        d.batch.setValue(16)
        d.bins.setText(str(pairs))
        d.val_every.setValue(30)
        rids.append(wb.new_training(d))
        wait(app, lambda: rids[-1] not in wb.active, timeout=1800)
    wb.table.selectAll()
    pause(app, 1)
    shoot(win, out, "workbench_curves")
    lfw = Path(os.environ.get("FACEREC_LFW_DIR", "/work/lfw"))
    for model in ("facenet", "sface"):
        e = EvaluateDialog([model], model)
        kind = "lfw" if (lfw / "pairs.txt").exists() else "folders"
        e.source.setCurrentText(next(k for k, v in SOURCES.items() if v == kind))
        e.path.setText(str(lfw if kind == "lfw" else samples / "val"))
        rid = wb.evaluate(e)
        wait(app, lambda r=rid: r not in wb.active, timeout=900)
    wb.table.clearSelection()
    for r in range(wb.model.rowCount()):
        if wb.model.run(r)["kind"] == "eval":
            wb.table.selectionModel().select(wb.model.index(r, 0), wb.table.selectionModel().SelectionFlag.Select |
                                             wb.table.selectionModel().SelectionFlag.Rows)
    pause(app, 1)
    shoot(win, out, "workbench_eval")
    for kind, model in (("Embedding (images/s per batch)", "facenet"), ("Embedding (images/s per batch)", "sface"),
                        ("Detection (ms per frame)", None)):
        b = wb.benchmark_dialog()
        b.kind.setCurrentText(kind)
        if model:
            b.model.setCurrentText(model)
        else:
            b.detector.setCurrentText("yunet")
        rid = wb.benchmark(b)
        wait(app, lambda r=rid: r not in wb.active, timeout=900)
    for r in range(wb.model.rowCount()):
        if wb.model.run(r)["kind"] == "bench" and wb.model.run(r)["config"].get("benchmark") == "embed":
            wb.table.selectRow(r)
            break
    pause(app, 1)
    wb.details.setCurrentWidget(wb.bench)
    shoot(win, out, "workbench_bench")
    win.close()


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description="Take the docs' screenshots of the real window.")
    ap.add_argument("out", nargs="?", default="resources/screenshots")
    ap.add_argument("--size", default="1320x860", help="window size, WIDTHxHEIGHT")
    args = ap.parse_args()
    main(Path(args.out), tuple(int(v) for v in args.size.lower().split("x")))
