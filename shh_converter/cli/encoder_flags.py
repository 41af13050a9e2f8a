"""Every encoder flag of ``convert``, generated from the formats (``core/formats/``).

One flag per :class:`EncodeOptions` field (``--png-effort`` for ``png_effort``),
its help and each format's default from the formats' modules, its range and
choices from the field, the formats it applies to named in ``--help``.
:func:`encode_from_args` turns the flags given into
:class:`EncodeOptions` and refuses, in one line, a flag the chosen format does
not have and a format or option this install cannot write. (An option that
does not apply with the others, ``--quality`` of a lossless WebP, is accepted and
has no effect, as before; the window disables it.) Adding a format or an
option to a format's module adds its flags here with no change.

Also here: the resampling flags (``--resample``, ``--sharpen``).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from ..core import formats
from ..core.errors import UsageError
from ..core.settings import EncodeOptions, OutputFormat, Resample, ResizeOptions, value_range
from .argtypes import field_value

# Flags that differ from their field's name: the project spells "optimise" one way
# (the field keeps its name: recipe files and presets use it).
FLAG_NAMES: dict[str, str] = {"optimize_huffman": "--optimise-huffman"}


def flag_of(field: str) -> str:
    """The command-line flag of an EncodeOptions field."""
    return FLAG_NAMES.get(field, "--" + field.replace("_", "-"))


def hidden_alias(flag: str) -> str | None:
    """The other spelling of a flag with "optimise" in it (accepted, never shown), else None."""
    other = flag.replace("optimise", "optimize")
    return other if other != flag else None


def format_names() -> str:
    """Every output format of the table, as people call them ("WebP, JPEG, ... ICO")."""
    return ", ".join(spec.label for spec in formats.SPECS.values())


def _format_help() -> str:
    names = []
    for spec in formats.SPECS.values():
        note = "" if spec.available() else f" [unavailable here: {formats.unavailable_why(spec)}]"
        names.append(f"{spec.format.value}{note}")
    return "output format (default webp): " + ", ".join(names) + "; several outputs: --variant"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``--format`` and every encoder option of the table, in an argument group."""
    p.add_argument(
        "--format",
        action="append",
        choices=[f.value for f in OutputFormat],
        help=_format_help(),
    )
    group = p.add_argument_group("encoder options (each applies to the formats named)")
    for field, users in formats.all_options().items():
        option = users[0][1]
        where = "/".join(spec.format.value for spec, _o in users)
        defaults = {str(o.default) for _s, o in users}
        default = (
            f" (default {defaults.pop()})"
            if len(defaults) == 1
            else " (default " + ", ".join(f"{s.format.value} {o.default}" for s, o in users) + ")"
        )
        text = option.help_text + default
        unavailable = "" if option.available() else f" [unavailable here: needs {option.needs}]"
        text = f"{where}: {text}{unavailable}".replace("%", "%%")
        flag = flag_of(field)
        if option.kind == "bool":
            group.add_argument(
                flag, dest=field, action=argparse.BooleanOptionalAction, default=None, help=text
            )
            alias = hidden_alias(flag)
            if alias is not None:
                group.add_argument(
                    alias,
                    dest=field,
                    action=argparse.BooleanOptionalAction,
                    default=None,
                    help=argparse.SUPPRESS,
                )
        elif option.kind == "choice":
            group.add_argument(
                flag, dest=field, choices=list(option.choices), default=None, help=text
            )
        else:
            lo, hi = value_range(EncodeOptions, field)
            group.add_argument(
                flag,
                dest=field,
                type=field_value(EncodeOptions, field),
                metavar=f"{lo}-{hi}",
                default=None,
                help=text,
            )


def add_resize_arguments(p: argparse.ArgumentParser) -> None:
    """``--resample`` and ``--sharpen`` (read by :func:`resize_extras`)."""
    p.add_argument(
        "--resample",
        choices=[r.value for r in Resample],
        help="resampling filter: lanczos (default), bicubic, bilinear, nearest (pixel art)",
    )
    low, high = value_range(ResizeOptions, "sharpen")
    p.add_argument(
        "--sharpen",
        type=field_value(ResizeOptions, "sharpen"),
        metavar=f"{low}-{high}",
        help="unsharp mask after a downscale, in percent (0 = off; ~50 is light)",
    )


def resize_extras(args: argparse.Namespace) -> dict[str, Any]:
    """The ResizeOptions fields the resampling flags set (only those given)."""
    out: dict[str, Any] = {}
    if getattr(args, "resample", None) is not None:
        out["resample"] = Resample(args.resample)
    if getattr(args, "sharpen", None) is not None:
        out["sharpen"] = args.sharpen
    return out


def given_options(args: argparse.Namespace) -> dict[str, Any]:
    """EncodeOptions fields for the encoder flags actually given (None = not given)."""
    out: dict[str, Any] = {}
    for field in formats.all_options():
        value = getattr(args, field, None)
        if value is not None:
            out[field] = value
    return out


def encode_from_args(args: argparse.Namespace, base: EncodeOptions | None = None) -> EncodeOptions:
    """Encoder options: the flags given over ``base``'s (or the chosen format's defaults).

    When ``--format`` changes the format, the new format's own defaults replace
    ``base``'s encoder options (AVIF does not inherit WebP's quality).
    """
    chosen = getattr(args, "format", None)
    if chosen and len(chosen) > 1:
        named = ", ".join(chosen)
        msg = f"--format given {len(chosen)} times ({named}): use --variant FORMAT for each output"
        raise UsageError(msg)
    base = base if base is not None else formats.default_options(OutputFormat.WEBP)
    if chosen and OutputFormat(chosen[0]) != base.format:
        base = formats.default_options(chosen[0])
    given = given_options(args)
    opts = dataclasses.replace(base, **given)
    check(opts, given)
    return opts


def check(opts: EncodeOptions, given: dict[str, Any]) -> None:
    """Refuse what the table says cannot be (UsageError, one line, exit 2)."""
    spec = formats.spec_for(opts.format)
    if not spec.available():
        msg = (
            f"--format {opts.format.value}: {spec.label} output is unavailable in this install "
            f"({formats.unavailable_why(spec)})"
        )
        raise UsageError(msg)
    for field in given:
        option = spec.option(field)
        flag = flag_of(field)
        if option is None:
            having = [s.format.value for s, _o in formats.all_options()[field]]
            msg = f"{flag} applies to --format {' or '.join(having)} only"
            raise UsageError(msg)
        if not option.available():
            msg = f"{flag} is unavailable in this install (needs {option.needs})"
            raise UsageError(msg)
        value = getattr(opts, field)
        if option.kind == "choice" and not option.choice_available(value):
            needed = dict(option.choice_needs)[value]
            msg = f"{flag} {value} is unavailable in this install (needs {needed})"
            raise UsageError(msg)
