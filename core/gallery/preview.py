"""What enrolling each photo will do, before it is done: its faces, their quality, the face that would be
enrolled, or the reason in words (the enrol dialog shows this as a grid of thumbnails)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.gallery.acceptance import choose_face

WORDS = {"no_face": "no face found", "too_small": "the face is too small", "low_quality": "the face is unclear",
         "unreadable": "not a readable image", "duplicate": "already enrolled"}


def in_words(reason: str, message: str = "", faces: int = 0) -> str:
    """A rejection reason as a person reads it."""
    if reason == "multiple_faces":
        return f"{faces} faces: click the one to enrol"
    if reason == "low_quality" and "blurred" in message:
        return "the face is too blurred"
    if reason == "low_quality" and "quality" in message:
        return "the face is " + message.split(": the face is ", 1)[-1].split(" (")[0]
    return WORDS.get(reason, reason.replace("_", " "))


@dataclass
class PhotoPreview:
    path: str
    image: np.ndarray | None                     # RGB, for the thumbnail
    boxes: list[list[float]] = field(default_factory=list)   # x, y, w, h of every face
    qualities: list[float] = field(default_factory=list)
    chosen: int | None = None                    # index into boxes of the face that would be enrolled
    reason: str | None = None
    words: str = ""

    @property
    def name(self) -> str:
        return Path(self.path).name


def preview_photo(analyzer, path: str, min_face_px: int, pick: int | None = None, image=None,
                  min_quality: float = 0.0) -> PhotoPreview:
    """Detect, align and assess one photo (no embedding) and apply the enrolment policy to it."""
    from core.errors import BadInput
    from core.faces import Face, ImageResult, load_image

    res = ImageResult(path=path)
    img = image
    try:
        img = img if img is not None else load_image(path)
        dets = analyzer.detect(img)
        crops = analyzer.align(img, dets)
        res.faces = [Face(d, c, np.zeros(1, np.float32), img.shape[:2]) for d, c in zip(dets, crops)]  # sees a cut face
    except BadInput as exc:
        res.error = exc
    out = PhotoPreview(path, img, [f.detection.xywh for f in res.faces], [f.quality.score for f in res.faces])
    rej, face, _ = choose_face(res, min_face_px, pick, min_quality)
    if rej is not None:
        out.reason = rej.reason
        out.words = in_words(rej.reason, rej.message, len(res.faces))
    else:
        out.chosen = next(i for i, f in enumerate(res.faces) if f is face)
        out.words = f"ready (quality {out.qualities[out.chosen]:.2f})"
    return out


def preview_photos(analyzer, paths: list, min_face_px: int, progress: Callable | None = None,
                   cancel: Callable | None = None) -> list[PhotoPreview]:
    out = []
    for i, p in enumerate(paths):
        if cancel is not None and cancel():
            break
        out.append(preview_photo(analyzer, p if isinstance(p, str) else f"capture-{i}", min_face_px,
                                 image=None if isinstance(p, str) else p))
        if progress is not None:
            progress(i + 1, len(paths), str(p) if isinstance(p, str) else "")
    return out
