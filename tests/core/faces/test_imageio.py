import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from core.errors import CorruptImage, ImageTooLarge, NotAnImage
from core.faces.imageio import ensure_rgb8, load_image


def _png_bytes(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _bomb_png(w: int, h: int) -> bytes:
    """A valid grayscale PNG of w x h zero pixels: tiny on disk, huge when decoded."""
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)
    comp = zlib.compressobj(9)
    row = b"\x00" * (w + 1)
    parts = [comp.compress(row) for _ in range(h)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def test_empty_file(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(CorruptImage, match="empty"):
        load_image(p)


def test_text_named_jpg(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("these are not pixels\n" * 10)
    with pytest.raises(NotAnImage, match="not an image"):
        load_image(p)


def test_truncated_jpeg(tmp_path, val_people):
    data = next(iter(val_people.values()))[0].read_bytes()
    p = tmp_path / "cut.jpg"
    p.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptImage):
        load_image(p)


def test_missing_and_folder(tmp_path):
    with pytest.raises(NotAnImage, match="no such file"):
        load_image(tmp_path / "nope.png")
    with pytest.raises(NotAnImage, match="folder"):
        load_image(tmp_path)


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    data = _bomb_png(12_000, 9_000)  # 108 MP
    assert len(data) < 1_000_000
    p = tmp_path / "bomb.png"
    p.write_bytes(data)
    with pytest.raises(ImageTooLarge):
        load_image(p)


def test_grayscale_rgba_16bit_palette():
    g = load_image(_png_bytes(Image.fromarray(np.full((8, 9), 77, np.uint8))))
    assert g.shape == (8, 9, 3) and (g == 77).all()
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 0  # fully transparent -> white background
    out = load_image(_png_bytes(Image.fromarray(rgba, "RGBA")))
    assert (out == 255).all()
    arr16 = np.full((5, 5), 65535, np.uint16)
    out16 = load_image(_png_bytes(Image.fromarray(arr16)))
    assert out16.dtype == np.uint8 and (out16 == 255).all()
    pal = Image.fromarray(np.arange(16, dtype=np.uint8).reshape(4, 4)).convert("P")
    assert load_image(_png_bytes(pal)).shape == (4, 4, 3)


def test_exif_orientation_is_applied():
    img = Image.new("RGB", (40, 20), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif)
    out = load_image(buf.getvalue())
    assert out.shape == (40, 20, 3)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "TIFF", "WEBP"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_the_full_size_is_the_upright_size_of_the_decoded_pixels(fmt, orientation):
    """Every format and orientation: ``full_size`` (W, H) is the decoded pixels' (Pillow turns a TIFF itself)."""
    from core.faces.imageio import decode_photo

    img = Image.new("RGB", (60, 20), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    img.save(buf, fmt, exif=exif)
    photo = decode_photo(buf.getvalue())
    assert photo.full_size == photo.pixels.shape[1::-1] == ((20, 60) if orientation >= 5 else (60, 20))
    assert photo.orientation == orientation


def test_ensure_rgb8_arrays():
    assert ensure_rgb8(np.zeros((3, 3), np.uint16)).shape == (3, 3, 3)
    assert ensure_rgb8(np.ones((2, 2, 3), np.float32)).max() == 255
    with pytest.raises(CorruptImage):
        ensure_rgb8(np.zeros((2, 2, 5), np.uint8))
