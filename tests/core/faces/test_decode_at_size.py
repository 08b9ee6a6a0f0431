"""Decoding at the size needed: large JPEGs in the DCT domain, the faces found as at full size; EXIF orientation
and date; HEIC phone photos."""

import io

import numpy as np
from PIL import Image

from core.faces.imageio import decode_photo


def jpeg(img: Image.Image, **kw) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=92, **kw)
    return buf.getvalue()


def big_photo(val_people, size=(4032, 3024), enlarge=5) -> bytes:
    """A 12 MP phone-size JPEG: a real face photo enlarged onto a larger canvas (the face about 600 px)."""
    face = Image.open(val_people["jerry_seinfeld"][0]).convert("RGB")
    canvas = Image.new("RGB", size, (90, 110, 90))
    face = face.resize((face.width * enlarge, face.height * enlarge), Image.Resampling.BICUBIC)
    canvas.paste(face, (1200, 700))
    return jpeg(canvas)


def test_a_large_jpeg_is_decoded_in_the_dct_domain_and_again_larger_on_request(val_people):
    data = big_photo(val_people)
    small = decode_photo(data, long_side=960)
    assert small.scale == 0.25 and small.pixels.shape == (756, 1008, 3) and small.full_size == (4032, 3024)
    half = small.at_scale(0.3)
    assert half.scale == 0.5 and half.pixels.shape == (1512, 2016, 3)
    assert decode_photo(data).scale == 1.0 and decode_photo(data, long_side=5000).scale == 1.0
    odd = decode_photo(jpeg(Image.new("RGB", (3061, 4601), (90, 110, 90))), long_side=960)  # sides not / 4
    assert odd.pixels.shape == (1151, 766, 3)


def test_a_small_face_is_decoded_again_only_as_large_as_its_crop_needs(val_people):
    from core.config import Settings
    from core.faces import FaceAnalyzer
    from core.faces.alignment import crop_scale

    analyzer = FaceAnalyzer(Settings(), warmup=False)
    tmpl = analyzer.embedder.spec.alignment()
    small = decode_photo(big_photo(val_people, enlarge=2), long_side=960)      # the face about 60 px at 1/4
    assert small.scale == 0.25 and crop_scale(analyzer.detect(small.pixels)[0].landmarks, tmpl) > 1
    photo, faces = analyzer.detect_photo(small)
    assert photo.scale == 0.5 and len(faces) == 1                               # not the full 12 MP
    assert crop_scale(faces[0].landmarks, tmpl) <= 1.0
    full_photo = decode_photo(big_photo(val_people, enlarge=2))
    full = analyzer.analyze(full_photo.pixels)[0]
    reduced = analyzer.align(photo.pixels, faces)
    assert float(full.embedding @ analyzer.embedder.embed(reduced)[0]) > 0.97


def test_faces_found_at_reduced_size_are_the_faces_found_at_full_size(val_people, tmp_path):
    from core.config import Settings
    from core.faces import FaceAnalyzer
    from core.live import iou

    path = tmp_path / "big.jpg"
    path.write_bytes(big_photo(val_people))
    full = next(FaceAnalyzer(Settings(decode_size=0), warmup=False).analyze_paths([path]))
    reduced = next(FaceAnalyzer(Settings(), warmup=False).analyze_paths([path]))
    assert len(full.faces) == len(reduced.faces) == 1 and reduced.image_shape == full.image_shape == (3024, 4032)
    a, b = full.faces[0], reduced.faces[0]
    assert iou(a.box, b.box) > 0.95                                   # reported in full-size pixels
    assert np.abs(a.detection.landmarks - b.detection.landmarks).max() < 0.02 * (a.box[2] - a.box[0])
    assert float(a.embedding @ b.embedding) > 0.97


def test_exif_orientation_and_date(val_people):
    img = Image.open(val_people["madonna"][0]).convert("RGB")
    exif = Image.Exif()
    exif[0x0112] = 6                                                  # rotated 90 degrees clockwise
    exif.get_ifd(0x8769)[0x9003] = "2021:07:04 12:30:15"             # DateTimeOriginal
    p = decode_photo(jpeg(img, exif=exif.tobytes()))
    assert p.pixels.shape[:2] == (img.width, img.height) and p.full_size == (img.height, img.width)
    assert p.taken == "2021-07-04T12:30:15"
    assert decode_photo(jpeg(img)).taken is None


def test_heic_phone_photos_are_read(val_people, tmp_path):
    from core.config import Settings
    from core.faces import FaceAnalyzer

    img = Image.open(val_people["madonna"][0]).convert("RGB")
    heic = tmp_path / "phone.heic"
    img.save(heic, format="HEIF", quality=90)
    res = next(FaceAnalyzer(Settings(), warmup=False).analyze_paths([heic]))
    assert res.error is None and len(res.faces) >= 1
