"""The registry of the output formats: one module each (``webp.py``, ``jpeg.py``, ...).

A format's module (``webp.py``, ``jpeg.py``, ``png.py``, ``avif.py``, ``jxl.py``,
``gif.py``, ``ico.py``) declares everything about it in one
:class:`~.base.FormatSpec`: what it can hold (alpha, animation, ICC, EXIF, XMP),
its encoder options (:class:`~.base.OptionSpec`: label, help, its default, when
it applies), the Pillow options it saves with, its writer and whether this
install can write it. Its option fields (names, types, ranges and choices) are in
``<format>_options.py``, and its name is a member of :class:`~.names.OutputFormat`
(the name saved in settings): both plain data without the engine, which
:mod:`..settings` is built from. The CLI's flags and ``--help``
(``cli/encoder_flags.py``), the window's controls (``gui/encoder_controls.py``),
recipe specs, settings checks, the encoder (``core/encode.py``) and the size cap
(``core/sizing.py``) all read it from here, as ``formats.<name>`` (the package
imports this module on first use). Adding a format is one new module plus its
entry in :data:`SPECS`, its member of ``OutputFormat`` and, if it has options of
its own, its ``<format>_options.py`` joined into :class:`~.options.EncodeOptions`.

The engine works internally in ``L``/``LA``/``RGB``/``RGBA``; :func:`normalise_mode`
turns that into a mode the chosen encoder accepts (WebP and AVIF have no
greyscale, JPEG has no alpha — alpha is flattened before it gets here).
"""

from __future__ import annotations

from typing import Any

from . import avif, base, gif, ico, jpeg, jxl, png, webp
from .base import FormatSpec, OptionSpec, chroma, field_names, normalise_mode
from .jpeg import jpeg_qtables
from .names import OutputFormat
from .options import EncodeOptions
from .png import oxipng_runs, photo_source

__all__ = [
    "ADVANCED_OPTIONS",
    "SPECS",
    "FormatSpec",
    "OptionSpec",
    "all_options",
    "available_formats",
    "chroma",
    "default_options",
    "field_names",
    "format_named",
    "jpeg_qtables",
    "normalise_mode",
    "oxipng_runs",
    "photo_source",
    "problems",
    "save_options",
    "spec_for",
    "unavailable_why",
]

# In the order the window's list and --help show them.
SPECS: dict[OutputFormat, FormatSpec] = {
    module.SPEC.format: module.SPEC for module in (webp, jpeg, png, avif, jxl, gif, ico)
}

# Options only an encoder's expert needs (each format module marks its own).
ADVANCED_OPTIONS = frozenset(o.field for s in SPECS.values() for o in s.options if o.advanced)


def spec_for(fmt: OutputFormat | str) -> FormatSpec:
    """The :class:`FormatSpec` of ``fmt`` (an :class:`OutputFormat` or its value)."""
    return SPECS[OutputFormat(fmt)]


def format_named(name: str) -> OutputFormat | None:
    """The format people call ``name`` (its value or an alias such as "jpg"), else None."""
    text = name.strip().lower()
    return next((s.format for s in SPECS.values() if text in (s.format.value, *s.aliases)), None)


def available_formats() -> list[FormatSpec]:
    """The formats this install can write, in the registry's order."""
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


def save_options(opts: EncodeOptions) -> dict[str, Any]:
    """Keyword arguments for ``Image.save`` from the user's :class:`EncodeOptions`."""
    return spec_for(opts.format).save_options(opts)


def unavailable_why(spec: FormatSpec) -> str:
    """A short reason for an unavailable format."""
    if spec.needs is not None and not base.module_available(spec.needs):
        return f"needs the {spec.needs} package"
    return f"this Pillow lacks {spec.pillow_feature}"


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
