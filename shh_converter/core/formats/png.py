"""PNG and APNG: a lossless oxipng pass, optional palette quantisation."""

from __future__ import annotations

from typing import Any

from PIL import PngImagePlugin

from ..settings import EncodeOptions, OutputFormat, Settings
from . import base
from .base import N_, FormatSpec, OptionSpec, Processed
from .writing import metadata_options, pillow_bytes, quantise

# Sources whose pixels are a lossy codec's output: photographs, where a lossless PNG
# optimiser finds little to take out (~7 % on the corpus cut-outs, for 3-5x the time of
# the whole conversion). Lossless and ambiguous sources (PNG, GIF, BMP, TIFF, WebP, JPEG XL)
# always get the pass: logos, screenshots and graphics are where it pays.
PHOTO_SOURCES = frozenset({"JPEG", "MPO", "HEIF", "AVIF"})


def photo_source(source_format: str) -> bool:
    """Whether a picture read from ``source_format`` (Pillow's name) is a lossy photograph."""
    return source_format in PHOTO_SOURCES


def _optimising(o: EncodeOptions) -> bool:
    return o.png_optimise and base.module_available("oxipng")


def oxipng_runs(o: EncodeOptions, source_format: str) -> bool:
    """Whether PNG output from a ``source_format`` picture gets the oxipng pass."""
    return _optimising(o) and (o.png_optimise_photos or not photo_source(source_format))


def _zlib(o: EncodeOptions) -> bool:
    return not _optimising(o) or not o.png_optimise_photos  # photos are written with zlib


def _palette_on(o: EncodeOptions) -> bool:
    return o.palette


def _imagequant_on(o: EncodeOptions) -> bool:
    return o.palette and o.quantiser == "imagequant"


def palette_colours_option(applies: base.Applies = base.always) -> OptionSpec:
    """The palette size, shared with GIF."""
    return OptionSpec(
        field="palette_colors",
        label=N_("Colours"),
        help="palette colours {low}-{high}",
        applies=applies,
    )


def dither_option(applies: base.Applies = base.always) -> OptionSpec:
    """Dithering of the palette, shared with GIF."""
    return OptionSpec(
        field="dither",
        label=N_("Dithering"),
        help="dithering {low}-{high}",
        applies=applies,
    )


OPTIONS = (
    OptionSpec(
        field="png_optimise",
        label=N_("Optimise (oxipng)"),
        help="lossless oxipng pass, on photographs decoded from JPEG, HEIC or AVIF only with "
        "png-optimise-photos",
        needs="oxipng",
    ),
    OptionSpec(
        field="png_optimise_photos",
        label=N_("Optimise photos too"),
        help="the oxipng pass also on photographs decoded from JPEG, HEIC or AVIF: ~7% smaller "
        "cut-outs for 3-5x the time",
        applies=_optimising,
        needs="oxipng",
    ),
    OptionSpec(
        field="png_effort",
        label=N_("Effort"),
        help="oxipng effort: {low} fastest, {high} smallest",
        applies=_optimising,
        needs="oxipng",
        advanced=True,
    ),
    OptionSpec(
        field="compress_level",
        label=N_("zlib level"),
        help="zlib level {low}-{high} where the oxipng pass does not run",
        applies=_zlib,
    ),
    OptionSpec(
        field="exact",
        label=N_("Exact"),
        help="keep the colour under fully transparent pixels (off: oxipng may change it, "
        "invisible)",
        applies=_optimising,
        advanced=True,
    ),
    OptionSpec(
        field="palette",
        label=N_("Palette (lossy)"),
        help="quantise to a palette of up to 256 colours (logos, screenshots)",
    ),
    palette_colours_option(_palette_on),
    OptionSpec(
        field="quantiser",
        label=N_("Quantiser"),
        help="palette quantiser: pillow (default; smaller and closer on the corpus logos) or "
        "imagequant (libimagequant, the pngquant library)",
        applies=_palette_on,
        choice_needs=(("imagequant", "imagequant"),),
    ),
    OptionSpec(
        field="palette_quality",
        label=N_("Palette quality"),
        help="palette target quality {low}-{high}",
        applies=_imagequant_on,
    ),
    # Pillow's quantiser dithers only without transparency; imagequant always can.
    dither_option(_palette_on),
)


def save_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"compress_level": opts.compress_level}  # write(): 1 before oxipng


def write(processed: Processed, settings: Settings, spec: FormatSpec) -> bytes:
    opts = settings.encode
    frames = processed.frames
    if opts.palette:
        frames = [quantise(f, opts) for f in frames]
    options = save_options(opts)
    options.update(metadata_options(processed, spec))
    xmp = options.pop("xmp", None)
    if xmp is not None:  # PNG keeps XMP in an iTXt chunk
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8", errors="replace"))
        options["pnginfo"] = info
    animated = len(frames) > 1
    optimising = oxipng_runs(opts, processed.source_format)
    if animated and optimising:
        options.update(optimize=True)  # oxipng skips animations: Pillow's best zlib instead
    elif optimising:
        options.update(compress_level=1)  # zlib's effort would be wasted: oxipng recompresses
    data = pillow_bytes(frames, processed, spec, options)
    # oxipng rewrites single images only: its APNG handling would drop frame timing.
    if optimising and not animated:
        data = oxipng_pass(data, opts.png_effort, keep_hidden_colour=opts.exact)
    return data


def oxipng_pass(data: bytes, effort: int, *, keep_hidden_colour: bool) -> bytes:
    """Lossless oxipng recompression of a PNG (chunks kept; pixels identical).

    Unless ``keep_hidden_colour``, oxipng may also change the colour of fully
    transparent pixels (invisible; libwebp's ``exact`` off does the same).
    """
    import oxipng

    return bytes(
        oxipng.optimize_from_memory(data, level=effort, optimize_alpha=not keep_hidden_colour)
    )


SPEC = FormatSpec(
    format=OutputFormat.PNG,
    label="PNG",
    extension="png",
    pil_name="PNG",
    alpha=True,
    modes=frozenset({"L", "LA", "RGB", "RGBA"}),
    max_side=2**31 - 1,
    animated=True,
    exif_limit=None,
    xmp=True,
    dpi=True,
    options=OPTIONS,
    pillow_feature="zlib",
    save_options=save_options,
    writer=write,
)
