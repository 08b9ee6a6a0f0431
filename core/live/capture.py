"""Frame sources: webcam index, video file, single image or folder of images (Qt-free).

``open_source(spec)`` picks the kind from the spec: an integer is a camera index, a
folder is a slideshow of its images, an image file is one frame, anything else is
opened as a video. Frames are RGB uint8 with a timestamp in seconds.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from core.errors import BadInput, FaceRecError
from core.faces import image_files, is_image_path, load_image


@dataclass
class Frame:
    image: np.ndarray       # (H, W, 3) uint8 RGB
    index: int
    timestamp: float        # seconds since the source started (media time for files)
    path: str | None = None


class FrameSource(ABC):
    """``read()`` returns the next frame or None at the end. ``fps`` is the pace to play at."""

    fps: float = 25.0
    live: bool = False
    description: str = ""

    @abstractmethod
    def read(self) -> Frame | None: ...

    def close(self) -> None:  # noqa: B027 - sources without resources need no cleanup
        pass


class VideoSource(FrameSource):
    def __init__(self, spec: str | int, width: int | None = None, height: int | None = None):
        self.live = isinstance(spec, int)
        self.cap = cv2.VideoCapture(spec)
        if self.live and width and height:
            self.cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            self.cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        if not self.cap.isOpened():
            what = f"camera {spec}" if self.live else str(spec)
            raise BadInput(f"Cannot open {what}" + (": is it connected and free?" if self.live else
                                                    ": not a readable video file."))
        fps = self.cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if fps and 1 <= fps <= 240 else 25.0
        self.description = f"camera {spec}" if self.live else Path(str(spec)).name
        self._n = 0
        self._t0 = time.monotonic()

    def read(self) -> Frame | None:
        ok, bgr = self.cap.read()
        if not ok or bgr is None:
            return None
        ts = time.monotonic() - self._t0 if self.live else self._n / self.fps
        frame = Frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), self._n, ts)
        self._n += 1
        return frame

    def close(self) -> None:
        self.cap.release()


class ImagesSource(FrameSource):
    """A slideshow: each image is shown for ``seconds_each`` (one frame per image)."""

    def __init__(self, paths: list[Path], seconds_each: float = 1.0, description: str = ""):
        if not paths:
            raise BadInput("No image files to show.")
        self.paths = paths
        self.fps = 1.0 / seconds_each
        self.description = description
        self._i = 0

    def read(self) -> Frame | None:
        while self._i < len(self.paths):
            p = self.paths[self._i]
            self._i += 1
            try:
                return Frame(load_image(p), self._i - 1, (self._i - 1) / self.fps, str(p))
            except FaceRecError:
                continue  # an unreadable file in a folder is skipped, not fatal
        return None


def open_source(spec: str | int, width: int | None = None, height: int | None = None,
                seconds_each: float = 1.0) -> FrameSource:
    if isinstance(spec, int) or (isinstance(spec, str) and spec.strip().isdigit()):
        return VideoSource(int(spec), width, height)
    p = Path(spec)
    if p.is_dir():
        return ImagesSource(image_files(p), seconds_each, p.name)
    if not p.exists():
        raise BadInput(f"{spec}: no such file, folder or camera.")
    if is_image_path(p):
        return ImagesSource([p], seconds_each, p.name)
    return VideoSource(str(p))
