"""What the window loads in the background before it can name faces (imports TensorFlow; runs in a worker)."""

from __future__ import annotations

import numpy as np

from core.config import Settings


def load_engine(settings: Settings, gallery_dir: str | None):
    """Runs in a worker: (live analyzer, gallery, device name). Imports TensorFlow.

    The live view uses the live detector; the gallery (enrolment) the photo detector;
    both share one embedder.
    """
    from core.faces import FaceAnalyzer
    from core.gallery import Gallery
    from core.tf_runtime import device_name

    live = FaceAnalyzer(settings, warmup=True, role="live")
    photos = FaceAnalyzer(settings, warmup=False)
    gallery = Gallery(gallery_dir or settings.gallery_dir(), settings=settings, analyzer=photos)
    if gallery.missing_embeddings():
        gallery.reembed()  # people enrolled under another model stay recognisable after a switch
    gallery.index()
    live.detect(np.zeros((480, 640, 3), np.uint8))  # trace the common canvas now, not on the first frame
    return live, gallery, device_name()
