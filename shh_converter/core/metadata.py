"""Orientation and the metadata that may travel to the output.

``strip`` (the default) lets nothing personal leave: no EXIF (so no GPS, camera
serials or dates), no XMP. ``keep`` carries the EXIF block with its orientation
reset to 1 (the pixels are already upright), the XMP packet (its orientation reset
too), the DPI and a colour profile. ``keep-no-location`` is ``keep`` without where
the photo was taken and what took it: the GPS block, the camera/lens serial
numbers and owner name, and the maker note (where cameras hide serials and
sometimes positions) are removed from the EXIF, GPS and serial fields from the
XMP (an XMP packet that still mentions GPS afterwards is dropped whole).
A broken EXIF block or DPI value is ignored with a warning, never fatal.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass

from PIL import Image, ImageCms

from .settings import MetadataMode, Settings

log = logging.getLogger(__name__)

ORIENTATION_TAG = 0x0112
GPS_IFD = 0x8825
EXIF_IFD = 0x8769
# Exif IFD tags that identify the camera, lens or owner (plus the opaque maker note).
IDENTIFYING_TAGS = (
    0xA430,  # CameraOwnerName
    0xA431,  # BodySerialNumber
    0xA435,  # LensSerialNumber
    0xA420,  # ImageUniqueID
    0x927C,  # MakerNote
)
_KEEPING = (MetadataMode.KEEP, MetadataMode.KEEP_NO_LOCATION)
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SRGB_BYTES: bytes | None = None


@dataclass
class Metadata:
    orientation: int = 1  # as found in the source (1..8); pixels get transposed by it
    exif: bytes | None = None  # to write (keep modes), orientation already reset
    xmp: bytes | None = None  # to write (keep modes), orientation reset
    icc: bytes | None = None  # profile to embed
    dpi: tuple[float, float] | None = None


def transpose_method(orientation: int) -> Image.Transpose | None:
    """The transpose that makes an image with this EXIF orientation upright."""
    return _TRANSPOSE.get(orientation)


def upright_size(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """``size`` after applying ``orientation`` (5-8 swap width and height)."""
    return (size[1], size[0]) if orientation in (5, 6, 7, 8) else size


def _orientation_of(im: Image.Image) -> int:
    value = im.getexif().get(ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def header_orientation(im: Image.Image) -> int:
    """Orientation from the header, before decoding (only used to plan the draft)."""
    try:
        return _orientation_of(im)
    except Exception:  # any broken EXIF just means "unknown"
        return 1


def read(im: Image.Image, settings: Settings, warnings: list[str]) -> Metadata:
    """Orientation (always) and, in the keep modes, the EXIF/XMP/DPI/profile to write."""
    meta = Metadata()
    try:
        meta.orientation = _orientation_of(im)
    except Exception as exc:  # Pillow raises many types on bad EXIF
        warnings.append(f"ignored unreadable EXIF data ({type(exc).__name__})")
        return meta
    if settings.metadata not in _KEEPING:
        return meta
    private = settings.metadata == MetadataMode.KEEP_NO_LOCATION
    meta.exif = _exif_bytes(im, warnings, without_location=private)
    meta.xmp = clean_xmp(_raw_xmp(im), without_location=private, warnings=warnings)
    meta.dpi = _dpi(im.info.get("dpi"))
    if im.info.get("icc_profile"):
        # Pixels are converted to sRGB, so say so (keep_icc replaces this later).
        meta.icc = srgb_profile()
    return meta


def _exif_bytes(im: Image.Image, warnings: list[str], *, without_location: bool) -> bytes | None:
    try:
        exif = im.getexif()
        if not exif and not exif.get_ifd(EXIF_IFD):
            return None
        if ORIENTATION_TAG in exif:
            exif[ORIENTATION_TAG] = 1
        if without_location:
            _remove_location(exif)
        return exif.tobytes()
    except Exception as exc:  # a damaged block is dropped, not fatal
        warnings.append(f"dropped unreadable EXIF data ({type(exc).__name__})")
        return None


def _remove_location(exif: Image.Exif) -> None:
    """Drop the GPS block and the identifying tags (see the module docstring)."""
    exif.get_ifd(GPS_IFD)  # load it so deleting the pointer also forgets the block
    if GPS_IFD in exif:
        del exif[GPS_IFD]
    exif._ifds.pop(GPS_IFD, None)  # Pillow writes a loaded IFD even without its pointer
    sub = exif.get_ifd(EXIF_IFD)
    for tag in IDENTIFYING_TAGS:
        sub.pop(tag, None)


def _raw_xmp(im: Image.Image) -> bytes | None:
    value = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    if isinstance(value, str):
        value = value.encode("utf-8")
    return value if isinstance(value, bytes) and value.strip() else None


# XMP properties as attributes (exif:GPSLatitude="...") or elements (<exif:GPSLatitude>..</>).
_XMP_PRIVATE = (
    r"exif:GPS\w*",
    r"exifEX:(?:BodySerialNumber|LensSerialNumber|CameraOwnerName)",
    r"aux:(?:SerialNumber|LensSerialNumber|OwnerName)",
)


def clean_xmp(xmp: bytes | None, *, without_location: bool, warnings: list[str]) -> bytes | None:
    """The XMP packet to write: orientation reset to 1; GPS and serials gone if asked."""
    if xmp is None:
        return None
    text = xmp.decode("utf-8", errors="replace")
    text = re.sub(r'tiff:Orientation="\d"', 'tiff:Orientation="1"', text)
    text = re.sub(
        r"<tiff:Orientation>\d</tiff:Orientation>", "<tiff:Orientation>1</tiff:Orientation>", text
    )
    if without_location:
        for name in _XMP_PRIVATE:
            text = re.sub(rf'\s{name}="[^"]*"', "", text)
            text = re.sub(rf"<({name})\b[^>]*/>", "", text)
            text = re.sub(rf"<({name})\b[^>]*>.*?</\1>", "", text, flags=re.S)
        if re.search(r"GPS|SerialNumber", text):
            warnings.append("XMP data dropped: its location could not be removed safely")
            return None
    return text.encode("utf-8")


def _dpi(value: object) -> tuple[float, float] | None:
    if not isinstance(value, tuple) or len(value) != 2:
        return None
    try:
        x, y = float(value[0]), float(value[1])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    ok = all(math.isfinite(v) and 1 <= v <= 100_000 for v in (x, y))
    return (x, y) if ok else None


def srgb_profile() -> bytes:
    """A standard sRGB ICC profile (built once per process)."""
    global _SRGB_BYTES
    if _SRGB_BYTES is None:
        _SRGB_BYTES = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return _SRGB_BYTES


def fit_exif(exif: bytes | None, limit: int | None, warnings: list[str]) -> bytes | None:
    """Drop an EXIF block the output container cannot hold (JPEG APP1: 64 KB)."""
    if exif is None or limit is None or len(exif) <= limit:
        return exif
    warnings.append(f"EXIF data dropped: {len(exif) // 1024} KB is more than this format holds")
    return None
