"""Crash safety and concurrency with real processes and real files."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from PIL import Image

from core.gallery import Gallery
from core.gallery.acceptance import choose_face
from tests.conftest import ROOT

ENROLL_SCRIPT = r"""
import sys
from core.gallery import Gallery
root, paths = sys.argv[1], sys.argv[2:]
g = Gallery(root, model="facenet")
def report(done, total, path):
    print("DONE", path, flush=True)
rep = g.enroll("crowd", paths, progress=report)
print("FINISHED", rep.added, flush=True)
"""


def _unique_photos(train_people, dest, n):
    """n distinct image files (different bytes) made from the real train photos."""
    srcs = [p for ps in train_people.values() for p in ps]
    out = []
    for i in range(n):
        img = Image.open(srcs[i % len(srcs)]).convert("RGB")
        if (i // len(srcs)) % 2:
            img = img.transpose(Image.FLIP_LEFT_RIGHT)
        p = dest / f"img{i:03d}.jpg"
        img.save(p, quality=90 - (i // (2 * len(srcs))))
        out.append(p)
    return out


@pytest.mark.slow
def test_sigkill_during_enroll_loses_nothing_reported(tmp_path, train_people):
    photos = _unique_photos(train_people, tmp_path, 200)
    root = tmp_path / "g"
    proc = subprocess.Popen([sys.executable, "-c", ENROLL_SCRIPT, str(root), *map(str, photos)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    reported = []
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        if line.startswith("DONE"):
            reported.append(line.split(" ", 1)[1].strip())
        if len(reported) >= 40 or time.monotonic() > deadline:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 40 <= len(reported) < 200, "the kill must land in the middle of enrolling"
    with Gallery(root, model="facenet") as g:
        with g.store.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        idx = g.index()  # rebuilt if the kill left it behind the database
        n_people, n_faces = g.count()
        assert len(idx) == n_faces
        enrolled = {f["source_path"] for f in g.faces("crowd")}
        assert len(enrolled) >= 30
        # every reported image is in the gallery, unless enrolment rejects it (e.g. two faces): check those again
        for p in (p for p in reported if p not in enrolled):
            rejection, _, _ = choose_face(next(g.enrol_analyzer.analyze_paths([p])), g.settings.min_face_px,
                                         min_quality=g.settings.min_quality)
            assert rejection is not None, f"{p} was reported as enrolled but is missing"


def test_reader_and_writer_at_once_never_locked(gallery_template, tmp_path, train_people):
    import shutil

    root = tmp_path / "g"
    shutil.copytree(gallery_template, root)
    photos = _unique_photos({"x": train_people["mindy_kaling"]}, tmp_path, 12)
    writer = subprocess.Popen([sys.executable, "-c", ENROLL_SCRIPT, str(root), *map(str, photos)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    reads = 0
    q = np.random.default_rng(0).standard_normal((1, 128)).astype(np.float32)
    q /= np.linalg.norm(q)
    with Gallery(root, model="facenet") as reader:
        while writer.poll() is None:
            reader.list()
            reader.search(q)
            reads += 1
        out, err = writer.communicate()
        assert writer.returncode == 0, err
        assert "FINISHED" in out
        assert reads > 5
        names = {p["name"] for p in reader.list()}
        assert "crowd" in names
        assert len(reader.index()) == reader.count()[1]  # the reader picks up the writer's commits
