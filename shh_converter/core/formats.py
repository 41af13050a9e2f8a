"""One table of output formats: extension, Pillow writer, encoder options, modes.

Everything the engine needs to know about an output format lives here, so adding
a format means adding one :class:`FormatSpec` and one option mapper. The engine
works internally in ``L``/``LA``/``RGB``/``RGBA``; :func:`normalise_mode` turns
that into a mode the chosen encoder accepts (WebP and AVIF have no greyscale,
JPEG has no alpha — alpha is flattened before it gets here, see ``convert``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from .settings import EncodeOptions, OutputFormat

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FormatSpec:
    """What one output format can hold and how Pillow writes it."""

    format: OutputFormat
    extension: str  # without the dot
    pil_name: str  # Image.save(format=...)
    alpha: bool  # can store transparency
    modes: frozenset[str]  # modes the encoder takes as they are
    max_side: int  # the encoder's limit per side, in pixels
    animated: bool  # can store several frames
    exif_limit: int | None  # largest EXIF block the container can hold (bytes)


SPECS: dict[OutputFormat, FormatSpec] = {
    OutputFormat.WEBP: FormatSpec(
        OutputFormat.WEBP, "webp", "WEBP", True, frozenset({"RGB", "RGBA"}), 16383, True, None
    ),
    # A JPEG APP1 segment holds at most 65533 bytes, "Exif\0\0" included.
    OutputFormat.JPEG: FormatSpec(
        OutputFormat.JPEG, "jpg", "JPEG", False, frozenset({"L", "RGB"}), 65500, False, 65527
    ),
    OutputFormat.PNG: FormatSpec(
        OutputFormat.PNG,
        "png",
        "PNG",
        True,
        frozenset({"L", "LA", "RGB", "RGBA"}),
        2**31 - 1,
        False,
        None,
    ),
    OutputFormat.AVIF: FormatSpec(
        OutputFormat.AVIF, "avif", "AVIF", True, frozenset({"RGB", "RGBA"}), 65536, False, None
    ),
    # Pillow writes each of ico_sizes (downscaled from the one image) into one file.
    OutputFormat.ICO: FormatSpec(
        OutputFormat.ICO, "ico", "ICO", True, frozenset({"RGBA"}), 256, False, 0
    ),
}


def spec_for(fmt: OutputFormat | str) -> FormatSpec:
    """The :class:`FormatSpec` of ``fmt`` (an :class:`OutputFormat` or its value)."""
    return SPECS[OutputFormat(fmt)]


def _webp_options(opts: EncodeOptions) -> dict[str, Any]:
    lossless = opts.lossless or opts.near_lossless is not None
    out: dict[str, Any] = {
        "quality": opts.quality,
        "method": opts.method,
        "alpha_quality": opts.alpha_quality,
        "exact": opts.exact,
        "lossless": lossless,
    }
    if lossless:
        # In lossless mode libwebp reads "quality" as effort; keep it high so the
        # file is small (100 = slowest, smallest).
        out["quality"] = 100 if opts.method >= 5 else 80
    return out


def _jpeg_options(opts: EncodeOptions) -> dict[str, Any]:
    return {
        "quality": opts.quality,
        "progressive": opts.progressive,
        "subsampling": opts.subsampling,
        "optimize": True,
    }


def _png_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"compress_level": opts.compress_level}


def _avif_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"quality": opts.quality, "speed": opts.avif_speed}


def _ico_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"sizes": [(s, s) for s in opts.ico_sizes]}


_MAPPERS: dict[OutputFormat, Callable[[EncodeOptions], dict[str, Any]]] = {
    OutputFormat.WEBP: _webp_options,
    OutputFormat.JPEG: _jpeg_options,
    OutputFormat.PNG: _png_options,
    OutputFormat.AVIF: _avif_options,
    OutputFormat.ICO: _ico_options,
}


def save_options(opts: EncodeOptions) -> dict[str, Any]:
    """Keyword arguments for ``Image.save`` from the user's :class:`EncodeOptions`."""
    return _MAPPERS[opts.format](opts)


def normalise_mode(img: Image.Image, spec: FormatSpec) -> Image.Image:
    """Return ``img`` in a mode ``spec``'s encoder accepts, keeping alpha where it can.

    ``img`` is one of the engine's working modes (L, LA, RGB, RGBA). Alpha that
    the format cannot hold must have been flattened by the caller already; if it
    was not, it is dropped here (and logged, because that is a bug upstream).
    """
    if img.mode in spec.modes:
        return img
    has_alpha = img.mode in ("LA", "RGBA")
    if has_alpha and not spec.alpha:
        log.warning("dropping alpha for %s output without flattening", spec.pil_name)
        has_alpha = False
    grey = img.mode in ("L", "LA")
    candidates = (["LA", "RGBA"] if has_alpha else ["L", "RGB"]) if grey else []
    candidates += ["RGBA"] if has_alpha else ["RGB"]
    for mode in candidates:
        if mode in spec.modes:
            return img.convert(mode)
    return img.convert("RGB")
