"""JPEG header surgery without touching the compressed image data.

Two writers need it: jpegli (``pyjpegli`` takes pixels only, so EXIF, ICC and XMP
are added afterwards) and the JPEG XL recompression of a JPEG source, whose
personal metadata must go while the image data stays bit for bit the same.
A JPEG is SOI, then marker segments (``FF xx``, two length bytes, payload) up to
SOS, then the entropy-coded data; only the segments before SOS are rewritten.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

EXIF_ID = b"Exif\x00\x00"
XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
ICC_ID = b"ICC_PROFILE\x00"
_SOI, _SOS, _EOI = 0xD8, 0xDA, 0xD9
APP0, APP1, APP2, APP13, COM = 0xE0, 0xE1, 0xE2, 0xED, 0xFE
_MAX_PAYLOAD = 65533  # a segment's length field counts itself (2 bytes), at most 65535


@dataclass(frozen=True)
class Segment:
    marker: int  # the byte after 0xFF
    payload: bytes  # without the marker and the length bytes

    def to_bytes(self) -> bytes:
        return bytes((0xFF, self.marker)) + struct.pack(">H", len(self.payload) + 2) + self.payload


def split(data: bytes) -> tuple[list[Segment], bytes]:
    """The header segments and the rest (from SOS on). ValueError if it is not a JPEG."""
    if data[:2] != b"\xff\xd8":
        msg = "not a JPEG (no SOI)"
        raise ValueError(msg)
    segments: list[Segment] = []
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            msg = f"no marker at byte {pos}"
            raise ValueError(msg)
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (_SOS, _EOI):
            return segments, data[pos:]
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if length < 2 or pos + 2 + length > len(data):
            msg = f"bad segment length at byte {pos}"
            raise ValueError(msg)
        segments.append(Segment(marker, data[pos + 4 : pos + 2 + length]))
        pos += 2 + length
    msg = "no image data (SOS) in the JPEG"
    raise ValueError(msg)


def join(segments: list[Segment], rest: bytes) -> bytes:
    return b"\xff\xd8" + b"".join(s.to_bytes() for s in segments) + rest


def is_personal(segment: Segment) -> bool:
    """EXIF, XMP, IPTC/Photoshop and comments: what ``strip`` removes. ICC, JFIF, Adobe stay."""
    if segment.marker == APP1:
        return segment.payload.startswith((EXIF_ID, b"http://ns.adobe.com/"))
    return segment.marker in (APP13, COM)


def rewrite(
    data: bytes, *, drop: Callable[[Segment], bool], add: list[Segment] | None = None
) -> bytes:
    """``data`` without the segments ``drop`` picks, with ``add`` after JFIF/APP0."""
    segments, rest = split(data)
    kept = [s for s in segments if not drop(s)]
    at = next((i + 1 for i, s in enumerate(kept) if s.marker == APP0), 0)
    kept[at:at] = add or []
    return join(kept, rest)


def metadata_segments(exif: bytes | None, icc: bytes | None, xmp: bytes | None) -> list[Segment]:
    """APP1 EXIF, APP2 ICC (in chunks) and APP1 XMP segments, as libjpeg writes them."""
    out: list[Segment] = []
    if exif:
        body = exif if exif.startswith(EXIF_ID) else EXIF_ID + exif
        if len(body) <= _MAX_PAYLOAD:
            out.append(Segment(APP1, body))
    if icc:
        room = _MAX_PAYLOAD - len(ICC_ID) - 2
        chunks = [icc[i : i + room] for i in range(0, len(icc), room)]
        if len(chunks) <= 255:
            for n, chunk in enumerate(chunks, 1):
                out.append(Segment(APP2, ICC_ID + bytes((n, len(chunks))) + chunk))
    if xmp and len(XMP_ID) + len(xmp) <= _MAX_PAYLOAD:
        out.append(Segment(APP1, XMP_ID + xmp))
    return out


def set_density(data: bytes, dpi: tuple[float, float]) -> bytes:
    """Write ``dpi`` into the JFIF APP0 segment (units = dots per inch), adding one if missing."""
    segments, rest = split(data)
    for i, seg in enumerate(segments):
        if seg.marker == APP0 and seg.payload.startswith(b"JFIF\x00") and len(seg.payload) >= 12:
            x, y = (max(1, min(65535, round(v))) for v in dpi)
            body = seg.payload[:7] + struct.pack(">BHH", 1, x, y) + seg.payload[12:]
            segments[i] = Segment(APP0, body)
            return join(segments, rest)
    x, y = (max(1, min(65535, round(v))) for v in dpi)
    jfif = Segment(APP0, b"JFIF\x00\x01\x02" + struct.pack(">BHH", 1, x, y) + b"\x00\x00")
    return join([jfif, *segments], rest)
