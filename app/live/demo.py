"""First start: "Try it with sample people" enrols the five sample people into a demo gallery (the user's own is
left alone), fetching their photos first when needed, and plays their other photos."""

from __future__ import annotations

from app.workers import Job


def try_samples(win) -> None:
    if win.gallery is None:
        return
    from core.errors import describe
    from core.gallery import build_demo_gallery, sample_people
    from core.zoo import samples_ready

    fs = win.live.first_start
    if not samples_ready():
        fs.fetch_samples(win, win.jobs, win.try_samples)
        return
    fs.samples.setEnabled(False)
    fs.progress.setText("Enrolling the sample people into a demo gallery ...")
    photos, settings = win.gallery.analyzer, win.settings

    def done(demo) -> None:
        win.use_gallery(demo)
        win.statusBar().showMessage(f"Demo gallery: {demo.root} (your own gallery is untouched).", 8000)
        win.open_source(str(sample_people()[1]))

    job = Job(lambda progress, cancel: build_demo_gallery(photos, settings, progress, cancel), name="demo gallery")
    job.signals.progress.connect(lambda d, t, n: fs.progress.setText(f"Enrolled {n} ({d}/{t}) ..."))
    job.signals.result.connect(done)
    job.signals.error.connect(lambda e: fs.progress.setText(describe(e)))
    win.jobs.start(job)
