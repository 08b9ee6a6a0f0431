"""Alignment templates: where the 5 landmarks (left eye, right eye, nose, left and right mouth corner) land in
a model's input crop. Which template a model uses is a fact of the catalogue; the warp is in
:mod:`core.faces.alignment`."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from core.errors import UnknownName

# insightface's ArcFace template for a 112x112 crop.
ARCFACE_112 = np.array(
    [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]],
    dtype=np.float64,
)


@dataclass(frozen=True)
class Template:
    """Where the 5 landmarks land in an output crop of ``size`` x ``size`` pixels."""

    size: int
    points: np.ndarray  # (5, 2) float64, pixels in the crop

    @classmethod
    def from_arcface(cls, size: int, zoom: float = 1.0, shift_y: float = 0.0) -> "Template":
        """ArcFace template scaled to ``size``; ``zoom`` < 1 leaves more margin round the face,
        ``shift_y`` moves the landmarks down by that fraction of the crop."""
        centre = np.array([56.0, 56.0])
        pts = (ARCFACE_112 - centre) * zoom * (size / 112.0) + size / 2.0
        pts[:, 1] += shift_y * size
        return cls(size=size, points=pts)


# How each template places the 5 landmarks (left eye, right eye, nose, mouth corners) in the crop.
TEMPLATES: dict[str, Template] = {
    # FaceNet was trained on loose MTCNN crops: the ArcFace template at 160 px, landmarks 3% higher
    # (chosen on the 5-celebrity train split, see docs/accuracy.md).
    "facenet160": Template.from_arcface(160, zoom=1.0, shift_y=-0.03),
    "arcface112": Template.from_arcface(112),
    # OpenFace's 96 px template: the eye centres, nose tip and mouth corners of its dlib mean face
    # (openface/align_dlib.py, MINMAX_TEMPLATE x 96), which OpenFace itself aligns to.
    "openface96": Template(96, np.array([[26.63, 16.06], [67.79, 15.26], [47.24, 40.52], [29.48, 61.62],
                                         [66.76, 60.88]])),
}


def template(name: str) -> Template:
    """The template called ``name``: a key of :data:`TEMPLATES`, or ``arcface<S>`` (the ArcFace template at S px)."""
    if name in TEMPLATES:
        return TEMPLATES[name]
    m = re.fullmatch(r"arcface(\d+)", name)
    if m:
        return Template.from_arcface(int(m.group(1)))
    raise UnknownName(f"Unknown alignment template '{name}'. Known: {', '.join(TEMPLATES)}, arcface<size>.")
