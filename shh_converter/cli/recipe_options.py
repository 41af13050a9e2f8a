"""The recipe options of ``convert`` (and ``watch``): several outputs per input.

Today's flags describe a one-output recipe. ``--variant``, ``--set`` and
``--recipe`` each add outputs, in the order given, on top of those flags (which
then act as every added output's defaults); ``--preset`` starts from a named
recipe, and flags given explicitly change each of its outputs.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.recipe import (
    FILE_SCHEMA,
    SETS,
    SHORT_KEYS,
    Recipe,
    builtin_set,
    combine,
    load_recipe_file,
    parse_spec,
)
from ..core.settings import DEFAULT_SETTINGS, IfBigger, Settings
from ..i18n import _
from .argtypes import field_value

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..core.presets import PresetBook

# The keys as the recipe parser declares them.
_KEYS = textwrap.fill(
    "; ".join(f"{key}: {what}" for key, what in SHORT_KEYS.items())
    + "; and any encoder option (method, lossless, progressive, subsampling, ...).",
    width=84,
    initial_indent="      ",
    subsequent_indent="      ",
    break_on_hyphens=False,
)
EPILOG = f"""\
several outputs per input:
  --variant FORMAT[:key=value,...]   adds an output; keys:
{_KEYS}

examples:
  shh-converter convert photos -o web --variant webp:w=480,suffix=-480 \\
      --variant webp:w=960,suffix=-960 --variant jpeg:w=1600,q=82
  shh-converter convert photos -o web --set responsive
  shh-converter convert logo.png -o site --set favicon
  shh-converter convert shots -o small --format jpeg --max-kb 200 --if-bigger copy-source
  shh-converter convert photos -o out --recipe web.toml
  shh-converter convert photos -o out --preset "Email JPEG 1280" --quality 70

built-in sets: {"; ".join(f"{name}: {what}" for name, (what, _make) in SETS.items())}

recipe files:
{FILE_SCHEMA}"""


class _AddOutputs(argparse.Action):
    """--variant/--set/--recipe share one list, so their order on the command line holds."""

    def __call__(
        self, parser: Any, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        items = list(getattr(namespace, "outputs", None) or [])
        items.append((self.metavar, values))
        namespace.outputs = items


def add_recipe_arguments(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("several outputs per input, size cap (see the end of --help)")
    g.add_argument(
        "--variant", dest="outputs", action=_AddOutputs, metavar="SPEC", help=_("add an output")
    )
    g.add_argument(
        "--set",
        dest="outputs",
        action=_AddOutputs,
        metavar="NAME",
        help=f"add a built-in set of outputs: {', '.join(SETS)}",
    )
    g.add_argument(
        "--recipe",
        dest="outputs",
        action=_AddOutputs,
        metavar="FILE",
        help=_("add the outputs of a TOML or JSON recipe file"),
    )
    g.add_argument("--preset", metavar="NAME", help=_("start from a preset ('presets list')"))
    g.add_argument(
        "--max-kb",
        type=field_value(Settings, "max_kb"),
        metavar="N",
        help=_(
            "size cap: each output at its quality; one over N KB gets its quality lowered "
            "just enough to fit"
        ),
    )
    g.add_argument(
        "--downscale-to-fit",
        action="store_true",
        default=None,
        help=_("with --max-kb: make the image smaller when even the lowest quality is too big"),
    )
    g.add_argument(
        "--if-bigger",
        choices=[c.value for c in IfBigger],
        help=_(
            "when an output is not smaller than its source: write it anyway (default, "
            "noted in the report), copy-source (the source unchanged, when already in that "
            "format) or skip"
        ),
    )
    g.add_argument(
        "--keep-dates",
        action="store_true",
        default=None,
        help=_("give each output its source's modification time"),
    )


def output_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Settings fields of the recipe options given on the command line."""
    given: dict[str, Any] = {}
    if args.max_kb is not None:
        given["max_kb"] = args.max_kb
    if args.downscale_to_fit is not None:
        given["downscale_to_fit"] = True
    if args.if_bigger is not None:
        given["if_bigger"] = IfBigger(args.if_bigger)
    if args.keep_dates is not None:
        given["keep_dates"] = True
    return given


def recipe_from_args(
    args: argparse.Namespace,
    one_output: Callable[[Settings], Settings],
    presets: Callable[[], PresetBook],
) -> Recipe:
    """The recipe the command line asks for.

    ``one_output(base)``: today's flags applied over ``base`` (the flags given
    explicitly change it, the rest keeps ``base``'s values).
    """
    base = one_output(DEFAULT_SETTINGS)
    parts: list[Recipe] = []
    if args.preset:
        preset = presets().get(args.preset)
        outs = tuple(one_output(o) for o in preset.outputs)
        parts.append(Recipe(outs, manifest=preset.manifest))
    for kind, value in getattr(args, "outputs", None) or []:
        if kind == "SPEC":
            parts.append(Recipe.single(parse_spec(value, base)))
        elif kind == "NAME":
            parts.append(builtin_set(value, base))
        else:
            parts.append(load_recipe_file(Path(value), base))
    if not parts:
        parts.append(Recipe.single(base))
    return combine(parts)
