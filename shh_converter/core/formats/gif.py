"""GIF: a 256-colour palette per file (quantised like PNG's), one transparent index,
animation."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..settings import EncodeOptions, OutputFormat, Settings
from .base import FormatSpec, Processed
from .png import dither_option, palette_colours_option
from .writing import pillow_bytes, quantise

if TYPE_CHECKING:
    from PIL import Image

OPTIONS = (palette_colours_option(), dither_option())


def save_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"optimize": True}


def write(processed: Processed, settings: Settings, spec: FormatSpec) -> bytes:
    frames = [_frame(f, settings.encode) for f in processed.frames]
    options = save_options(settings.encode)
    if len(frames) > 1:
        # Frames are whole pictures: each replaces the last, so clear before drawing
        # (a transparent pixel must not show the frame before through it).
        options["disposal"] = 2
    return pillow_bytes(frames, processed, spec, options)


def _frame(img: Image.Image, opts: EncodeOptions) -> Image.Image:
    """A palette frame; pixels below half opacity become GIF's one transparent index."""
    if img.mode not in ("LA", "RGBA"):
        return quantise(img, opts)
    rgba = img.convert("RGBA")
    alpha = rgba.getchannel("A")
    lowest = alpha.getextrema()[0]
    if isinstance(lowest, (int, float)) and lowest >= 128:
        return quantise(rgba.convert("RGB"), opts)
    # At most 255 colours, so index 255 (or the one after the last) is free for "clear".
    pal = quantise(rgba.convert("RGB"), replace(opts, palette_colors=min(255, opts.palette_colors)))
    palette = pal.getpalette() or []
    index = min(len(palette) // 3, 255)
    if index * 3 >= len(palette):
        pal.putpalette([*palette, 0, 0, 0])
    pal.paste(index, mask=alpha.point(lambda a: 255 if a < 128 else 0, "1"))
    pal.info["transparency"] = index
    return pal


SPEC = FormatSpec(
    format=OutputFormat.GIF,
    label="GIF",
    extension="gif",
    pil_name="GIF",
    alpha=True,
    modes=frozenset({"P"}),
    max_side=65535,
    animated=True,
    exif_limit=0,
    icc=False,
    options=OPTIONS,
    save_options=save_options,
    writer=write,
)
