"""WebP: lossy or lossless, transparency, animation, EXIF/XMP/ICC."""

from __future__ import annotations

from typing import Any

# WebPImagePlugin: imported to register WebP's writer now; otherwise Pillow's save() runs
# Image.init(), which loads every plugin (libavif too): 25-75 ms of CPU in each fresh worker.
from PIL import Image, WebPImagePlugin  # noqa: F401

from ..settings import EncodeOptions, OutputFormat, Settings
from .base import N_, FormatSpec, OptionSpec, Processed, always, quality_option
from .writing import metadata_options, pillow_bytes


def _lossy(o: EncodeOptions) -> bool:
    return not o.lossless and o.near_lossless is None


OPTIONS = (
    quality_option(82, _lossy),  # the default recipe's (settings.DEFAULT_SETTINGS)
    OptionSpec(field="lossless", label=N_("Lossless"), help="lossless WebP"),
    OptionSpec(
        field="near_lossless",
        label=N_("Near-lossless"),
        help="lossless WebP that may move pixel values slightly ({low}-{high}, 100 = exact)",
        advanced=True,
    ),
    OptionSpec(
        field="alpha_quality",
        label=N_("Alpha quality"),
        help="transparency quality {low}-{high}",
        applies=_lossy,
    ),
    OptionSpec(
        field="method",
        label=N_("Effort"),
        help="effort: {low} fastest, {high} smallest",
        advanced=True,
    ),
    OptionSpec(
        field="exact",
        label=N_("Exact"),
        help="keep the colour under fully transparent pixels",
        advanced=True,
    ),
)


def save_options(opts: EncodeOptions) -> dict[str, Any]:
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


def write(processed: Processed, settings: Settings, spec: FormatSpec) -> bytes:
    options = save_options(settings.encode)
    options.update(metadata_options(processed, spec))
    frames = processed.frames
    if settings.encode.near_lossless is not None and options.get("lossless"):
        frames = [near_lossless(f, settings.encode.near_lossless) for f in frames]
    return pillow_bytes(frames, processed, spec, options)


def near_lossless(img: Image.Image, level: int) -> Image.Image:
    """WebP near-lossless preprocessing (Pillow does not expose libwebp's own).

    Like libwebp's option, ``level`` 100 changes nothing and lower levels let each
    channel value move a little so the lossless coder finds more repeats: values
    are rounded to a multiple of 2**bits, bits = (100 - level) // 20 (0..5, so at
    most +-16 of 255 at level 0). Alpha is left exact.
    """
    bits = max(0, min(5, (100 - level) // 20))
    if bits == 0:
        return img
    step = 1 << bits
    table = [min(255, ((v + step // 2) // step) * step) for v in range(256)]
    bands = img.split()
    colour_bands = bands[:3] if img.mode == "RGBA" else bands
    rounded = [b.point(table) for b in colour_bands]
    if img.mode == "RGBA":
        rounded.append(bands[3])
    return Image.merge(img.mode, rounded)


SPEC = FormatSpec(
    format=OutputFormat.WEBP,
    label="WebP",
    extension="webp",
    pil_name="WEBP",
    alpha=True,
    modes=frozenset({"RGB", "RGBA"}),
    max_side=16383,
    animated=True,
    exif_limit=None,
    xmp=True,
    options=OPTIONS,
    pillow_feature="webp",
    save_options=save_options,
    writer=write,
    fractional_quality=always,  # libwebp takes a fractional quality
    # libwebp's size can jump 15-20 % within an eighth of a quality at q94
    effort_option="method",
)
