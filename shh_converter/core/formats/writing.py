"""What the format modules' writers share: Pillow's writer, metadata, the palette.

:func:`write_pillow` is the writer of a format Pillow writes as it is (AVIF,
ICO), and the others build on :func:`pillow_bytes` and :func:`metadata_options`.
"""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING, Any

from PIL import Image

from .. import metadata
from ..errors import EncodeError
from . import base

if TYPE_CHECKING:
    from ..settings import EncodeOptions, Settings
    from .base import FormatSpec, Processed

log = logging.getLogger(__name__)

ENCODER_ERRORS = (OSError, ValueError, RuntimeError, KeyError, TypeError)


def pillow_bytes(
    frames: list[Image.Image],
    processed: Processed,
    spec: FormatSpec,
    options: dict[str, Any],
) -> bytes:
    """Pillow's writer for ``spec`` over ``frames`` (an animation when there are several)."""
    options = dict(options)
    if len(frames) > 1:
        options.update(
            save_all=True,
            append_images=frames[1:],
            duration=processed.durations or 100,
            loop=processed.loop,
        )
    buf = io.BytesIO()
    frames[0].save(buf, format=spec.pil_name, **options)
    return buf.getvalue()


def write_pillow(processed: Processed, settings: Settings, spec: FormatSpec) -> bytes:
    """Pillow's options from the format's spec plus the metadata it can hold."""
    options = spec.save_options(settings.encode)
    options.update(metadata_options(processed, spec))
    return pillow_bytes(processed.frames, processed, spec, options)


def metadata_options(processed: Processed, spec: FormatSpec) -> dict[str, Any]:
    """Image.save keyword arguments for the metadata ``spec`` can hold."""
    meta = processed.meta
    out: dict[str, Any] = {}
    exif = metadata.fit_exif(meta.exif, spec.exif_limit, processed.warnings) if spec.exif else None
    if exif:
        out["exif"] = exif
    if meta.icc and spec.icc and icc_fits(meta.icc, processed.frames[0].mode):
        out["icc_profile"] = meta.icc
    if meta.dpi and spec.dpi:
        out["dpi"] = meta.dpi
    if meta.xmp and spec.xmp:
        out["xmp"] = meta.xmp
    return out


def icc_fits(icc: bytes, mode: str) -> bool:
    """An ICC profile may only describe pixels of its own colour space (header bytes 16-20)."""
    space = icc[16:20]
    return space == (b"GRAY" if mode in ("L", "LA") else b"RGB ")


def quantise(img: Image.Image, opts: EncodeOptions) -> Image.Image:
    """``img`` as a palette image of at most ``palette_colors`` colours (mode P): PNG, GIF.

    Pillow's quantiser by default (median cut, or fast octree for transparency,
    Floyd-Steinberg dithering on or off: on the corpus logos it is smaller and
    closer than libimagequant, docs/performance.md); libimagequant
    (``imagequant``, the pngquant library) when asked for, with its quality
    target and dithering level.
    """
    colours = max(2, min(256, opts.palette_colors))
    rgba = img.convert("RGBA")
    if opts.quantiser == "imagequant":
        if not base.module_available("imagequant"):
            msg = "the imagequant quantiser is unavailable in this install"
            raise EncodeError(msg)
        import imagequant

        try:
            quantised: Image.Image = imagequant.quantize_pil_image(
                rgba,
                dithering_level=opts.dither / 100,
                max_colors=colours,
                min_quality=0,
                max_quality=opts.palette_quality,
            )
            return quantised
        except RuntimeError as exc:  # below its quality floor: never with min_quality 0
            log.debug("imagequant refused (%s); using Pillow's quantiser", exc)
    dither = Image.Dither.FLOYDSTEINBERG if opts.dither > 0 else Image.Dither.NONE
    if img.mode in ("LA", "RGBA"):
        return rgba.quantize(colours, method=Image.Quantize.FASTOCTREE, dither=dither)
    return img.convert("RGB").quantize(colours, method=Image.Quantize.MEDIANCUT, dither=dither)
