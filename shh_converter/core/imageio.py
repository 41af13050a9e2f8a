"""Safe open: limits, content sniffing, decoding, orientation, colour.

:func:`open_image` is the engine's only way in. In order it:

1. refuses empty files and files over ``limits.max_file_bytes``;
2. recognises common non-images by their first bytes (a PDF named ``.png``) and
   registers pillow-heif only when the content is HEIF (lazy: it is slow to load),
   the JPEG XL plugin only when it is JPEG XL (whose size is checked from its
   header first: that plugin decodes the whole image on open);
3. reads the *header* and checks the dimensions against ``limits.max_pixels``
   before any pixel memory is allocated (Pillow's own bomb check is relaxed to a
   backstop, and its warning silenced, because this check is the real one);
4. asks the JPEG decoder for a reduced decode (``draft``) when the caller will
   shrink the image anyway, then decodes *inside* a ``try`` so truncated or
   corrupt data becomes a one-line :class:`CorruptImageError` (Pillow's
   ``LOAD_TRUNCATED_IMAGES`` stays False: a half-grey output is never written);
5. applies the EXIF/XMP orientation and clears it, converts to an 8-bit working
   mode in sRGB (:mod:`.colour`) and collects the metadata worth keeping.

Format is always detected from the content, never from the file name.
"""

from __future__ import annotations

import logging
import struct
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from PIL import Image, ImageFile, UnidentifiedImageError

from . import colour, jxlheader, metadata, sniff
from .errors import ConversionError, CorruptImageError, ImageTooLargeError, UnsupportedFormatError

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

# Our own header check is the limit; Pillow's is only a backstop, and its warning
# would print to the user's terminal for images we accept on purpose.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
ImageFile.LOAD_TRUNCATED_IMAGES = False

# Exceptions Pillow's decoders raise on bad data (each plugin has its favourites).
DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    struct.error,
    zlib.error,
    RuntimeError,
)

# Only these formats have real animations; other multi-frame files (TIFF pages,
# MPO stereo pairs, PSD layers, HEIF collections) give their primary image.
ANIMATED_FORMATS = {"GIF", "PNG", "WEBP", "AVIF"}

_heif_registered = False
_jxl_registered = False


@dataclass
class Source:
    """A decoded image, upright, in a working mode (L/LA/RGB/RGBA), in sRGB."""

    frames: list[Image.Image]
    format: str  # Pillow's name for what the file really is
    input_size: tuple[int, int]  # upright size of the full-resolution image
    durations: list[int] = field(default_factory=list)  # ms per frame (animations)
    loop: int = 0
    meta: metadata.Metadata = field(default_factory=metadata.Metadata)
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None  # the file it came from (JPEG XL recompresses a JPEG's bytes)
    broken: str | None = None  # a damaged animation, cut short: said on every output


NeedSize = Callable[[tuple[int, int]], tuple[int, int]]


def open_image(
    path: Path,
    settings: Settings,
    *,
    need: NeedSize | None = None,
    all_frames: bool = False,
) -> Source:
    """Open and decode ``path`` safely (see the module docstring).

    ``need`` maps the upright full size to the smallest size the caller will use,
    so the decoder may decode less (JPEG draft). ``all_frames`` keeps every frame
    of an animation (GIF, APNG, WebP, AVIF sequences). Raises
    :class:`ConversionError` subclasses with one-line messages.
    """
    head = _check_file(path, settings)
    _sniff(head)
    if head.startswith(jxlheader.MAGICS):
        _check_jxl_size(path, settings)
    try:
        with path.open("rb") as fh:
            src = _decode(fh, settings, need, all_frames)
        src.path = path
        return src
    except PermissionError as exc:
        msg = f"cannot read file: {exc.strerror or exc}"
        raise ConversionError(msg) from exc


def upright_size(path: Path) -> tuple[int, int] | None:
    """The upright size of ``path`` from its header alone, or None when it cannot be read.

    For the planner's ``{width}``/``{height}`` (names are chosen before any pixel is
    decoded); a file that cannot be read gets its clear error when converted.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
            fh.seek(0)
            if head.startswith(jxlheader.MAGICS):  # its plugin decodes on open: read the header
                return jxlheader.image_size(fh.read(jxlheader.HEADER_BYTES))
            _sniff(head)
            with Image.open(fh) as im:
                return metadata.upright_size(im.size, metadata.header_orientation(im))
    except (ConversionError, Image.DecompressionBombError, *DECODE_ERRORS):
        return None


def _check_file(path: Path, settings: Settings) -> bytes:
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        msg = f"cannot read file: {exc.strerror or exc}"
        raise ConversionError(msg) from exc
    if size == 0:
        msg = "empty file (0 bytes)"
        raise CorruptImageError(msg)
    limit = settings.limits.max_file_bytes
    if limit is not None and size > limit:
        msg = f"file too large: {_mb(size)} MB (limit {_mb(limit)} MB)"
        raise ImageTooLargeError(msg)
    return head


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f}"


def _sniff(head: bytes) -> None:
    """Refuse well-known non-images early; register HEIF support when needed."""
    stripped = head.lstrip()
    for magic, message in sniff.NOT_IMAGES:
        if stripped.startswith(magic):
            raise UnsupportedFormatError(message)
    if head[4:8] == b"ftyp" and head[8:12] in sniff.HEIF_BRANDS:
        _register_heif()
    if head.startswith(jxlheader.MAGICS):
        _register_jxl()


def _check_jxl_size(path: Path, settings: Settings) -> None:
    """The pixel limit for JPEG XL, from its header: its plugin decodes on open."""
    try:
        with path.open("rb") as fh:
            size = jxlheader.image_size(fh.read(jxlheader.HEADER_BYTES))
    except ValueError as exc:
        msg = f"unreadable JPEG XL header ({exc})"
        raise CorruptImageError(msg) from exc
    except OSError as exc:
        msg = f"cannot read file: {exc.strerror or exc}"
        raise ConversionError(msg) from exc
    _check_dimensions(size, settings)


def _register_jxl() -> None:
    global _jxl_registered
    if _jxl_registered:
        return
    try:
        import pillow_jxl  # noqa: F401  (registers the JXL opener and writer with Pillow)
    except ImportError as exc:
        msg = "JPEG XL images are not supported by this build"
        raise UnsupportedFormatError(msg) from exc
    _jxl_registered = True


def _register_heif() -> None:
    global _heif_registered
    if _heif_registered:
        return
    try:
        import pillow_heif

        pillow_heif.register_heif_opener(thumbnails=False)
        _heif_registered = True
    except ImportError as exc:  # a build without HEIC support
        msg = "HEIC/HEIF images are not supported by this build"
        raise UnsupportedFormatError(msg) from exc


def _decode(fh: BinaryIO, settings: Settings, need: NeedSize | None, all_frames: bool) -> Source:
    Image.MAX_IMAGE_PIXELS = settings.limits.max_pixels  # Pillow errors at twice this
    im = _open_header(fh)
    with im:
        _check_dimensions(im.size, settings)
        stored = im.size
        if need is not None and im.format == "JPEG":
            hint = metadata.header_orientation(im)
            _draft(im, need(metadata.upright_size(stored, hint)), hint)
        _load(im)
        if im.format != "JPEG":  # only JPEG drafts; others (TIFF) may rotate while loading
            stored = im.size
        src = Source(frames=[], format=im.format or "?", input_size=stored)
        src.meta = metadata.read(im, settings, src.warnings)
        # Orientation is read after decoding: libtiff applies it itself and Pillow
        # then drops the tag, so those TIFFs are not rotated twice.
        src.input_size = metadata.upright_size(stored, src.meta.orientation)
        raw_frames = _frames(im, settings, src) if all_frames else [im]
        frame_count = _frame_count(im) if im.format in ANIMATED_FORMATS else 1
        if not all_frames and frame_count > 1:
            src.warnings.append(f"animation: only the first of {frame_count} frames was kept")
        for frame in raw_frames:
            src.frames.append(_to_working(frame, settings, src))
    return src


def _open_header(fh: BinaryIO) -> ImageFile.ImageFile:
    try:
        im = Image.open(fh)
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(sniff.bomb_message(exc)) from exc
    except UnidentifiedImageError as exc:
        raise UnsupportedFormatError(sniff.describe_unidentified(fh)) from exc
    except DECODE_ERRORS as exc:
        fh.seek(0)
        head = fh.read(64)
        raise sniff.classify(exc, sniff.guess_format(head), head) from exc
    assert isinstance(im, ImageFile.ImageFile)
    return im


def _check_dimensions(size: tuple[int, int], settings: Settings) -> None:
    w, h = size
    if w <= 0 or h <= 0:
        msg = f"invalid image dimensions: {w}x{h}"
        raise CorruptImageError(msg)
    pixels = w * h
    limit = settings.limits.max_pixels
    if pixels > limit:
        msg = (
            f"image too large: {w}x{h} = {sniff.megapixels(pixels)} MP "
            f"(limit {sniff.megapixels(limit)} MP)"
        )
        raise ImageTooLargeError(msg)


def _draft(im: ImageFile.ImageFile, want: tuple[int, int], orientation: int) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when the output is that small."""
    stored = metadata.upright_size(want, orientation)  # swap back for 90° rotations
    if stored[0] >= im.size[0] or stored[1] >= im.size[1]:
        return
    mode = "RGB" if im.mode == "RGB" else None
    im.draft(mode, stored)


def _load(im: ImageFile.ImageFile) -> None:
    try:
        im.load()
        if im.format == "PSD":
            # Counting frames parses the layer records: damaged ones mean a damaged file.
            _ = getattr(im, "n_frames", 1)
    except Image.DecompressionBombError as exc:
        raise ImageTooLargeError(sniff.bomb_message(exc)) from exc
    except MemoryError as exc:
        raise sniff.classify(exc, im.format or "?") from exc
    except DECODE_ERRORS as exc:
        fmt = im.format or "?"
        if fmt == "TIFF" and im.info.get("compression") not in (None, "raw"):
            fmt = f"TIFF ({im.info['compression']} compression)"
        raise sniff.classify(exc, fmt) from exc


def _frame_count(im: ImageFile.ImageFile) -> int:
    try:
        return int(getattr(im, "n_frames", 1))
    except DECODE_ERRORS:  # _frames says why when the frames are wanted
        return 1


def _frames(im: ImageFile.ImageFile, settings: Settings, src: Source) -> list[Image.Image]:
    """Every animation frame (RGBA copies), with durations and loop count."""
    try:
        n = getattr(im, "n_frames", 1)  # counting reads every frame's header
    except DECODE_ERRORS as exc:  # found by scripts/fuzz.py: a TIFF without dimensions
        msg = f"broken animation or page list ({exc})"
        raise CorruptImageError(msg) from exc
    if im.format not in ANIMATED_FORMATS or n <= 1:
        # Counting may have sought through the file and back (a TIFF with overview
        # images), which drops the decoded pixels: decode them again while it is open.
        _load(im)
        return [im]
    # An APNG whose default image is not part of the animation lists it as frame 0.
    start = 1 if im.info.get("default_image") else 0
    frames: list[Image.Image] = []
    # All frames are held at once: together they get the pixel limit of one image.
    total = 0
    for index in range(start, n):
        try:
            im.seek(index)
            _check_dimensions(im.size, settings)
            total += im.size[0] * im.size[1]
            if total > settings.limits.max_pixels:
                msg = (
                    f"animation too large: {n} frames of {im.size[0]}x{im.size[1]} are more "
                    f"than {sniff.megapixels(settings.limits.max_pixels)} MP together"
                )
                raise ImageTooLargeError(msg)
            _load(im)
            frame = im.convert("RGBA")
        except Image.DecompressionBombError as exc:
            msg = f"animation frame {index + 1}: {sniff.bomb_message(exc)}"
            raise ImageTooLargeError(msg) from exc
        except ImageTooLargeError:
            raise
        except (ConversionError, *DECODE_ERRORS) as exc:
            # Keep what decodes (viewers show those frames too); say what was lost.
            return _frames_before_broken(im, frames, src, index, n, exc)
        frames.append(frame)
        src.durations.append(max(0, int(im.info.get("duration") or 100)))
    src.loop = int(im.info.get("loop", 0) or 0)
    return frames


def _frames_before_broken(
    im: ImageFile.ImageFile,
    frames: list[Image.Image],
    src: Source,
    index: int,
    n: int,
    exc: Exception,
) -> list[Image.Image]:
    """The frames decoded before frame ``index`` broke, or the file's first image alone."""
    why = str(exc) or type(exc).__name__
    if not frames:  # the animation's first frame is broken: the default image, still
        try:
            im.seek(0)
            _load(im)
            frames = [im.convert("RGBA")]
        except (ConversionError, *DECODE_ERRORS) as again:
            msg = f"broken animation frame {index + 1} of {n} ({why})"
            raise CorruptImageError(msg) from again
        src.durations.clear()
        kept = "only the first image was kept"
    else:
        kept = f"the {len(frames)} frame(s) before it were kept"
        src.loop = int(im.info.get("loop", 0) or 0)
    src.broken = f"animation frame {index + 1} of {n} is broken ({why}): {kept}"
    src.warnings.append(src.broken)
    return frames


def _to_working(frame: Image.Image, settings: Settings, src: Source) -> Image.Image:
    """Upright, 8-bit, sRGB (or with the source profile kept)."""
    try:
        result = colour.to_working(frame, keep_icc=settings.keep_icc)
    except MemoryError as exc:
        msg = "not enough memory to convert this image"
        raise ImageTooLargeError(msg) from exc
    src.warnings.extend(w for w in result.warnings if w not in src.warnings)
    if settings.keep_icc:
        src.meta.icc = result.icc
    image = result.image
    method = metadata.transpose_method(src.meta.orientation)
    if method is not None:
        image = image.transpose(method)
    return image
