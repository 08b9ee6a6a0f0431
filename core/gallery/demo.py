""""Try it with sample people": the bundled 5-celebrity photos as a demo gallery, separate from the user's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.faces import image_files
from core.paths import data_dir


def demo_gallery_dir() -> Path:
    return data_dir() / "demo-gallery"


def sample_people() -> tuple[Path, Path]:
    """(train folder, val folder) of the 5-celebrity sample set (fetched by `make setup`)."""
    from core.zoo import sample_dataset_dir

    root = sample_dataset_dir()
    return root / "train", root / "val"


def build_demo_gallery(analyzer, settings, progress: Callable | None = None, cancel: Callable | None = None,
                       dest: Path | None = None):
    """Enrol every sample person's train photos into the demo gallery (once); returns the open Gallery."""
    from core.gallery.service import Gallery

    train, _ = sample_people()
    g = Gallery(dest or demo_gallery_dir(), settings=settings, analyzer=analyzer)
    have = set(g.names())
    people = sorted(d for d in train.iterdir() if d.is_dir())
    for i, person in enumerate(people):
        if person.name not in have:
            g.enroll(person.name, image_files(person), cancel=cancel)
        if progress is not None:
            progress(i + 1, len(people), person.name)
    return g
