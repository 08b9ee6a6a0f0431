"""Safe image decoding: any file a user points at becomes RGB uint8 or a clear error, at the size needed.

Handles JPEG, PNG, WebP, TIFF, BMP, GIF and HEIC (pillow-heif); grayscale, palette, RGBA (composited on
white), 16-bit, CMYK and EXIF orientation. The pixel count is checked from the header *before* decoding, so a
decompression bomb is refused without allocating it.
"""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import CorruptImage, ImageTooLarge, NotAnImage

MAX_PIXELS = 100_000_000          # 100 MP: larger photos are refused, not decoded
MAX_FILE_BYTES = 256 << 20        # larger files are refused before a byte is read (a 100 MP photo is far smaller)
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff", ".gif", ".pgm", ".ppm", ".heic", ".heif"}

Image.MAX_IMAGE_PIXELS = MAX_PIXELS
try:  # phone photos (HEIC/HEIF) through pillow-heif, where it is installed
    from pillow_heif import register_heif_opener

    register_heif_opener()
except ImportError:  # pragma: no cover - then HEIC files are reported as unreadable, one sentence each
    pass


def is_image_path(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


def image_files(folder: Path) -> list[Path]:
    """Image files under ``folder``, recursively, sorted."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and is_image_path(p))


def expand_image_paths(paths, keep_missing: bool = True) -> list[str]:
    """Folders become their image files (recursively); files stay. Paths that do not exist are kept
    (so the caller reports them) unless ``keep_missing`` is False."""
    out: list[str] = []
    for p in paths:
        pp = Path(p)
        if pp.is_dir():
            out.extend(str(f) for f in image_files(pp))
        elif keep_missing or pp.is_file():
            out.append(str(p))
    return out


DRAFT_REDUCTIONS = (8, 4, 2)     # JPEG DCT-domain scaling: decode at 1/8, 1/4 or 1/2 of full size
EXIF_DATE_TAGS = (0x9003, 0x9004, 0x0132)  # DateTimeOriginal, DateTimeDigitized, DateTime


@dataclass
class Photo:
    """A decoded photo. ``pixels``: (h, w, 3) uint8 RGB with the EXIF orientation applied, at ``scale`` of the
    full resolution ``full_size`` (W, H) (``scale`` < 1 only for a JPEG decoded in the DCT domain at 1/2, 1/4 or
    1/8). ``taken``: the EXIF capture date (ISO 8601) when the file has one."""

    pixels: np.ndarray
    scale: float
    full_size: tuple[int, int]
    name: str
    taken: str | None = None
    data: bytes | None = field(default=None, repr=False)  # the encoded file, to decode again at a larger scale
    orientation: int = 1                                   # the EXIF orientation (1..8) of the stored image
    xmp: bytes | str | None = field(default=None, repr=False)  # the XMP packet embedded in the file, if any

    def at_scale(self, scale: float) -> Photo:
        """The same photo decoded at the smallest available scale >= ``scale`` (itself when it already is)."""
        if self.scale >= scale or self.data is None:
            return self
        long_side = int(np.ceil(max(self.full_size) * min(1.0, scale)))
        return decode_photo(self.data, long_side=long_side if scale < 1.0 else None, name=self.name)


def _read(source: str | Path | bytes) -> tuple[bytes, str]:
    name = "<bytes>" if isinstance(source, bytes) else os.fsencode(str(source)).decode("utf-8", "backslashreplace")
    if isinstance(source, bytes):
        data = source
    else:
        path = Path(source)
        if not path.exists():
            raise NotAnImage(f"{name}: no such file.")
        if path.is_dir():
            raise NotAnImage(f"{name}: is a folder, not an image.")
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                raise ImageTooLarge(f"{name}: the file is {path.stat().st_size / 2**20:.0f} MB, over the "
                                    f"{MAX_FILE_BYTES >> 20} MB an image may be; it was not read.")
            data = path.read_bytes()
        except OSError as exc:
            raise NotAnImage(f"{name}: cannot be read ({exc.strerror or exc}).") from exc
    if not data:
        raise CorruptImage(f"{name}: the file is empty.")
    return data, name


def _taken(img: Image.Image) -> str | None:
    try:
        exif = img.getexif()
        sub = exif.get_ifd(0x8769)  # the Exif IFD holds DateTimeOriginal
    except (OSError, ValueError, SyntaxError, AttributeError):
        return None
    for tag in EXIF_DATE_TAGS:
        v = sub.get(tag) or exif.get(tag)
        if isinstance(v, str) and len(v) >= 19 and v[4] == ":" and v[:4].isdigit():
            return f"{v[:4]}-{v[5:7]}-{v[8:10]}T{v[11:19]}"
    return None


def header(img: Image.Image) -> tuple[tuple[int, int], int, bytes | str | None]:
    """(upright (W, H) in pixels, EXIF orientation 1..8, the embedded XMP packet or None) of an opened image,
    from its header alone (the decoder, and the XMP reader that needs no pixels, share this)."""
    packet = img.info.get("xmp") or img.info.get("XML:com.adobe.xmp") or getattr(img, "tag_v2", {}).get(700)
    heif = "original_orientation" in img.info       # pillow-heif hands out HEIC pixels already upright
    try:
        o = int((img.info["original_orientation"] if heif else img.getexif().get(0x0112, 1)) or 1)
    except (OSError, ValueError, SyntaxError, TypeError):
        o = 1
    o = o if 1 <= o <= 8 else 1
    w, h = img.size
    tags = getattr(img, "tag_v2", None)
    if img.format == "TIFF" and tags is not None and 256 in tags and 257 in tags:
        w, h = int(tags[256]), int(tags[257])        # stored: Pillow may already report a TIFF turned upright
    return ((w, h) if heif or o < 5 else (h, w)), o, packet or None


def decode_photo(source: str | Path | bytes, long_side: int | None = None, max_pixels: int = MAX_PIXELS,
                 name: str | None = None) -> Photo:
    """Decode ``source`` (a path or encoded bytes). With ``long_side``, a JPEG larger than that is decoded in the
    DCT domain at the smallest of 1/8, 1/4, 1/2 whose long side is still >= ``long_side`` (several times faster
    than a full decode, and no resampling); other formats and smaller photos are decoded whole."""
    data, label = _read(source)
    label = name or label
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data))
        except UnidentifiedImageError as exc:
            raise NotAnImage(f"{label}: not an image file (no known image format).") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(f"{label}: the image is too large to decode safely.") from exc
        except (OSError, ValueError, SyntaxError) as exc:
            raise CorruptImage(f"{label}: the image header is damaged ({exc}).") from exc
        w, h = img.size
        if w <= 0 or h <= 0:
            raise CorruptImage(f"{label}: the image has no pixels.")
        if w * h > max_pixels:
            raise ImageTooLarge(
                f"{label}: {w}x{h} pixels is more than the {max_pixels // 1_000_000} MP this app decodes."
            )
        taken = _taken(img)
        upright, orientation, packet = header(img)
        if long_side and img.format == "JPEG" and max(w, h) > long_side:
            r = next((r for r in DRAFT_REDUCTIONS if max(w, h) / r >= long_side), 1)
            if r > 1:
                img.draft("RGB", (w // r, h // r))  # Pillow picks the largest reduction that keeps this size
        try:
            img.load()
            scale = img.size[0] / w
            img = ImageOps.exif_transpose(img)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageTooLarge(f"{label}: the image is too large to decode safely.") from exc
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as exc:
            raise CorruptImage(f"{label}: the image data is damaged or truncated ({exc}).") from exc
    return Photo(to_rgb8(img), scale, upright, label, taken, data if scale < 1.0 else None, orientation, packet)


def load_image(source: str | Path | bytes, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode ``source`` (a path or encoded bytes) to an (H, W, 3) uint8 RGB array at full resolution."""
    return decode_photo(source, max_pixels=max_pixels).pixels


def to_rgb8(img: Image.Image) -> np.ndarray:
    """Any Pillow mode -> (H, W, 3) uint8 RGB, transparency composited on white."""
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        hi = 65535.0 if mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        gray = np.clip(arr / hi * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2)
    if mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if mode in ("RGBA", "LA", "PA", "RGBa", "La") or img.mode == "RGBA":
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
    return np.ascontiguousarray(rgb)


def ensure_rgb8(image: np.ndarray) -> np.ndarray:
    """Validate an in-memory frame: (H, W), (H, W, 3|4) of uint8 or uint16 -> RGB uint8."""
    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise CorruptImage(f"An image array must be (H, W) or (H, W, C); got shape {arr.shape}.")
    if arr.dtype == np.uint16:
        arr = (arr >> 8).astype(np.uint8)
    elif arr.dtype != np.uint8:
        if np.issubdtype(arr.dtype, np.floating) and arr.max(initial=0) <= 1.0:
            arr = arr * 255.0
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    elif arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] == 4:
        alpha = arr[:, :, 3:4].astype(np.float32) / 255.0
        arr = (arr[:, :, :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    elif arr.shape[2] != 3:
        raise CorruptImage(f"An image array must have 1, 3 or 4 channels; got {arr.shape[2]}.")
    return np.ascontiguousarray(arr)
