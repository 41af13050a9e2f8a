"""What the user asked for, as frozen dataclasses.

The CLI and the GUI both build one :class:`Settings`; the engine only reads it.
Frozen and made of plain values so it pickles to worker processes, compares by
value, and has a stable :meth:`Settings.fingerprint` for "already made with the
same settings" checks. ``to_dict`` writes them as JSON (reports, presets in the
config file); ``checks.check_fields(Settings, data)`` reads them back, each value
checked against its field's rule.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from .errors import UsageError

# Used here, declared with their formats (core/formats/): the name saved in settings and
# each format's encoder option fields. Imported from here as before (explicit re-exports).
from .formats.names import OutputFormat as OutputFormat
from .formats.options import EncodeOptions as EncodeOptions
from .rules import ranged


class ResizeMode(str, enum.Enum):
    NONE = "none"
    FIT = "fit"  # within width x height, aspect kept
    FILL = "fill"  # cover width x height, centre crop
    PAD = "pad"  # fit, then pad to exactly width x height
    MAX_SIDE = "max-side"  # longest side = size
    PERCENT = "percent"  # scale by percent


class MetadataMode(str, enum.Enum):
    STRIP = "strip"  # nothing personal leaves (no EXIF, no GPS); colour is converted to sRGB
    KEEP = "keep"  # EXIF (orientation reset), XMP, ICC, DPI
    # As keep, minus where it was taken and what took it: GPS and camera/lens serials.
    KEEP_NO_LOCATION = "keep-no-location"


class Resample(str, enum.Enum):
    """Resampling filter of a resize (nearest keeps pixel art crisp)."""

    LANCZOS = "lanczos"
    BICUBIC = "bicubic"
    BILINEAR = "bilinear"
    NEAREST = "nearest"


class ConflictPolicy(str, enum.Enum):
    RENAME = "rename"  # "a (2).webp"
    SKIP = "skip"
    OVERWRITE = "overwrite"


class IfBigger(str, enum.Enum):
    """What to do when an output is not smaller than its source."""

    WRITE = "write"  # keep the output anyway (the report notes it)
    COPY_SOURCE = "copy-source"  # copy the source unchanged when it is in the output's format
    SKIP = "skip"  # write nothing for this output


class BackgroundMode(str, enum.Enum):
    AI = "ai"  # rembg + onnxruntime
    FLAT = "flat"  # flat-colour border flood fill, no model


Color = tuple[int, int, int]


def parse_color(text: str) -> Color | None:
    """``transparent`` -> None, ``white``/``black`` or ``#RRGGBB`` -> (r, g, b)."""
    value = text.strip().lower()
    named = {"transparent": None, "none": None, "white": (255, 255, 255), "black": (0, 0, 0)}
    if value in named:
        return named[value]
    match = re.fullmatch(r"#?([0-9a-f]{6})", value)
    if not match:
        msg = f"bad colour {text!r}: use transparent, white, black or #RRGGBB"
        raise UsageError(msg)
    digits = match.group(1)
    return (int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16))


def format_color(color: Color | None) -> str:
    return "transparent" if color is None else "#{:02x}{:02x}{:02x}".format(*color)


def value_range(cls: type, name: str) -> tuple[Any, Any]:
    """The (low, high) of field ``name`` of dataclass ``cls``; (None, None) when unbounded."""
    return _field(cls, name).metadata.get("range", (None, None))  # type: ignore[no-any-return]


def value_choices(cls: type, name: str) -> tuple[str, ...]:
    """The choices of text field ``name`` of dataclass ``cls`` (empty: any text)."""
    return _field(cls, name).metadata.get("choices", ())  # type: ignore[no-any-return]


def _field(cls: type, name: str) -> dataclasses.Field[Any]:
    return next(f for f in dataclasses.fields(cls) if f.name == name)


# The largest resize box side (width, height, longest side), one rule for the CLI,
# --variant, recipe files, saved settings and the window. The planner and the resizer
# take any positive size (resize.plan_geometry is arithmetic, and without --upscale a
# box larger than the image changes nothing); an enlarged side is bounded by the
# writers, which refuse one over their own limit with a clear error (WebP 16,383,
# JPEG 65,500, AVIF 65,536, JPEG XL 1,048,576 px). 1,000,000 stays under the widest
# of them and was already the CLI's rule, so no value accepted before is refused now.
# (The output's pixel count is not bounded by it: Limits.max_pixels checks inputs.)
LARGEST_SIDE = 1_000_000


@dataclass(frozen=True)
class ResizeOptions:
    mode: ResizeMode = ResizeMode.NONE
    width: int | None = ranged(None, 1, LARGEST_SIDE)  # fit/fill/pad
    height: int | None = ranged(None, 1, LARGEST_SIDE)  # fit/fill/pad
    size: int | None = ranged(None, 1, LARGEST_SIDE)  # max-side
    percent: float | None = ranged(None, 0.01, 10_000)  # percent
    upscale: bool = False  # True: enlarge a smaller image to the size asked (--upscale)
    resample: Resample = Resample.LANCZOS  # nearest for pixel art
    # unsharp-mask amount in percent after a downscale (0 = off, ~50 light)
    sharpen: int = ranged(0, 0, 300)


@dataclass(frozen=True)
class BackgroundRemoval:
    enabled: bool = False
    mode: BackgroundMode = BackgroundMode.AI
    model: str = "u2netp"
    post_process: bool = False  # smoother mask
    alpha_matting: bool = False  # finer hair edges, slow
    mask_only: bool = False  # write the mask instead of the cut-out
    trim: bool = False  # crop to the subject's bounding box
    trim_padding: str = "0"  # pixels ("12") or percent of the box ("5%")
    flat_tolerance: int = ranged(24, 0, 255)  # flat mode: colour distance counted as background
    fill_holes: bool = False  # flat mode: also remove enclosed background (inside of an "O")


@dataclass(frozen=True)
class Limits:
    """Safety limits; defaults are overridden from the config's feature flags."""

    max_pixels: int = ranged(100_000_000, 1, 10**12)
    max_file_bytes: int | None = ranged(None, 1, None)  # None = no limit
    timeout_seconds: float | None = ranged(None, 0.001, None)  # per file; None = no limit
    # Memory the batch's processes should stay under (the config's warning threshold).
    memory_budget_mb: float | None = ranged(None, 1, None)
    # AI background removal aims lower still: files wait for each other rather than
    # overlap beyond it (one file always runs, however big). None: automatic, see
    # capacity.auto_ai_memory_mb (450 MB on 2 cores, more with more cores).
    ai_memory_mb: float | None = ranged(None, 1, None)
    max_batch: int | None = ranged(None, 1, None)  # files per batch; None = no limit


@dataclass(frozen=True)
class Settings:
    encode: EncodeOptions = field(default_factory=EncodeOptions)
    resize: ResizeOptions = field(default_factory=ResizeOptions)
    background_removal: BackgroundRemoval = field(default_factory=BackgroundRemoval)
    background: Color | None = None  # fill colour; None = transparent (JPEG then uses white)
    metadata: MetadataMode = MetadataMode.STRIP
    keep_icc: bool = False  # True: embed the source profile instead of converting to sRGB
    name_template: str = "{stem}.{ext}"
    # Size cap (1 KB = 1000 bytes): an output over it gets its quality lowered until it fits
    # (core/sizing.py); one within it is left at its own quality.
    max_kb: int | None = ranged(None, 1, 10_000_000)
    downscale_to_fit: bool = False  # size cap: may shrink when the lowest quality is too big
    if_bigger: IfBigger = IfBigger.WRITE
    keep_dates: bool = False  # the output gets its source's modification time
    on_conflict: ConflictPolicy = ConflictPolicy.RENAME
    # Keep every frame when the output can hold animation (its FormatSpec.animated);
    # otherwise the first frame is taken and the result says so.
    animated: bool = True
    limits: Limits = field(default_factory=Limits)

    # -- serialisation -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (enums as their values, colour as text)."""
        raw = dataclasses.asdict(self)
        raw["background"] = format_color(self.background)
        return dict(_plain(raw))

    def fingerprint(self) -> str:
        """Stable hash of everything that changes the output's pixels or bytes.

        Conflict policy and limits do not change what a finished output looks like,
        so they are left out: re-running with ``--on-conflict skip`` still
        recognises outputs made before.
        """
        data = self.to_dict()
        for key in ("on_conflict", "limits"):
            data.pop(key, None)
        blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(blob).hexdigest()[:16]


# The one default recipe of both front ends: what `shh-converter convert` does without
# options and what the window starts with. Web-ready WebP, longest side 1600 px, never
# enlarged (a resize only shrinks unless --upscale / "Enlarge small images" is asked).
# The built-in preset "Web 1600 WebP" is this (core/presets.py); a saved window setting
# is loaded as it was saved, whatever this says.
DEFAULT_SETTINGS = Settings(
    encode=EncodeOptions(format=OutputFormat.WEBP, quality=82),
    resize=ResizeOptions(mode=ResizeMode.MAX_SIDE, size=1600, upscale=False),
)


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
