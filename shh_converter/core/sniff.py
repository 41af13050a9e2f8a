"""What a file is, and what went wrong with it, in one line for people.

Helpers of :mod:`.imageio`: recognising common non-images and image formats by
their first bytes (for messages only — Pillow decides what it can decode, by
content), reading dimensions from headers Pillow refuses, and turning decoder
exceptions into specific one-line :class:`ConversionError` messages.
"""

from __future__ import annotations

import re
import struct
import zlib
from typing import BinaryIO

from . import jxlheader
from .errors import ConversionError, CorruptImageError, ImageTooLargeError, UnsupportedFormatError

NOT_IMAGES = (
    (b"%PDF", "not an image (PDF document)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "not an image (Microsoft Office/OLE2 document)"),
    (b"PK\x03\x04", "not an image (ZIP archive or Office document)"),
    (b"\x7fELF", "not an image (program file)"),
    (b"MZ", "not an image (Windows program file)"),
    (b"<svg", "vector SVG images are not supported"),
    (b"<?xml", "not a raster image (XML/SVG document)"),
    (b"{", "not an image (text/JSON file)"),
)
HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"mif2"}


def bomb_message(exc: Exception) -> str:
    """Pillow's bomb message, in our words (it gives the pixel count, not the size)."""
    numbers = re.findall(r"\((\d+) pixels\)", str(exc))
    if not numbers:
        return f"image too large (possible decompression bomb: {exc})"
    return (
        f"image too large: {megapixels(int(numbers[0]))} MP declared (possible decompression bomb)"
    )


# Signatures guess_format does not name (formats read by content that have a magic number).
OTHER_IMAGE_MAGIC = (
    b"8BPS",  # PSD
    b"qoif",  # QOI
    b"\x00\x00\x01\x00",  # ICO
    b"\x00\x00\x02\x00",  # CUR
    b"icns",  # Apple icon
    *jxlheader.MAGICS,
)


def looks_like_image(head: bytes) -> bool:
    """True when the first bytes are those of an image format we read (whatever the name).

    TGA has no signature: only its extension says so (discovery takes ``.tga`` files).
    """
    return guess_format(head) != "?" or head.startswith(OTHER_IMAGE_MAGIC)


def guess_format(head: bytes) -> str:
    """What the first bytes say the file is (for messages only; Pillow decides)."""
    signatures = (
        (b"\x89PNG", "PNG"),
        (b"\xff\xd8", "JPEG"),
        (b"GIF8", "GIF"),
        (b"BM", "BMP"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
        (b"\xff\x4f\xff\x51", "JPEG 2000"),
        (b"\x00\x00\x00\x0cjP", "JPEG 2000"),
    )
    for magic, name in signatures:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp":
        return "AVIF" if head[8:12] in (b"avif", b"avis") else "HEIF"
    if (
        len(head) > 2
        and head[0:1] == b"P"
        and head[1:2] in b"1234567"
        and head[2:3] in b" \t\r\n-0123456789"
    ):
        return "PNM"
    return "?"


def describe_unidentified(fh: BinaryIO) -> str:
    """Why Pillow could not identify the file, as specifically as the header allows."""
    fh.seek(0)
    head = fh.read(64)
    fmt = guess_format(head)
    size = _header_size(head, fmt)
    if size is not None and (size[0] <= 0 or size[1] <= 0):
        return f"invalid image dimensions: {size[0]}x{size[1]} ({fmt})"
    if fmt == "PNM":
        return "invalid PNM header (bad or negative dimensions)"
    if fmt in ("HEIF", "AVIF"):
        return f"corrupt or unsupported {fmt} file (cannot identify image data)"
    if fmt != "?":
        return f"corrupt {fmt} file (cannot identify image data)"
    return "not a supported image format (cannot identify image data)"


def _header_size(head: bytes, fmt: str) -> tuple[int, int] | None:
    try:
        if fmt == "GIF":
            return struct.unpack("<HH", head[6:10])
        if fmt == "JPEG 2000" and head.startswith(b"\xff\x4f\xff\x51"):
            xs, ys, xo, yo = struct.unpack(">IIII", head[8:24])
            return (xs - xo, ys - yo)
    except struct.error:
        return None
    return None


def classify(exc: Exception, fmt: str, head: bytes = b"") -> ConversionError:
    """Turn a decoder exception into a specific one-line message."""
    text = str(exc).strip() or type(exc).__name__
    low = text.lower()
    where = f"{fmt} " if fmt and fmt != "?" else ""
    if fmt == "BMP" and len(head) >= 34 and struct.unpack("<I", head[30:34])[0] in (4, 5):
        kind = "JPEG" if head[30] == 4 else "PNG"
        return UnsupportedFormatError(f"unsupported BMP compression (embedded {kind})")
    if isinstance(exc, MemoryError):
        return ImageTooLargeError(f"not enough memory to decode this {where}image")
    if "truncated" in low or isinstance(exc, EOFError) or "unexpected end" in low:
        return CorruptImageError(f"truncated {where}image data (file ends early)")
    if "data stream" in low or isinstance(exc, zlib.error):
        return CorruptImageError(f"corrupt {where}image data (broken data stream)")
    if "too large" in low and "chunk" in low:
        return CorruptImageError(f"{where}metadata chunk too large (possible zip bomb)")
    if "unsupported" in low or "not supported" in low or "unknown" in low:
        return UnsupportedFormatError(f"unsupported or invalid {where}image: {text}")
    if "decoder error" in low or "decoder" in low:
        return CorruptImageError(
            f"cannot decode {where}image data ({text}: corrupt or unsupported compression)"
        )
    return CorruptImageError(f"corrupt or invalid {where}image ({text})")


def megapixels(pixels: int) -> str:
    mp = pixels / 1_000_000
    return f"{mp:.0f}" if mp >= 10 else f"{mp:.1f}"
