"""What every format module declares: :class:`FormatSpec` and its :class:`OptionSpec` s.

A format's module (``webp.py``, ``jpeg.py``, ...) builds one ``FormatSpec`` with
keyword arguments: what the format can hold, its encoder options (label, help,
its default, when it applies; the value's range and choices are the
:class:`EncodeOptions` field's own, read from there), the Pillow options it
saves with and its writer. The registry (``__init__.py``) imports them.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image

from .. import metadata
from ..settings import EncodeOptions, OutputFormat, value_choices, value_range

if TYPE_CHECKING:
    from ..settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Processed:
    """The final image(s), ready for a format's writer (the pipeline's result)."""

    frames: list[Image.Image]
    input_size: tuple[int, int]
    durations: list[int] = field(default_factory=list)
    loop: int = 0
    meta: metadata.Metadata = field(default_factory=metadata.Metadata)
    warnings: list[str] = field(default_factory=list)
    source_format: str = "?"
    final_size: tuple[int, int] = (0, 0)  # size at full resolution (differs in previews)
    source_path: Path | None = None  # for JPEG XL's lossless recompression of a JPEG

    @property
    def output_size(self) -> tuple[int, int]:
        return self.frames[0].size


Applies = Callable[[EncodeOptions], bool]
SaveOptions = Callable[[EncodeOptions], dict[str, Any]]
Writer = Callable[[Processed, "Settings", "FormatSpec"], bytes]


def N_(message: str) -> str:
    """Mark a label for the catalogs; the window shows it through ``i18n._``.

    Core never translates (it runs headless, in workers): this only lets Babel
    find the label where it is declared.
    """
    return message


def always(_opts: EncodeOptions) -> bool:
    return True


def never(_opts: EncodeOptions) -> bool:
    return False


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


_FIELD_DEFAULT: Any = object()  # OptionSpec.default left out: the field's own
_FIELD_DEFAULTS: dict[str, Any] = {f.name: f.default for f in dataclasses.fields(EncodeOptions)}


@dataclass(frozen=True, kw_only=True)
class OptionSpec:
    """One encoder option of one format."""

    field: str  # the EncodeOptions field (stable: recipe keys, presets, flags)
    label: str  # shown in the window (marked with N_ where declared)
    # One line for --help; "{low}"/"{high}" stand for the field's range.
    help: str
    # This format's default, where it differs from the field's (AVIF's quality is not
    # JPEG's); left out, it is the EncodeOptions field's own default, stated only there.
    default: Any = _FIELD_DEFAULT
    # Whether the option means anything given the others (quality of a lossless WebP
    # does not): the window disables it, the CLI refuses it.
    applies: Applies = always
    needs: str | None = None  # Python module the option needs ("unavailable here" without)
    choice_needs: tuple[tuple[str, str], ...] = ()  # (choice, module) for choices that need one
    # Encoder jargon: the window shows it once Preferences' "Show advanced options" is
    # ticked (the CLI always takes it).
    advanced: bool = False

    def __post_init__(self) -> None:
        if self.default is _FIELD_DEFAULT:
            object.__setattr__(self, "default", _FIELD_DEFAULTS[self.field])

    @property
    def kind(self) -> str:
        """Its kind, "int", "bool" or "choice": from the field's type and metadata."""
        if self.choices:
            return "choice"
        return "bool" if isinstance(getattr(EncodeOptions(), self.field), bool) else "int"

    @property
    def low(self) -> int | None:
        low: int | None = value_range(EncodeOptions, self.field)[0]
        return low

    @property
    def high(self) -> int | None:
        high: int | None = value_range(EncodeOptions, self.field)[1]
        return high

    @property
    def choices(self) -> tuple[str, ...]:
        return value_choices(EncodeOptions, self.field)

    @property
    def help_text(self) -> str:
        """The help line with the field's range filled in."""
        return self.help.format(low=self.low, high=self.high)

    def available(self) -> bool:
        """Whether this install has what the option needs."""
        return self.needs is None or module_available(self.needs)

    def choice_available(self, choice: str) -> bool:
        """Whether ``choice`` of a choice option can be used here."""
        needed = dict(self.choice_needs).get(choice)
        return needed is None or module_available(needed)

    def check(self, value: Any) -> str | None:
        """Why ``value`` is not acceptable for this option, or None when it is."""
        kind = self.kind
        if kind == "bool":
            return None if isinstance(value, bool) else "is not true or false"
        if kind == "choice":
            return None if value in self.choices else f"is not one of {', '.join(self.choices)}"
        if value is None and self.default is None:
            return None  # an optional number left off (WebP near-lossless)
        if isinstance(value, bool) or not isinstance(value, int):
            return "is not a whole number"
        low, high = self.low, self.high
        if low is not None and high is not None and not low <= value <= high:
            return f"is not in {low}-{high}"
        return None


@dataclass(frozen=True, kw_only=True)
class FormatSpec:
    """What one output format can hold, its options, and how it is written."""

    format: OutputFormat
    label: str  # shown in the window's format list
    extension: str  # without the dot
    aliases: tuple[str, ...] = ()  # other names people type for it ("jpg")
    pil_name: str  # Image.save(format=...)
    alpha: bool  # can store transparency
    modes: frozenset[str]  # modes the encoder takes as they are
    max_side: int  # the encoder's limit per side, in pixels
    animated: bool  # can store several frames (with this install's writer)
    exif_limit: int | None  # largest EXIF block the container can hold (bytes); 0 = none
    icc: bool = True  # can embed a colour profile
    xmp: bool = False  # can carry an XMP packet
    dpi: bool = False  # Pillow writes the pixel density
    options: tuple[OptionSpec, ...] = ()
    needs: str | None = None  # Python module the writer needs (None: Pillow alone)
    pillow_feature: str | None = None  # PIL.features name the writer needs
    save_options: SaveOptions  # Image.save keyword arguments from the user's options
    writer: Writer  # the finished image(s) -> the file's bytes
    # The size cap (core/sizing.py) may search between two whole qualities.
    fractional_quality: Applies = never
    # The option the size cap raises when one quality step jumps past its window
    # (more encoder effort: slower, never bigger).
    effort_option: str | None = None

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


def quality_option(default: int, applies: Applies = always) -> OptionSpec:
    """The quality option, shared by the lossy formats with their own default."""
    return OptionSpec(
        field="quality",
        label=N_("Quality"),
        help="quality {low}-{high}",
        default=default,
        applies=applies,
    )


def chroma(opts: EncodeOptions) -> str:
    """The subsampling actually used (JPEG, AVIF): auto = 4:4:4 at quality >= 90, else 4:2:0."""
    if opts.subsampling in ("4:4:4", "4:2:2", "4:2:0"):
        return opts.subsampling
    return "4:4:4" if opts.quality >= 90 else "4:2:0"


def subsampling_option(applies: Applies = always) -> OptionSpec:
    """Chroma subsampling, shared by JPEG and AVIF."""
    return OptionSpec(
        field="subsampling",
        label=N_("Chroma"),
        help="chroma subsampling: auto (4:4:4 at quality >= 90, else 4:2:0), 4:4:4, 4:2:2, 4:2:0",
        applies=applies,
    )


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
