"""The one table of output formats: label, extension, options, capabilities, availability.

Everything the engine and both front ends need to know about an output format
lives in its :class:`FormatSpec`: what it can hold (alpha, animation, ICC, EXIF,
XMP), its encoder options (:class:`OptionSpec`: the :class:`EncodeOptions` field,
range or choices, this format's default, when it applies) and whether this
install can write it. The CLI's flags and ``--help`` (``cli/encoder_flags.py``),
the window's controls (``gui/encoder_controls.py``), recipe specs and settings
checks all read it. Adding a format means one entry here and its writer in
``encode.py``.

The engine works internally in ``L``/``LA``/``RGB``/``RGBA``; :func:`normalise_mode`
turns that into a mode the chosen encoder accepts (WebP and AVIF have no
greyscale, JPEG has no alpha — alpha is flattened before it gets here).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PIL import Image

from .settings import EncodeOptions, OutputFormat

log = logging.getLogger(__name__)

Applies = Callable[[EncodeOptions], bool]


def _always(_opts: EncodeOptions) -> bool:
    return True


# Options only an encoder's expert needs: the window shows them once Preferences'
# "Show advanced options" is ticked (the CLI always takes them).
ADVANCED_OPTIONS = frozenset(
    {
        "near_lossless", "exact", "method", "png_effort", "jxl_effort",
        "optimize_huffman", "mozjpeg_pass", "jpeg_encoder",
    }
)  # fmt: skip


@dataclass(frozen=True)
class OptionSpec:
    """One encoder option of one format, as the table describes it."""

    field: str  # the EncodeOptions field (stable: recipe keys, presets, flags)
    label: str  # shown in the window
    help: str  # one line for --help and tooltips
    kind: str  # "int", "bool" or "choice"
    default: Any  # this format's default
    low: int | None = None  # ints: range, both ends included
    high: int | None = None
    choices: tuple[str, ...] = ()  # choice options
    # Whether the option means anything given the others (quality of a lossless WebP
    # does not): the window disables it, the CLI refuses it.
    applies: Applies = _always
    needs: str | None = None  # Python module the option needs ("unavailable here" without)
    choice_needs: tuple[tuple[str, str], ...] = ()  # (choice, module) for choices that need one

    def available(self) -> bool:
        """Whether this install has what the option needs."""
        return self.needs is None or module_available(self.needs)

    def choice_available(self, choice: str) -> bool:
        """Whether ``choice`` of a choice option can be used here."""
        needed = dict(self.choice_needs).get(choice)
        return needed is None or module_available(needed)

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable for this option, or None when it is."""
        if self.kind == "bool":
            return None if isinstance(value, bool) else "is not true or false"
        if self.kind == "choice":
            return None if value in self.choices else f"is not one of {', '.join(self.choices)}"
        if value is None and self.field == "near_lossless":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            return "is not a whole number"
        if self.low is not None and self.high is not None and not self.low <= value <= self.high:
            return f"is not in {self.low}-{self.high}"
        return None


@dataclass(frozen=True)
class FormatSpec:
    """What one output format can hold, how it is written, and its options."""

    format: OutputFormat
    label: str  # shown in the window's format list
    extension: str  # without the dot
    pil_name: str  # Image.save(format=...)
    alpha: bool  # can store transparency
    modes: frozenset[str]  # modes the encoder takes as they are
    max_side: int  # the encoder's limit per side, in pixels
    animated: bool  # can store several frames (with this install's writer)
    exif_limit: int | None  # largest EXIF block the container can hold (bytes); 0 = none
    icc: bool = True  # can embed a colour profile
    xmp: bool = False  # can carry an XMP packet
    options: tuple[OptionSpec, ...] = ()
    needs: str | None = None  # Python module the writer needs (None: Pillow alone)
    pillow_feature: str | None = None  # PIL.features name the writer needs

    @property
    def exif(self) -> bool:
        return self.exif_limit != 0

    def available(self) -> bool:
        """Whether this install can write the format."""
        if self.needs is not None and not module_available(self.needs):
            return False
        return self.pillow_feature is None or _pillow_has(self.pillow_feature)

    def option(self, name: str) -> OptionSpec | None:
        """The option called ``name`` (an EncodeOptions field), or None if the format has none."""
        return next((o for o in self.options if o.field == name), None)

    def applies(self, name: str, opts: EncodeOptions) -> bool:
        """Does option ``name`` apply to this format with the other options ``opts``?"""
        option = self.option(name)
        return option is not None and option.available() and option.applies(opts)


@functools.cache
def module_available(name: str) -> bool:
    """Whether ``name`` can be imported here (found, not imported: cheap, no side effects)."""
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


@functools.cache
def _pillow_has(feature: str) -> bool:
    from PIL import features

    try:
        return bool(features.check(feature))
    except ValueError:  # a Pillow too old to know the feature
        return False


# -- the options -------------------------------------------------------------------


def _webp_lossy(o: EncodeOptions) -> bool:
    return not o.lossless and o.near_lossless is None


def _jpeg_pillow(o: EncodeOptions) -> bool:
    return o.jpeg_encoder != "jpegli"


def _jpeg_baseline(o: EncodeOptions) -> bool:
    # libjpeg always optimises a progressive JPEG's Huffman tables.
    return _jpeg_pillow(o) and not o.progressive


def _png_optimising(o: EncodeOptions) -> bool:
    return o.png_optimise and module_available("oxipng")


# Sources whose pixels are a lossy codec's output: photographs, where a lossless PNG
# optimiser finds little to take out (~7 % on the corpus cut-outs, for 3-5x the time of
# the whole conversion). Lossless and ambiguous sources (PNG, GIF, BMP, TIFF, WebP, JPEG XL)
# always get the pass: logos, screenshots and graphics are where it pays.
PHOTO_SOURCES = frozenset({"JPEG", "MPO", "HEIF", "AVIF"})


def photo_source(source_format: str) -> bool:
    """Whether a picture read from ``source_format`` (Pillow's name) is a lossy photograph."""
    return source_format in PHOTO_SOURCES


def oxipng_runs(o: EncodeOptions, source_format: str) -> bool:
    """Whether PNG output from a ``source_format`` picture gets the oxipng pass."""
    return _png_optimising(o) and (o.png_optimise_photos or not photo_source(source_format))


def _png_zlib(o: EncodeOptions) -> bool:
    return not _png_optimising(o) or not o.png_optimise_photos  # photos are written with zlib


def _palette_on(o: EncodeOptions) -> bool:
    return o.palette


def _imagequant_on(o: EncodeOptions) -> bool:
    return o.palette and o.quantiser == "imagequant"


def _dither_applies(o: EncodeOptions) -> bool:
    # Pillow's quantiser dithers only without transparency; imagequant always can.
    return o.palette


def _jxl_lossy(o: EncodeOptions) -> bool:
    return not o.lossless


def _quality(default: int, applies: Applies = _always, what: str = "") -> OptionSpec:
    return OptionSpec(
        "quality",
        "Quality",
        f"quality 0-100{what} ({default})",
        "int",
        default,
        0,
        100,
        applies=applies,
    )


SUBSAMPLING = ("auto", "4:4:4", "4:2:2", "4:2:0")

WEBP_OPTIONS = (
    _quality(82, _webp_lossy),  # the default recipe's (settings.DEFAULT_SETTINGS)
    OptionSpec("lossless", "Lossless", "lossless WebP", "bool", False),
    OptionSpec(
        "near_lossless",
        "Near-lossless",
        "lossless WebP that may move pixel values slightly (0-100, 100 = exact)",
        "int",
        None,
        0,
        100,
    ),
    OptionSpec(
        "alpha_quality",
        "Alpha quality",
        "transparency quality 0-100 (100)",
        "int",
        100,
        0,
        100,
        applies=_webp_lossy,
    ),
    OptionSpec("method", "Effort", "effort: 0 fastest, 6 smallest (4)", "int", 4, 0, 6),
    OptionSpec("exact", "Exact", "keep the colour under fully transparent pixels", "bool", False),
)
JPEG_OPTIONS = (
    _quality(85),
    OptionSpec(
        "jpeg_encoder",
        "Encoder",
        "pillow (libjpeg-turbo; default: jpegli did not win at equal SSIMULACRA2 on the corpus), "
        "jpegli, or auto (jpegli unless a JPEG is kept at its size)",
        "choice",
        "pillow",
        choices=("auto", "jpegli", "pillow"),
        choice_needs=(("jpegli", "pyjpegli"),),
    ),
    OptionSpec(
        "progressive", "Progressive", "progressive JPEG (on)", "bool", True, applies=_jpeg_pillow
    ),
    OptionSpec(
        "subsampling",
        "Chroma",
        "chroma subsampling: auto (4:4:4 at quality >= 90, else 4:2:0), 4:4:4, 4:2:2, 4:2:0",
        "choice",
        "auto",
        choices=SUBSAMPLING,
        applies=_jpeg_pillow,
    ),
    OptionSpec(
        "optimize_huffman",
        "Optimised Huffman",
        "optimised Huffman tables for a baseline JPEG (on)",
        "bool",
        True,
        applies=_jpeg_baseline,
    ),
    OptionSpec(
        "mozjpeg_pass",
        "MozJPEG pass",
        "lossless MozJPEG re-optimisation of the file (~1% smaller)",
        "bool",
        False,
        needs="mozjpeg_lossless_optimization",
    ),
)
PNG_OPTIONS = (
    OptionSpec(
        "png_optimise",
        "Optimise (oxipng)",
        "lossless oxipng pass, on photographs decoded from JPEG, HEIC or AVIF only with "
        "png-optimise-photos (on)",
        "bool",
        True,
        needs="oxipng",
    ),
    OptionSpec(
        "png_optimise_photos",
        "Optimise photos too",
        "the oxipng pass also on photographs decoded from JPEG, HEIC or AVIF: ~7% smaller "
        "cut-outs for 3-5x the time (off)",
        "bool",
        False,
        applies=_png_optimising,
        needs="oxipng",
    ),
    OptionSpec(
        "png_effort",
        "Effort",
        "oxipng effort: 1 fastest, 6 smallest (2)",
        "int",
        2,
        1,
        6,
        applies=_png_optimising,
        needs="oxipng",
    ),
    OptionSpec(
        "compress_level",
        "zlib level",
        "zlib level 0-9 where the oxipng pass does not run (6)",
        "int",
        6,
        0,
        9,
        applies=_png_zlib,
    ),
    OptionSpec(
        "exact",
        "Exact",
        "keep the colour under fully transparent pixels (off: oxipng may change it, invisible)",
        "bool",
        False,
        applies=_png_optimising,
    ),
    OptionSpec(
        "palette",
        "Palette (lossy)",
        "quantise to a palette of up to 256 colours (logos, screenshots)",
        "bool",
        False,
    ),
    OptionSpec(
        "palette_colors",
        "Colours",
        "palette colours 2-256 (256)",
        "int",
        256,
        2,
        256,
        applies=_palette_on,
    ),
    OptionSpec(
        "quantiser",
        "Quantiser",
        "palette quantiser: pillow (default; smaller and closer on the corpus logos) or "
        "imagequant (libimagequant, the pngquant library)",
        "choice",
        "pillow",
        choices=("pillow", "imagequant"),
        applies=_palette_on,
        choice_needs=(("imagequant", "imagequant"),),
    ),
    OptionSpec(
        "palette_quality",
        "Palette quality",
        "palette target quality 0-100 (90)",
        "int",
        90,
        0,
        100,
        applies=_imagequant_on,
    ),
    OptionSpec(
        "dither", "Dithering", "dithering 0-100 (100)", "int", 100, 0, 100, applies=_dither_applies
    ),
)
AVIF_OPTIONS = (
    # 75 for photos: SSIMULACRA2 83 (high quality) at 0.82x the bytes of JPEG q85 on the
    # corpus photos; 80 would be 85.3 at 0.92x (docs/performance.md, issue 10).
    _quality(75),
    OptionSpec(
        "avif_speed", "Speed", "encoder speed: 0 slowest/smallest, 10 fastest (6)", "int", 6, 0, 10
    ),
    OptionSpec(
        "subsampling",
        "Chroma",
        "chroma subsampling: auto (4:4:4 at quality >= 90, else 4:2:0), 4:4:4, 4:2:2, 4:2:0",
        "choice",
        "auto",
        choices=SUBSAMPLING,
    ),
)
JXL_OPTIONS = (
    _quality(90, _jxl_lossy),
    OptionSpec("lossless", "Lossless", "lossless JPEG XL", "bool", False),
    OptionSpec("jxl_effort", "Effort", "effort: 1 fastest, 9 smallest (7)", "int", 7, 1, 9),
    OptionSpec(
        "jpeg_transcode",
        "Recompress JPEG",
        "a JPEG kept at its size is recompressed losslessly (the JPEG can be rebuilt bit for bit)",
        "bool",
        True,
    ),
)
GIF_OPTIONS = (
    OptionSpec("palette_colors", "Colours", "palette colours 2-256 (256)", "int", 256, 2, 256),
    OptionSpec("dither", "Dithering", "dithering 0-100 (100)", "int", 100, 0, 100),
)

_ALL_MODES = frozenset({"L", "LA", "RGB", "RGBA"})
SPECS: dict[OutputFormat, FormatSpec] = {
    OutputFormat.WEBP: FormatSpec(
        OutputFormat.WEBP,
        "WebP",
        "webp",
        "WEBP",
        True,
        frozenset({"RGB", "RGBA"}),
        16383,
        True,
        None,
        xmp=True,
        options=WEBP_OPTIONS,
        pillow_feature="webp",
    ),
    # A JPEG APP1 segment holds at most 65533 bytes, "Exif\0\0" included.
    OutputFormat.JPEG: FormatSpec(
        OutputFormat.JPEG,
        "JPEG",
        "jpg",
        "JPEG",
        False,
        frozenset({"L", "RGB"}),
        65500,
        False,
        65527,
        xmp=True,
        options=JPEG_OPTIONS,
        pillow_feature="jpg",
    ),
    OutputFormat.PNG: FormatSpec(
        OutputFormat.PNG,
        "PNG",
        "png",
        "PNG",
        True,
        _ALL_MODES,
        2**31 - 1,
        True,
        None,
        xmp=True,
        options=PNG_OPTIONS,
        pillow_feature="zlib",
    ),
    OutputFormat.AVIF: FormatSpec(
        OutputFormat.AVIF,
        "AVIF",
        "avif",
        "AVIF",
        True,
        frozenset({"RGB", "RGBA"}),
        65536,
        True,
        None,
        xmp=True,
        options=AVIF_OPTIONS,
        pillow_feature="avif",
    ),
    # pillow-jxl-plugin writes one frame (no animation) and reads one frame.
    OutputFormat.JXL: FormatSpec(
        OutputFormat.JXL,
        "JPEG XL",
        "jxl",
        "JXL",
        True,
        _ALL_MODES,
        1 << 20,
        False,
        None,
        xmp=True,
        options=JXL_OPTIONS,
        needs="pillow_jxl",
    ),
    OutputFormat.GIF: FormatSpec(
        OutputFormat.GIF,
        "GIF",
        "gif",
        "GIF",
        True,
        frozenset({"P"}),
        65535,
        True,
        0,
        icc=False,
        options=GIF_OPTIONS,
    ),
    # Pillow writes each of ico_sizes (downscaled from the one image) into one file.
    OutputFormat.ICO: FormatSpec(
        OutputFormat.ICO,
        "ICO (favicon)",
        "ico",
        "ICO",
        True,
        frozenset({"RGBA"}),
        256,
        False,
        0,
        icc=False,
    ),
}


def spec_for(fmt: OutputFormat | str) -> FormatSpec:
    """The :class:`FormatSpec` of ``fmt`` (an :class:`OutputFormat` or its value)."""
    return SPECS[OutputFormat(fmt)]


def available_formats() -> list[FormatSpec]:
    """The formats this install can write, in the table's order."""
    return [spec for spec in SPECS.values() if spec.available()]


def all_options() -> dict[str, list[tuple[FormatSpec, OptionSpec]]]:
    """Every option field, with the formats that have it (for flags and checks)."""
    out: dict[str, list[tuple[FormatSpec, OptionSpec]]] = {}
    for spec in SPECS.values():
        for option in spec.options:
            out.setdefault(option.field, []).append((spec, option))
    return out


def default_options(fmt: OutputFormat | str, **changes: Any) -> EncodeOptions:
    """EncodeOptions with ``fmt``'s own defaults (AVIF quality is not JPEG's), then ``changes``."""
    spec = spec_for(fmt)
    values: dict[str, Any] = {o.field: o.default for o in spec.options}
    values.update(changes)
    return EncodeOptions(format=spec.format, **values)


def problems(opts: EncodeOptions) -> list[str]:
    """What is wrong with ``opts`` for its format: out of range, or unavailable here.

    Options the format does not have are ignored (a preset may carry WebP's method
    into a JPEG output); the CLI refuses those itself, where the user typed them.
    """
    spec = spec_for(opts.format)
    found: list[str] = []
    if not spec.available():
        found.append(
            f"{spec.label} output is unavailable in this install ({unavailable_why(spec)})"
        )
    for option in spec.options:
        value = getattr(opts, option.field)
        if value == option.default:
            continue
        reason = option.check(value)
        if reason:
            found.append(f"{option.field} = {value!r} {reason}")
        elif not option.available():
            found.append(f"{option.field} is unavailable in this install (needs {option.needs})")
        elif option.kind == "choice" and not option.choice_available(value):
            found.append(f"{option.field} = {value!r} is unavailable in this install")
    return found


def unavailable_why(spec: FormatSpec) -> str:
    """A short reason for an unavailable format."""
    if spec.needs is not None and not module_available(spec.needs):
        return f"needs the {spec.needs} package"
    return f"this Pillow lacks {spec.pillow_feature}"


# -- Pillow's save options -----------------------------------------------------------


def chroma(opts: EncodeOptions) -> str:
    """The subsampling actually used: auto = 4:4:4 at quality >= 90, else 4:2:0."""
    if opts.subsampling in ("4:4:4", "4:2:2", "4:2:0"):
        return opts.subsampling
    return "4:4:4" if opts.quality >= 90 else "4:2:0"


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
    out: dict[str, Any] = {
        "quality": opts.quality,
        "progressive": opts.progressive,
        "subsampling": chroma(opts),
        "optimize": opts.optimize_huffman,
    }
    if opts.quality % 1:  # a size cap's search between two whole qualities (core/sizing.py)
        del out["quality"]
        out["qtables"] = jpeg_qtables(opts.quality)
    return out


# The example tables of the JPEG standard (ITU-T T.81, Annex K), in natural order:
# libjpeg scales these by its quality.
_JPEG_LUMA = (
    (16, 11, 10, 16, 24, 40, 51, 61), (12, 12, 14, 19, 26, 58, 60, 55),
    (14, 13, 16, 24, 40, 57, 69, 56), (14, 17, 22, 29, 51, 87, 80, 62),
    (18, 22, 37, 56, 68, 109, 103, 77), (24, 35, 55, 64, 81, 104, 113, 92),
    (49, 64, 78, 87, 103, 121, 120, 101), (72, 92, 95, 98, 112, 100, 103, 99),
)  # fmt: skip
_JPEG_CHROMA = (
    (17, 18, 24, 47, 99, 99, 99, 99), (18, 21, 26, 66, 99, 99, 99, 99),
    (24, 26, 56, 99, 99, 99, 99, 99), (47, 66, 99, 99, 99, 99, 99, 99),
    *((99,) * 8 for _ in range(4)),
)  # fmt: skip


def jpeg_qtables(quality: float) -> list[list[int]]:
    """libjpeg's quantisation tables for a quality between whole numbers.

    The same scaling as libjpeg's ``jpeg_quality_scaling`` (5000/q below 50,
    200 - 2q above), not rounded to a whole quality first: at whole qualities the
    tables equal libjpeg's own, in between the file size moves smoothly.
    """
    q = min(100.0, max(1.0, quality))
    scale = 5000 / q if q < 50 else 200 - 2 * q
    if q % 1 == 0:
        scale = int(scale)  # libjpeg's integer division
    return [
        [min(255, max(1, int((v * scale + 50) // 100))) for row in table for v in row]
        for table in (_JPEG_LUMA, _JPEG_CHROMA)
    ]


def _png_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"compress_level": opts.compress_level}  # encode._write_png: 1 before oxipng


def _avif_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"quality": opts.quality, "speed": opts.avif_speed, "subsampling": chroma(opts)}


def _jxl_options(opts: EncodeOptions) -> dict[str, Any]:
    return {
        "quality": opts.quality,
        "lossless": opts.lossless,
        "effort": opts.jxl_effort,
        "lossless_jpeg": False,  # encode.py transcodes JPEG sources itself, from their bytes
    }


def _gif_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"optimize": True}


def _ico_options(opts: EncodeOptions) -> dict[str, Any]:
    return {"sizes": [(s, s) for s in opts.ico_sizes]}


_MAPPERS: dict[OutputFormat, Callable[[EncodeOptions], dict[str, Any]]] = {
    OutputFormat.WEBP: _webp_options,
    OutputFormat.JPEG: _jpeg_options,
    OutputFormat.PNG: _png_options,
    OutputFormat.AVIF: _avif_options,
    OutputFormat.JXL: _jxl_options,
    OutputFormat.GIF: _gif_options,
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
    Palette formats (GIF) are quantised by the encoder, so they get RGB/RGBA here.
    """
    if img.mode in spec.modes:
        return img
    has_alpha = img.mode in ("LA", "RGBA")
    if spec.modes == frozenset({"P"}):
        return img.convert("RGBA" if has_alpha else "RGB")
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


def field_names() -> frozenset[str]:
    """Every EncodeOptions field."""
    return frozenset(f.name for f in dataclasses.fields(EncodeOptions))
