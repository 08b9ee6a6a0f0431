"""XMP face regions against the real exiftool: what other tools write we read, what we write they read.

Photos are made here with Pillow: a red block on white at a known place of the *stored* image, so the upright
box every check expects is measured on the photo as the app decodes it (``decode_photo``, EXIF orientation
applied), not derived with the module's own maths. exiftool is the other tool: without it these tests are
skipped on a developer's machine and fail under ``CI=true`` (install: ``apt-get install libimage-exiftool-perl``).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from core.errors import BadValue, SidecarNotWritten
from core.faces.imageio import decode_photo
from core.library import xmp
from core.library.xmp import read_regions, write_sidecar

STORED = (300, 200)                  # stored (W, H) of every test photo
BLOCK = (40, 32, 64, 80)             # the red block: x, y, w, h in stored pixels


def et(*args: str | Path) -> None:
    subprocess.run(["exiftool", "-q", "-q", "-overwrite_original", *map(str, args)], check=True, timeout=60)


def et_json(path: Path, *tags: str) -> dict:
    out = subprocess.run(["exiftool", "-json", "-struct", *tags, str(path)], check=True, timeout=60,
                         capture_output=True, text=True).stdout
    return json.loads(out)[0]


def photo(path: Path, orientation: int = 1, fmt: str = "JPEG", **save) -> Path:
    img = Image.new("RGB", STORED, "white")
    x, y, w, h = BLOCK
    img.paste((220, 0, 0), (x, y, x + w, y + h))
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    img.save(path, fmt, exif=exif, **({"quality": 95} if fmt == "JPEG" else {}), **save)
    return path


def red_box(path: Path) -> list[float]:
    """The red block's [x, y, w, h] in the upright photo, as the app decodes it."""
    px = decode_photo(path).pixels.astype(int)
    ys, xs = np.nonzero((px[..., 0] > 150) & (px[..., 1] < 100) & (px[..., 2] < 100))
    return [xs.min(), ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]


def mwg(regions: list[tuple[str | None, float, float, float, float]], dims: tuple[int, int] = STORED,
        kind: str = "Face") -> str:
    """exiftool's struct syntax for an MWG region list; each region (name, centre x, centre y, w, h) normalised."""
    items = [f"{{Area={{X={x},Y={y},W={w},H={h},Unit=normalized}},{f'Name={n},' if n else ''}Type={kind}}}"
             for n, x, y, w, h in regions]
    return (f"-XMP-mwg-rs:RegionInfo={{AppliedToDimensions={{W={dims[0]},H={dims[1]},Unit=pixel}},"
            f"RegionList=[{','.join(items)}]}}")


def block_area() -> tuple[float, float, float, float]:
    """The red block as MWG writes it: centre x, centre y, w, h normalised to the stored image."""
    x, y, w, h = BLOCK
    return (x + w / 2) / STORED[0], (y + h / 2) / STORED[1], w / STORED[0], h / STORED[1]


def close(a, b, tol: float = 1.5) -> bool:
    return len(a) == len(b) and all(abs(float(p) - float(q)) <= tol for p, q in zip(a, b))


def named(regions) -> dict[str, list[float]]:
    return {r.name: r.box for r in regions}


@pytest.mark.parametrize("shorthand", [False, True], ids=["element-form", "attribute-form"])
def test_regions_exiftool_wrote_into_a_jpeg_are_read(tmp_path, exiftool, shorthand):
    p = photo(tmp_path / "a.jpg")
    et(*(["-api", "XMPShorthand=1"] if shorthand else []),
       mwg([("Ann Lee", *block_area()), ("Bob", 0.8, 0.5, 0.1, 0.2), (None, 0.5, 0.5, 0.1, 0.1)]), p)
    regions, warnings = read_regions(p)
    assert warnings == []
    assert [r.name for r in regions] == ["Ann Lee", "Bob"], "the unnamed face is left out"
    assert close(named(regions)["Ann Lee"], red_box(p))
    assert close(named(regions)["Bob"], [0.75 * 300, 0.4 * 200, 30, 40])
    assert {(r.kind, r.source) for r in regions} == {("mwg", str(p))}


@pytest.mark.parametrize("sidecar", ["a.xmp", "a.jpg.xmp"])
def test_regions_in_a_sidecar_come_first_and_are_not_repeated(tmp_path, exiftool, sidecar):
    p = photo(tmp_path / "a.jpg")
    et(mwg([("Ann", *block_area()), ("Dan", 0.5, 0.5, 0.2, 0.2)]), p)
    subprocess.run(["exiftool", "-q", "-o", str(tmp_path / sidecar), mwg([("Ann", *block_area()),
                    ("Cy", 0.5, 0.8, 0.1, 0.1)])], check=True, timeout=60)
    regions, warnings = read_regions(p)
    assert warnings == []
    assert [(r.name, Path(r.source).name) for r in regions] == [("Ann", sidecar), ("Cy", sidecar), ("Dan", "a.jpg")]
    assert close(regions[0].box, red_box(p)) and close(regions[1].box, [135, 150, 30, 20])


def test_microsoft_people_tags_are_read_with_their_top_left_corner(tmp_path, exiftool):
    p = photo(tmp_path / "a.jpg")
    x, y, w, h = (v / s for v, s in zip(BLOCK, STORED * 2))
    et(f"-RegionInfoMP={{Regions=[{{PersonDisplayName=Dee,Rectangle={x}|, {y}|, {w}|, {h}}},"
       f"{{Rectangle=0.5|, 0.5|, 0.1|, 0.1}}]}}", mwg([("dee", *block_area())]), p)   # both, as digiKam writes
    regions, warnings = read_regions(p)
    assert warnings == []
    assert [(r.name, r.kind) for r in regions] == [("Dee", "mp")], "one face, named twice, is one region"
    assert close(regions[0].box, red_box(p))


def test_every_exif_orientation_gives_boxes_in_upright_pixels(tmp_path, exiftool):
    paths = [photo(tmp_path / f"o{o}.jpg", o) for o in range(1, 9)]
    et(mwg([("Ann", *block_area())]), *paths)              # MWG: normalised to the stored image
    for o, p in enumerate(paths, start=1):
        upright = decode_photo(p).full_size
        assert upright == (STORED[::-1] if o >= 5 else STORED)
        expected = red_box(p)
        regions, warnings = read_regions(p)
        assert warnings == [] and len(regions) == 1
        assert close(regions[0].box, expected), (o, regions[0].box, expected)
        decoded = decode_photo(p)                                 # as the scan calls it: what the decoder read
        given, _ = read_regions(p, (decoded.full_size, decoded.orientation, decoded.xmp))
        assert given[0].box == regions[0].box


def test_a_scan_reads_the_names_from_what_the_decoder_read_without_opening_the_photo_again(tmp_path, exiftool,
                                                                                           monkeypatch):
    """The scan's photo is opened once: its XMP packet and orientation come with the decoded photo."""
    from core.faces.analyzer import Face, ImageResult
    from core.faces.detection.base import DetectedFace
    from core.library.scan import tagged_records

    p = photo(tmp_path / "o6.jpg", 6)
    et(mwg([("Ann", *block_area())]), p)
    d = decode_photo(p)
    assert d.orientation == 6 and b"Ann" in (d.xmp if isinstance(d.xmp, bytes) else d.xmp.encode())

    def opened_again(_path):
        raise AssertionError("the photo was opened a second time")

    monkeypatch.setattr(xmp, "probe", opened_again)
    x, y, w, h = red_box(p)
    box = np.array([x, y, x + w, y + h], np.float32)
    eyes = np.array([[x + w * .3, y + h * .4], [x + w * .7, y + h * .4], [x + w * .5, y + h * .6],
                     [x + w * .35, y + h * .8], [x + w * .65, y + h * .8]], np.float32)
    face = Face(DetectedFace(box, eyes, 0.99), np.zeros((112, 112, 3), np.uint8), np.zeros(4, np.float32))
    res = ImageResult(path=str(p), faces=[face], image_shape=d.full_size[::-1], orientation=d.orientation, xmp=d.xmp)
    records, warnings = tagged_records(res)
    assert warnings == [] and records[0]["tag"][0] == "Ann"


def test_a_writer_that_measured_the_turned_photo_is_understood(tmp_path, exiftool):
    p = photo(tmp_path / "a.jpg", 6)
    x, y, w, h = red_box(p)                                 # upright box on the 200x300 upright image
    subprocess.run(["exiftool", "-q", "-o", str(tmp_path / "a.xmp"), mwg(
        [("Ann", (x + w / 2) / 200, (y + h / 2) / 300, w / 200, h / 300)], dims=(200, 300))], check=True, timeout=60)
    regions, _ = read_regions(p)
    assert close(regions[0].box, [x, y, w, h])
    write_sidecar(p, [("Bob", [10, 10, 20, 20])], (200, 300), 6)   # Ann kept, re-measured on the stored image
    info = et_json(tmp_path / "a.xmp", "-RegionInfo")["RegionInfo"]
    assert info["AppliedToDimensions"]["W"] == 300
    area = [info["RegionList"][0]["Area"][k] for k in "XYWH"]
    assert close([a * s for a, s in zip(area, STORED * 2)], [72, 72, 64, 80], 2)
    assert close(named(read_regions(p)[0])["Ann"], [x, y, w, h])


def test_exiftool_reads_the_sidecar_we_write(tmp_path, exiftool):
    p = photo(tmp_path / "a.jpg", 6)
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    box = red_box(p)
    out = write_sidecar(p, [("Ann Lee", box), ("Bob", [150, 250, 80, 80])], decode_photo(p).full_size, 6)
    assert out == tmp_path / "a.xmp"
    assert hashlib.sha256(p.read_bytes()).hexdigest() == before, "the photo is never touched"
    info = et_json(out, "-RegionInfo")["RegionInfo"]
    assert info["AppliedToDimensions"] == {"W": 300, "H": 200, "Unit": "pixel"}, "the stored size, as MWG says"
    ann, bob = info["RegionList"]
    assert (ann["Name"], ann["Type"], bob["Name"]) == ("Ann Lee", "Face", "Bob")
    area = [ann["Area"][k] for k in "XYWH"]
    assert close([a * s for a, s in zip(area, STORED * 2)], [72, 72, 64, 80], 2), "the block's stored place"
    assert bob["Area"]["X"] + bob["Area"]["W"] / 2 == pytest.approx(1.0), "Bob clipped to the image's edge"
    regions, warnings = read_regions(p)
    assert warnings == [] and close(named(regions)["Ann Lee"], box) and close(named(regions)["Bob"], [150, 250, 50, 50])


def test_writing_keeps_other_properties_and_regions_and_replaces_our_own(tmp_path, exiftool):
    p = photo(tmp_path / "a.jpg")
    sidecar = tmp_path / "a.xmp"
    subprocess.run(["exiftool", "-q", "-o", str(sidecar), "-XMP-dc:Title=Holiday", "-XMP-xmp:Rating=4",
                    "-XMP-dc:Subject=beach", "-XMP-dc:Subject=sea",
                    "-RegionInfoMP={Regions=[{PersonDisplayName=Eve,Rectangle=0.6|, 0.1|, 0.1|, 0.1}]}",
                    mwg([("Stranger", 0.9, 0.2, 0.1, 0.1), ("Ann", *block_area()), (None, 0.1, 0.9, 0.1, 0.1)])],
                   check=True, timeout=60)
    box = red_box(p)
    nudged = [box[0] + 3, box[1] - 2, box[2], box[3]]
    for _ in range(2):   # twice: a second write changes nothing
        assert write_sidecar(p, [("ann", nudged), ("Bob", [200, 100, 40, 40])], STORED, 1) == sidecar
    got = et_json(sidecar, "-XMP:all")
    assert (got["Title"], got["Rating"], got["Subject"]) == ("Holiday", 4, ["beach", "sea"])
    assert got["RegionInfoMP"]["Regions"][0]["PersonDisplayName"] == "Eve"
    names = [r.get("Name") for r in got["RegionInfo"]["RegionList"]]
    assert names == ["Stranger", None, "ann", "Bob"], "others kept, Ann replaced once, Bob added"
    regions, _ = read_regions(p)
    assert close(named(regions)["ann"], nudged) and close(named(regions)["Stranger"], [255, 30, 30, 20])


def test_an_existing_photo_jpg_xmp_is_the_sidecar_written(tmp_path):
    p = photo(tmp_path / "a.jpg")
    (tmp_path / "a.jpg.xmp").write_text("<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF "
                                        "xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/></x:xmpmeta>")
    assert write_sidecar(p, [("Ann", red_box(p))], STORED) == tmp_path / "a.jpg.xmp"
    assert not (tmp_path / "a.xmp").exists()
    assert [r.name for r in read_regions(p)[0]] == ["Ann"]


BOMB = ("<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'aaaaaaaaaa'>" + "".join(
    f"<!ENTITY {chr(98 + i)} '{('&' + chr(97 + i) + ';') * 10}'>" for i in range(9))
        + "]><x:xmpmeta xmlns:x='adobe:ns:meta/'>&j;</x:xmpmeta>")
GOOD = """<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>
<rdf:Description xmlns:mwg-rs='http://www.metadataworkinggroup.com/schemas/regions/'
 xmlns:stArea='http://ns.adobe.com/xmp/sType/Area#'><mwg-rs:Regions rdf:parseType='Resource'><mwg-rs:RegionList>
<rdf:Bag>{}</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions></rdf:Description></rdf:RDF></x:xmpmeta>"""
LI = ("<rdf:li rdf:parseType='Resource'><mwg-rs:Name>{}</mwg-rs:Name><mwg-rs:Area stArea:x='{}' stArea:y='{}' "
      "stArea:w='{}' stArea:h='{}' stArea:unit='normalized'/></rdf:li>")


@pytest.mark.parametrize("content, says", [
    (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF>", "not well-formed"),
    (BOMB.encode(), "DOCTYPE"),
    (b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>\xe9t\xe9</x:xmpmeta>", "not UTF-8"),
    (b" " * (5 << 20), "over the 4 MB"),
    (GOOD.format(LI.format("Far", 1.5, 1.5, 0.1, 0.1)).encode(), "no area inside the image"),
    (GOOD.format(LI.format("Odd", "abc", 0.5, 0.1, 0.1)).encode(), "no usable area"),
    (GOOD.replace("<mwg-rs:Regions", "<rdf:Description>" * 100_000 + "</rdf:Description>" * 100_000
                  + "<mwg-rs:Regions").encode(), "cannot be read (RecursionError)"),
], ids=["malformed", "doctype-bomb", "not-utf8", "5MB", "outside", "bad-number", "deeply-nested"])
def test_a_bad_sidecar_is_one_warning_and_the_photo_still_counts(tmp_path, content, says):
    p = photo(tmp_path / "a.jpg", xmp=GOOD.format(LI.format("Ann", *block_area())).encode())
    (tmp_path / "a.xmp").write_bytes(content)
    start = time.perf_counter()
    regions, warnings = read_regions(p)
    assert time.perf_counter() - start < 2.0
    assert len(warnings) == 1 and says in warnings[0] and "a.xmp" in warnings[0], warnings
    assert [r.name for r in regions] == ["Ann"] and close(regions[0].box, red_box(p)), "the embedded XMP is read"


def test_bad_embedded_packets_never_raise(tmp_path):
    big = PngImagePlugin.PngInfo()
    big.add_itxt("XML:com.adobe.xmp", GOOD.format(LI.format("Ann", 0.5, 0.5, 0.1, 0.1)) + " " * (5 << 20))
    png = photo(tmp_path / "big.png", fmt="PNG", pnginfo=big)
    bomb = photo(tmp_path / "bomb.jpg", xmp=BOMB.encode())
    partly = photo(tmp_path / "partly.jpg", xmp=GOOD.format(LI.format("Ann", 0.95, 0.5, 0.2, 0.1)).encode())
    (tmp_path / "junk.jpg").write_bytes(b"not a photo")
    (tmp_path / "junk.xmp").write_text(GOOD.format(LI.format("Ann", 0.5, 0.5, 0.2, 0.2)))
    assert "over the 4 MB" in read_regions(png)[1][0]
    assert "DOCTYPE" in read_regions(bomb)[1][0]
    regions, warnings = read_regions(partly)
    assert warnings == [] and close(regions[0].box, [255, 90, 45, 20]), "clipped to the image"
    regions, warnings = read_regions(tmp_path / "junk.jpg")
    assert regions == [] and "cannot be opened as an image" in warnings[0] and "not read" in warnings[1]
    regions, warnings = read_regions(tmp_path / "junk.jpg", ((100, 50), 1, None))
    assert close(regions[0].box, [40, 20, 20, 10]), "with its size given, the sidecar still counts"
    assert read_regions(tmp_path / "missing.jpg")[0] == []


def test_a_read_only_folder_or_damaged_sidecar_is_refused_and_nothing_changes(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    p = photo(folder / "a.jpg")
    folder.chmod(0o555)
    try:
        if os.access(folder, os.W_OK):   # root writes anywhere: make the folder refuse as a read-only one would
            def refuse(*args, **kwargs):
                raise PermissionError(13, "Permission denied")
            monkeypatch.setattr("core.fileutil.tempfile.mkstemp", refuse)
        with pytest.raises(SidecarNotWritten, match="cannot be written.*read-only"):
            write_sidecar(p, [("Ann", red_box(p))], STORED)
    finally:
        folder.chmod(0o755)
    assert sorted(f.name for f in folder.iterdir()) == ["a.jpg"]
    monkeypatch.undo()
    damaged = tmp_path / "b.xmp"
    damaged.write_bytes(b"<x:xmpmeta><rdf:RDF>")
    with pytest.raises(SidecarNotWritten, match="left as it is"):
        write_sidecar(photo(tmp_path / "b.jpg"), [("Ann", [1, 1, 10, 10])], STORED)
    assert damaged.read_bytes() == b"<x:xmpmeta><rdf:RDF>"
    with pytest.raises(BadValue):
        write_sidecar(p, [("Ann", [400, 400, 10, 10])], STORED)
    assert xmp.sidecar_paths(p) == [folder / "a.jpg.xmp", folder / "a.xmp"]
