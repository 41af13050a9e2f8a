"""Encoding: a :class:`Processed` image (the pipeline's result) -> bytes in the chosen format.

One door writes every format, so a batch, its target-size search and the preview
produce exactly the same bytes. It checks what every format shares (the format
is available here, the image is within its size limit) and hands the image to
the format's own writer (``core/formats/<format>.py``), which adds the metadata
the format can carry and what Pillow lacks (oxipng, palettes, jpegli, MozJPEG,
JPEG XL's lossless JPEG recompression).

Optional libraries are imported by the writers, in the worker, when first
needed; one that is missing makes its format or option unavailable
(``formats``), never a crash.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO

from . import formats
from .errors import EncodeError, ImageTooLargeError
from .formats.base import Processed
from .formats.writing import ENCODER_ERRORS

if TYPE_CHECKING:
    from .settings import Settings

__all__ = ["Processed", "encode"]


def encode(processed: Processed, settings: Settings, fh: BinaryIO) -> None:
    """Encode ``processed`` into ``fh`` in the chosen format. Raises :class:`EncodeError`."""
    spec = formats.spec_for(settings.encode.format)
    first = processed.frames[0]
    if not spec.available():
        msg = (
            f"{spec.label} output is unavailable in this install ({formats.unavailable_why(spec)})"
        )
        raise EncodeError(msg)
    if max(first.size) > spec.max_side:
        msg = (
            f"{first.width}x{first.height} is too large for {spec.pil_name} "
            f"(at most {spec.max_side} pixels per side): resize it"
        )
        raise EncodeError(msg)
    try:
        data = spec.writer(processed, settings, spec)
    except EncodeError:
        raise
    except ENCODER_ERRORS as exc:
        msg = f"{spec.pil_name} encoder failed: {exc}"
        raise EncodeError(msg) from exc
    except MemoryError as exc:
        msg = "not enough memory to encode this image"
        raise ImageTooLargeError(msg) from exc
    fh.write(data)
