"""Face names in XMP: read the face regions other tools stored, write ours to a sidecar.

Read: MWG regions (``mwg-rs:Regions``: digiKam, Lightroom, Picasa, Apple Photos, Mylio; attribute or element
form) and Microsoft People tags (``MP:RegionInfo``) from the photo's embedded packet (JPEG, PNG, TIFF, WebP,
HEIC: what Pillow exposes, no pixel decoded) and the sidecars ``photo.jpg.xmp`` and ``photo.xmp``, merged,
sidecars first, a face already read (same name, IoU >= 0.5) not repeated. Only named faces (MWG ``Type`` Face
or absent) are returned, clipped to the image. A bad photo never raises: each problem is one warning sentence.

Orientation rule, from the MWG Guidelines for Handling Image Metadata 2.0 (5.9 with 5.4): "Region metadata is
applied to the stored image. When applying a rotation by applying Exif Orientation, the rotation must be applied
to the regions as well". Microsoft People tags are also relative to the stored image (exiftool's
``rotate_regions.config`` turns both alike). So coordinates are normalised (0..1) to the image *as stored* and
``mwg-rs:AppliedToDimensions`` is the stored size in pixels; we apply the EXIF orientation to reach our boxes
``[x, y, w, h]`` in full-size pixels of the upright image, and :func:`write_sidecar` does the reverse. One
tolerance: for a photo turned by 90 degrees whose AppliedToDimensions has the upright aspect ratio (not the
stored one), the writer measured the displayed image, and its MWG regions are taken as upright.
MWG ``stArea:x/y`` is the box *centre*; MP ``Rectangle`` is "left, top, width, height".
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from PIL import Image

from core.errors import BadValue, SidecarNotWritten
from core.faces.imageio import header  # importing imageio registers the HEIC opener and Pillow's pixel limit
from core.fileutil import shown, write_bytes_atomic

MAX_PACKET_BYTES = 4 << 20     # larger XMP packets and sidecars are refused unread
SAME_FACE_IOU = 0.5            # two boxes of one name overlapping this much are one face

NS = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
      "mwg-rs": "http://www.metadataworkinggroup.com/schemas/regions/",
      "stDim": "http://ns.adobe.com/xap/1.0/sType/Dimensions#", "stArea": "http://ns.adobe.com/xmp/sType/Area#",
      "MP": "http://ns.microsoft.com/photo/1.2/", "MPRI": "http://ns.microsoft.com/photo/1.2/t/RegionInfo#",
      "MPReg": "http://ns.microsoft.com/photo/1.2/t/Region#", "xml": "http://www.w3.org/XML/1998/namespace"}


def _q(name: str) -> str:
    """'mwg-rs:Name' -> '{uri}Name' (ElementTree's notation)."""
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


RDF, DESC, LI = _q("rdf:RDF"), _q("rdf:Description"), _q("rdf:li")
ARRAYS = {_q("rdf:Bag"), _q("rdf:Seq"), _q("rdf:Alt")}
Value = ET.Element | str | None


@dataclass
class Region:
    """A named face: ``box`` [x, y, w, h] in full-size pixels of the upright image; ``kind`` "mwg" or "mp";
    ``source`` the file (photo or sidecar) it was read from."""

    name: str
    box: list[float]
    kind: str
    source: str


Header = tuple[tuple[int, int], int, "bytes | str | None"]   # (upright (W, H), EXIF orientation, XMP)


def _stored(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    return (size[1], size[0]) if orientation >= 5 else (size[0], size[1])   # upright (W, H) -> stored (W, H)


# EXIF orientation: a normalised point (u, v) of the stored image -> the same point of the upright image
_MAP = {1: lambda u, v: (u, v), 2: lambda u, v: (1 - u, v), 3: lambda u, v: (1 - u, 1 - v),
        4: lambda u, v: (u, 1 - v), 5: lambda u, v: (v, u), 6: lambda u, v: (1 - v, u),
        7: lambda u, v: (1 - v, 1 - u), 8: lambda u, v: (v, 1 - u)}
_INVERSE = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}


def _turn(box: Sequence[float], orientation: int) -> list[float]:
    """A normalised [left, top, w, h] through an orientation's point map."""
    f = _MAP[orientation]
    (x0, y0), (x1, y1) = f(box[0], box[1]), f(box[0] + box[2], box[1] + box[3])
    return [min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0)]


def _same_face(name_a: str, a: Sequence[float], name_b: str, b: Sequence[float]) -> bool:
    """Same name (case and spaces aside) and boxes overlapping by IoU >= SAME_FACE_IOU."""
    iw = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    union = a[2] * a[3] + b[2] * b[3] - iw * ih
    return (name_a.strip().casefold() == name_b.strip().casefold() and union > 0
            and iw * ih / union >= SAME_FACE_IOU)


def _parse(data: bytes | str) -> tuple[ET.Element, dict[str, str]]:
    """An XMP packet -> (its root element, {namespace uri: prefix}); ValueError with the reason when unusable."""
    if len(data) > MAX_PACKET_BYTES:
        raise ValueError(f"its XMP is over the {MAX_PACKET_BYTES >> 20} MB read (refused unread)")
    try:
        text = data if isinstance(data, str) else data.decode(
            "utf-16" if data[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8")
    except UnicodeDecodeError:
        raise ValueError("its XMP is not UTF-8 text") from None
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise ValueError("its XMP declares a DOCTYPE or entities, which XMP never needs (refused unread)")
    for start_tag, end_tag in (("<x:xmpmeta", "</x:xmpmeta>"), ("<rdf:RDF", "</rdf:RDF>")):
        start, end = text.find(start_tag), text.rfind(end_tag)
        if 0 <= start < end:   # the packet without its wrapper, padding or trailing bytes
            text = text[start:end + len(end_tag)]
            break
    parser = ET.XMLPullParser(events=("start", "start-ns"))
    try:
        parser.feed(text)
        parser.close()
    except ET.ParseError as exc:
        raise ValueError(f"its XMP is not well-formed XML ({exc})") from None
    events = list(parser.read_events())   # a document without an element was refused by close()
    return (next(obj for event, obj in events if event == "start"),
            {obj[1]: obj[0] for event, obj in reversed(events) if event == "start-ns"})


def _struct(el: ET.Element) -> dict[str, Value]:
    """The fields of an RDF struct node (property element, rdf:li or rdf:Description) in any RDF form."""
    rdf_ns = f"{{{NS['rdf']}}}"
    out: dict[str, Value] = {k: v for k, v in el.attrib.items() if not k.startswith((rdf_ns, f"{{{NS['xml']}}}"))}
    for child in el:
        if child.tag == DESC:
            out.update(_struct(child))
        elif not child.tag.startswith(rdf_ns):
            out.setdefault(child.tag, child)
    return out


def _text(value: Value) -> str:
    if not isinstance(value, ET.Element):
        return (value or "").strip()
    for arr in value:
        if arr.tag in ARRAYS:   # a language alternative or a list: its first item
            return next(((li.text or "").strip() for li in arr if li.tag == LI), "")
    return (value.text or "").strip()


def _items(value: Value) -> list[ET.Element]:
    """The rdf:li of an array-valued property."""
    for node in [value, *value.findall(DESC)] if isinstance(value, ET.Element) else []:
        for arr in node:
            if arr.tag in ARRAYS:
                return [li for li in arr if li.tag == LI]
    return []


def _mwg_info(regions: Value, size: tuple[int, int], orientation: int) -> tuple[int, list[ET.Element]]:
    """(the orientation that turns these regions upright, the rdf:li of the RegionList). It is 1 for a photo
    turned by 90 degrees whose AppliedToDimensions has the upright aspect ratio, not the stored one."""
    info = _struct(regions) if isinstance(regions, ET.Element) else {}
    dims = info.get(_q("mwg-rs:AppliedToDimensions"))
    d = _struct(dims) if isinstance(dims, ET.Element) else {}
    (sw, sh), items = _stored(size, orientation), _items(info.get(_q("mwg-rs:RegionList")))
    try:
        ratio = float(_text(d.get(_q("stDim:w")))) / float(_text(d.get(_q("stDim:h"))))
    except (ValueError, ZeroDivisionError):
        return orientation, items
    upright = orientation >= 5 and sw != sh and abs(ratio * sw / sh - 1) < 0.02 <= abs(ratio * sh / sw - 1)
    return (1 if upright else orientation), items


def _face(li: ET.Element, kind: str = "mwg") -> tuple[str, list[float]] | str | None:
    """(name, normalised [left, top, w, h] as written), None when not a named face, or the problem."""
    s = _struct(li)
    if kind == "mp":
        name, a = _text(s.get(_q("MPReg:PersonDisplayName"))), {}
        values = _text(s.get(_q("MPReg:Rectangle"))).split(",")
    else:
        area, face = s.get(_q("mwg-rs:Area")), _text(s.get(_q("mwg-rs:Type"))).lower() in ("", "face")
        name = _text(s.get(_q("mwg-rs:Name"))) if face else ""
        a = _struct(area) if isinstance(area, ET.Element) else {}
        values = [_text(a.get(_q(f"stArea:{k}"))) for k in "xywh"]
    if not name:
        return None
    if _text(a.get(_q("stArea:unit"))).lower() not in ("", "normalized"):
        return f"the face of {name!r} has an area unit other than 'normalized'"
    try:
        x, y, w, h = (float(v) for v in values)
    except ValueError:
        return f"the face of {name!r} has no usable {'rectangle' if kind == 'mp' else 'area'}"
    return name, [x, y, w, h] if kind == "mp" else [x - w / 2, y - h / 2, w, h]


def _to_pixels(box: Sequence[float], orientation: int, size: tuple[int, int]) -> list[float] | None:
    """Normalised stored box -> upright pixel box clipped to the image; None when none of it is inside."""
    if not all(map(math.isfinite, box)) or box[2] <= 0 or box[3] <= 0:
        return None
    u = _turn(box, orientation)
    x0, y0, x1, y1 = max(0.0, u[0]), max(0.0, u[1]), min(1.0, u[0] + u[2]), min(1.0, u[1] + u[3])
    if x1 <= x0 or y1 <= y0:
        return None
    W, H = size
    return [round(x0 * W, 2), round(y0 * H, 2), round((x1 - x0) * W, 2), round((y1 - y0) * H, 2)]


def _packet_regions(data: bytes | str, source: str, size: tuple[int, int],
                    orientation: int) -> tuple[list[Region], list[str]]:
    label = shown(source)
    try:
        root, _ = _parse(data)
    except ValueError as exc:
        return [], [f"{label}: {exc}; its face names were not read."]
    out: list[Region] = []
    warnings: list[str] = []
    rdf = root if root.tag == RDF else root.find(RDF)
    for desc in [] if rdf is None else rdf.findall(DESC):
        fields = _struct(desc)
        mwg_turn, mwg = _mwg_info(fields.get(_q("mwg-rs:Regions")), size, orientation)
        mp_info = fields.get(_q("MP:RegionInfo"))
        mp = _items(_struct(mp_info).get(_q("MPRI:Regions"))) if isinstance(mp_info, ET.Element) else []
        for kind, items, turn in (("mwg", mwg, mwg_turn), ("mp", mp, orientation)):
            for li in items:
                got = _face(li, kind)
                if isinstance(got, str):
                    warnings.append(f"{label}: {got}; it was skipped.")
                elif got is not None:
                    box = _to_pixels(got[1], turn, size)
                    if box is None:
                        warnings.append(f"{label}: the face of {got[0]!r} has no area inside the image; it was skipped.")
                    else:
                        out.append(Region(got[0], box, kind, source))
    return out, warnings


def sidecar_paths(photo_path: str | Path) -> list[Path]:
    """The sidecars a photo may have, in reading order: ``photo.jpg.xmp`` then ``photo.xmp``."""
    return [Path(photo_path).with_name(Path(photo_path).name + ".xmp"), Path(photo_path).with_suffix(".xmp")]


def probe(photo: Path) -> Header:
    """What :func:`read_regions` needs of a photo, from its header alone (no pixels decoded)."""
    with Image.open(photo) as img:
        return header(img)


def read_regions(photo_path: str | Path, facts: Header | None = None) -> tuple[list[Region], list[str]]:
    """The named faces stored for a photo (sidecars first, then the photo's own XMP) and one warning sentence
    per problem; never raises. ``facts``: (upright full-size (W, H) in pixels, EXIF orientation 1..8, embedded
    XMP packet) as the decoder found them (a scan opens each photo once); read from the photo when not given."""
    photo, warnings, packets = Path(photo_path), [], []
    if facts is None:
        try:
            facts = probe(photo)
        except Exception as exc:  # noqa: BLE001 - any unreadable photo is one warning, never an exception
            facts = ((0, 0), 1, None)
            warnings.append(f"{shown(photo)}: cannot be opened as an image ({exc}).")
    size, orientation, packet = facts
    embedded = [] if packet is None else [(packet, str(photo))]
    size, orientation = (int(size[0]), int(size[1])), orientation if orientation in _MAP else 1
    if size[0] <= 0 or size[1] <= 0:
        return [], warnings + [f"{shown(photo)}: the image size is unknown; its face names were not read."]
    for sidecar in sidecar_paths(photo):
        try:
            if sidecar.is_file():
                with open(sidecar, "rb") as f:   # a sidecar over the limit is refused by its length, unparsed
                    packets.append((f.read(MAX_PACKET_BYTES + 1), str(sidecar)))
        except OSError as exc:
            warnings.append(f"{shown(sidecar)}: cannot be read ({exc.strerror or exc}).")
    found: list[Region] = []
    for data, source in packets + embedded:
        try:
            regions, problems = _packet_regions(data, source, size, orientation)
        except Exception as exc:  # noqa: BLE001 - whatever a file holds (say, 100,000 nested nodes): a warning
            regions, problems = [], [f"{shown(source)}: its XMP cannot be read ({type(exc).__name__})."]
        warnings += problems
        found += [r for i, r in enumerate(regions) if not any(_same_face(r.name, r.box, m.name, m.box)
                                                              for m in found + regions[:i])]
    return found, warnings


def _el(parent: ET.Element, name: str, text: str | None = None, resource: bool = False) -> ET.Element:
    el = ET.SubElement(parent, _q(name), {_q("rdf:parseType"): "Resource"} if resource else {})
    el.text = text
    return el


def _area(parent: ET.Element, box: Sequence[float]) -> None:
    """An element-form ``mwg-rs:Area`` for a normalised stored [left, top, w, h] (written as centre, w, h)."""
    area = _el(parent, "mwg-rs:Area", resource=True)
    for k, v in zip("xywh", (box[0] + box[2] / 2, box[1] + box[3] / 2, box[2], box[3])):
        _el(area, f"stArea:{k}", f"{v:.6f}")
    _el(area, "stArea:unit", "normalized")


def _serialise(root: ET.Element, prefixes: dict[str, str]) -> bytes:
    """The tree as an XMP sidecar, with the file's own prefixes, every namespace declared on the root."""
    names = {**{uri: p for p, uri in NS.items()}, **{u: p for u, p in prefixes.items() if p}}
    used: dict[str, str] = {}

    def qname(tag: str) -> str:
        if not tag.startswith("{"):
            return tag
        uri, local = tag[1:].split("}", 1)
        if uri not in used:
            free = [names.get(uri, "ns0")] + [f"ns{i}" for i in range(len(used) + 2)]
            used[uri] = "xml" if uri == NS["xml"] else next(p for p in free if p not in used.values() and p != "xml")
        return f"{used[uri]}:{local}"

    def write(el: ET.Element, decl: Callable[[], str] = lambda: "") -> str:
        tag = qname(el.tag)
        attrs = "".join(f" {qname(k)}={quoteattr(v)}" for k, v in el.attrib.items())
        inner = escape(el.text or "") + "".join(write(c) for c in el)
        start = f"<{tag}{decl()}{attrs}"
        return (f"{start}>{inner}</{tag}>" if inner else f"{start}/>") + escape(el.tail or "")

    ET.indent(root, space=" ")
    body = write(root, lambda: "".join(f" xmlns:{p}={quoteattr(u)}" for u, p in sorted(used.items(), key=lambda i: i[1])
                                     if p != "xml"))
    return f"<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>\n{body}\n<?xpacket end='w'?>\n".encode()


def _existing(target: Path) -> tuple[ET.Element, dict[str, str]]:
    """The sidecar's x:xmpmeta tree and prefixes (a new one when there is none); refuses a damaged one."""
    if not target.is_file():
        return ET.fromstring(f"<x:xmpmeta xmlns:x='{NS['x']}'><rdf:RDF xmlns:rdf='{NS['rdf']}'/></x:xmpmeta>"), {}
    try:
        with open(target, "rb") as f:
            root, prefixes = _parse(f.read(MAX_PACKET_BYTES + 1))
    except (OSError, ValueError) as exc:
        raise SidecarNotWritten(f"{shown(target)}: the existing sidecar cannot be used ({exc}); it was left as it is "
                                "and no face names were written.") from exc
    if root.tag == RDF:   # a bare rdf:RDF (older sidecars): wrapped
        root, rdf = ET.Element(_q("x:xmpmeta")), root
        root.append(rdf)
    if root.tag != _q("x:xmpmeta") or root.find(RDF) is None:
        raise SidecarNotWritten(f"{shown(target)}: the existing file is not an XMP sidecar; it was left as it is.")
    return root, prefixes


def write_sidecar(photo_path: str | Path, regions: Sequence[tuple[str, Sequence[float]]],
                  image_size: tuple[int, int], orientation: int = 1) -> Path:
    """Write or merge MWG face regions into the photo's sidecar (``photo.jpg.xmp`` when it exists, else
    ``photo.xmp``) atomically; the photo itself is never touched. ``regions``: (name, [x, y, w, h] in pixels of
    the upright image, clipped to it); ``image_size``: upright (W, H) in pixels; ``orientation``: the photo's
    EXIF orientation. Every other XMP property and region stays; a region there of the same name on nearly the
    same box is replaced. Returns the sidecar's path; raises :class:`SidecarNotWritten` when it cannot be written
    or is damaged, :class:`BadValue` for a face without a name or outside the image."""
    W, H = int(image_size[0]), int(image_size[1])
    if W <= 0 or H <= 0 or orientation not in _MAP:
        raise BadValue(f"Image size {image_size} and orientation {orientation} cannot be used (W, H > 0; 1..8).")
    new: list[tuple[str, list[float], list[float]]] = []   # (name, upright px box, stored normalised box)
    for name, box in regions:
        x, y, w, h = (float(v) for v in box)
        x0, y0, x1, y1 = max(0.0, x), max(0.0, y), min(float(W), x + w), min(float(H), y + h)
        if not name.strip() or x1 <= x0 or y1 <= y0:
            raise BadValue(f"The face {name!r} at {list(box)} has no name or lies outside the {W}x{H} image.")
        new.append((name.strip(), [x0, y0, x1 - x0, y1 - y0], _turn([x0 / W, y0 / H, (x1 - x0) / W, (y1 - y0) / H],
                                                                     _INVERSE[orientation])))
    target = next((p for p in sidecar_paths(photo_path) if p.is_file()), sidecar_paths(photo_path)[1])
    root, prefixes = _existing(target)
    rdf = root.find(RDF)
    kept: list[ET.Element] = []
    holder = None
    for desc in rdf.findall(DESC):
        for old in desc.findall(_q("mwg-rs:Regions")):
            holder = desc if holder is None else holder
            turn, items = _mwg_info(old, (W, H), orientation)
            upright = turn != orientation
            for li in items:
                got = _face(li)
                if isinstance(got, tuple):
                    box = _to_pixels(got[1], turn, (W, H))
                    if box is not None and any(_same_face(got[0], box, n, b) for n, b, _ in new):
                        continue                             # ours now: replaced, not repeated
                    if upright:                              # re-measured on the stored image, as ours are
                        parents = {c: p for p in li.iter() for c in p}
                        old_area = _struct(li)[_q("mwg-rs:Area")]
                        parents[old_area].remove(old_area)
                        _area(parents[old_area], _turn(got[1], _INVERSE[orientation]))
                kept.append(li)
            desc.remove(old)
    if holder is None:
        holder = rdf.find(DESC) if rdf.find(DESC) is not None else ET.SubElement(rdf, DESC, {_q("rdf:about"): ""})
    info = _el(holder, "mwg-rs:Regions", resource=True)
    dims = _el(info, "mwg-rs:AppliedToDimensions", resource=True)
    for k, v in zip(("w", "h", "unit"), (*map(str, _stored((W, H), orientation)), "pixel")):
        _el(dims, f"stDim:{k}", v)
    bag = _el(_el(info, "mwg-rs:RegionList"), "rdf:Bag")
    bag.extend(kept)
    for name, _, stored in new:
        li = _el(bag, "rdf:li", resource=True)
        _area(li, stored)
        _el(li, "mwg-rs:Name", name)
        _el(li, "mwg-rs:Type", "Face")
    try:
        write_bytes_atomic(target, _serialise(root, prefixes))
    except (OSError, RecursionError) as exc:   # DiskFull is no OSError: it goes up as it is
        raise SidecarNotWritten(f"{shown(target)}: cannot be written ({getattr(exc, 'strerror', '') or exc}); is the folder "
                                "read-only? The photo is unchanged.") from exc
    return target
