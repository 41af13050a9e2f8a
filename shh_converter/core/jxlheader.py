"""The pixel size of a JPEG XL file from its first bytes, without decoding it.

The JPEG XL plugin decodes the whole image when Pillow opens the file, so the
engine's pixel limit (``imageio``) must be checked before that: from the
codestream's SizeHeader (ISO/IEC 18181-1, clause 8.1.1), read here directly. A
file is either a bare codestream (``FF 0A``) or an ISO BMFF container whose
``jxlc`` box (or first ``jxlp`` box) holds it.
"""

from __future__ import annotations

import struct

CODESTREAM = b"\xff\x0a"  # a bare codestream
CONTAINER = b"\x00\x00\x00\x0cJXL \x0d\x0a\x87\x0a"  # the ISO BMFF box that starts a container
MAGICS = (CODESTREAM, CONTAINER)  # a file starting with either is JPEG XL
HEADER_BYTES = 1 << 20  # what to read: container boxes (EXIF, JPEG reconstruction) may come first
# SizeHeader aspect ratios (numerator, denominator) for ratio codes 1-7.
_RATIOS = {1: (1, 1), 2: (12, 10), 3: (4, 3), 4: (3, 2), 5: (16, 9), 6: (5, 4), 7: (2, 1)}
_U32_BITS = (9, 13, 18, 30)  # SizeHeader's U32(Bits(9)+1, Bits(13)+1, Bits(18)+1, Bits(30)+1)


class _Bits:
    """Least-significant-bit-first reader, as JPEG XL packs its fields."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, n: int) -> int:
        value = 0
        for i in range(n):
            byte = self.data[self.pos >> 3]  # IndexError when the header is cut short
            value |= ((byte >> (self.pos & 7)) & 1) << i
            self.pos += 1
        return value


def _codestream(data: bytes) -> bytes:
    if data.startswith(CODESTREAM):
        return data
    if not data.startswith(CONTAINER):
        msg = "not a JPEG XL file"
        raise ValueError(msg)
    pos = 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
            header = 16
        body = data[pos + header : pos + size if size else len(data)]
        if kind == b"jxlc":
            return body
        if kind == b"jxlp":
            return body[4:]  # a 4-byte sequence number comes first
        if size == 0:
            break
        pos += size
    msg = "no JPEG XL codestream in the first bytes"
    raise ValueError(msg)


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) from the start of a JPEG XL file. ValueError if it cannot tell."""
    stream = _codestream(data)
    if not stream.startswith(CODESTREAM):
        msg = "not a JPEG XL codestream"
        raise ValueError(msg)
    bits = _Bits(stream[2:])
    try:
        if bits.read(1):  # small: multiples of 8 up to 256
            height = (bits.read(5) + 1) * 8
            ratio = bits.read(3)
            width = (bits.read(5) + 1) * 8 if ratio == 0 else 0
        else:
            height = bits.read(_U32_BITS[bits.read(2)]) + 1
            ratio = bits.read(3)
            width = bits.read(_U32_BITS[bits.read(2)]) + 1 if ratio == 0 else 0
    except IndexError:
        msg = "JPEG XL header cut short"
        raise ValueError(msg) from None
    if ratio:
        num, den = _RATIOS[ratio]
        width = height * num // den
    return width, height
