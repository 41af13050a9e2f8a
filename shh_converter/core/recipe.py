"""Recipes: the ordered outputs made from each input, and the ways people write them.

A :class:`Recipe` is a tuple of output :class:`~.settings.Settings` -- each one
complete (format and encoder options, resize, fill colour, name, size cap) --
plus an optional web manifest (the favicon set's ``{stem}/site.webmanifest``). What is
done once per input and shared by all its outputs (orientation, colour, metadata,
background removal, animation, limits, conflict policy) must be the same in every
output: :meth:`Recipe.check` enforces it, so the engine may read it from any one.

Three ways to write an output, all parsed here so the CLI, recipe files, presets
and the window agree:

* ``--variant SPEC``: ``FORMAT[:key=value,...]`` (:func:`parse_spec`);
* a recipe file, TOML or JSON (:func:`load_recipe_file`, schema in :data:`FILE_SCHEMA`);
* a built-in set by name (:data:`SETS`: ``responsive``, ``favicon``, ``social``).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from . import formats
from .checks import Checked, check_fields
from .errors import UsageError
from .naming import validate_template
from .settings import (
    DEFAULT_SETTINGS,
    EncodeOptions,
    IfBigger,
    OutputFormat,
    ResizeMode,
    ResizeOptions,
    Settings,
    format_color,
    parse_color,
    value_range,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

# Settings fields made once per input: all outputs of a recipe must agree on them.
SHARED_FIELDS = ("background_removal", "metadata", "keep_icc", "animated", "limits", "on_conflict")

# --variant / recipe-file keys that are not EncodeOptions field names, in the order
# --help and FILE_SCHEMA list them (both are built from this one table).
_Q_LOW, _Q_HIGH = value_range(EncodeOptions, "quality")
SHORT_KEYS = {
    "w": "resize box width (alone: only the width is bounded)",
    "h": "resize box height (alone: only the height is bounded)",
    "fit": "resize mode: fit, fill or pad (default fit)",
    "q": f"quality {_Q_LOW}-{_Q_HIGH}",
    "suffix": "appended to the file name's stem",
    "name": "name template, e.g. {stem}-{width}w.{ext}",
    "max_kb": "size cap in KB (the quality is lowered only when over it)",
    "downscale": "the size cap may shrink the image (true/false)",
    "if_bigger": "write, copy-source or skip",
    "bg": "fill colour: transparent, white, black or #RRGGBB",
    "upscale": "may enlarge small images (true/false)",
}

_KEYS_TEXT = textwrap.fill(
    f"Each output takes the --variant keys ({', '.join(['format', *SHORT_KEYS])} and any "
    "encoder option such as method or progressive), or whole Settings sections as written "
    """by 'presets export' ("encode": {...}, "resize": {...}, ...). JSON: the same as an """
    "object.",
    width=81,
    break_on_hyphens=False,
)
FILE_SCHEMA = (
    """\
A recipe file (TOML or JSON) lists the outputs made from each input, in order:

    # recipe.toml
    manifest = "site.webmanifest"      # optional: a web manifest listing the PNG icons
                                       # (a name template: "{stem}/site.webmanifest")
    [defaults]                         # optional: keys applied to every output first
    q = 80
    [[outputs]]
    format = "webp"
    w = 480
    suffix = "-480"
    [[outputs]]
    format = "jpeg"
    w = 1600
    max_kb = 200

"""
    + _KEYS_TEXT
    + "\n"
)
_FITS = {"fit": ResizeMode.FIT, "fill": ResizeMode.FILL, "pad": ResizeMode.PAD}


@dataclass(frozen=True)
class Recipe:
    """The outputs made from each input, in order (at least one)."""

    outputs: tuple[Settings, ...]
    manifest: str | None = None  # file name of a web manifest listing the PNG icons

    @classmethod
    def single(cls, settings: Settings) -> Recipe:
        """Today's one-output recipe."""
        return cls((settings,))

    @property
    def shared(self) -> Settings:
        """Settings whose shared fields (:data:`SHARED_FIELDS`) hold for every output."""
        return self.outputs[0]

    def check(self) -> Recipe:
        """Raise :class:`UsageError` if empty or if outputs disagree on shared parts."""
        if not self.outputs:
            msg = "the recipe has no outputs"
            raise UsageError(msg)
        first = self.outputs[0]
        for n, out in enumerate(self.outputs[1:], start=2):
            for name in SHARED_FIELDS:
                if getattr(out, name) != getattr(first, name):
                    msg = (
                        f"output {n}: {name} differs from output 1 (it is done once per input "
                        "and shared by all outputs)"
                    )
                    raise UsageError(msg)
        return self

    def with_shared(self, **changes: Any) -> Recipe:
        """The same recipe with shared fields changed in every output."""
        bad = set(changes) - set(SHARED_FIELDS)
        if bad:
            msg = f"not shared fields: {sorted(bad)}"
            raise ValueError(msg)
        outs = tuple(dataclasses.replace(o, **changes) for o in self.outputs)
        return dataclasses.replace(self, outputs=outs)

    def fingerprint(self) -> str:
        """Changes when any output changes (the manifest's resume check)."""
        return "-".join(o.fingerprint()[:8] for o in self.outputs)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"outputs": [o.to_dict() for o in self.outputs]}
        if self.manifest:
            data["manifest"] = self.manifest
        return data

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], base: Settings | None = None, where: str = "recipe"
    ) -> Recipe:
        """A recipe from its file or preset form (:data:`FILE_SCHEMA`), strictly checked.

        Raises :class:`UsageError` naming ``where``, the output and the field.
        """
        return _from_mapping(data, base or DEFAULT_SETTINGS, where)


# -- one output from keys -------------------------------------------------------------


def parse_spec(spec: str, base: Settings, where: str = "--variant") -> Settings:
    """``FORMAT[:key=value,...]`` -> one output's Settings on top of ``base``."""
    fmt, _, rest = spec.partition(":")
    keys: dict[str, Any] = {"format": fmt.strip()}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            msg = f"{where} {spec!r}: {item!r} is not key=value"
            raise UsageError(msg)
        keys[key.strip()] = value.strip()
    return output_from_keys(keys, base, f"{where} {spec!r}")


def output_from_keys(keys: Mapping[str, Any], base: Settings, where: str) -> Settings:
    """One output from short keys (and/or whole Settings sections) over ``base``."""
    sections = {k: v for k, v in keys.items() if k in _SETTINGS_SECTIONS}
    if sections:  # a preset/export form: the Settings dict itself
        merged = {**base.to_dict(), **sections}
        base = _settings_from(merged, where)
    encode, resize = base.encode, base.resize
    out: dict[str, Any] = {}
    box_given = False
    for key, value in keys.items():
        if key in _SETTINGS_SECTIONS:
            continue
        if key == "format":
            encode = dataclasses.replace(encode, format=_format(value, where))
        elif key == "q":
            encode = dataclasses.replace(encode, quality=_int(value, where, key, _Q_LOW, _Q_HIGH))
        elif key in ("w", "h"):  # a new box: a side not given is free
            size = _int(value, where, key, *value_range(ResizeOptions, "width"))
            mode = resize.mode if resize.mode in _FITS.values() else ResizeMode.FIT
            if not box_given:
                resize = dataclasses.replace(resize, width=None, height=None)
                box_given = True
            if key == "w":
                resize = dataclasses.replace(resize, mode=mode, width=size)
            else:
                resize = dataclasses.replace(resize, mode=mode, height=size)
        elif key == "fit":
            if str(value) not in _FITS:
                msg = f"{where}: fit: {value!r} is not fit, fill or pad"
                raise UsageError(msg)
            resize = dataclasses.replace(resize, mode=_FITS[str(value)])
        elif key == "upscale":
            resize = dataclasses.replace(resize, upscale=_bool(value, where, key))
        elif key == "suffix":
            out["name_template"] = "{stem}" + _name_text(value, where, key) + ".{ext}"
        elif key == "name":
            out["name_template"] = _name_text(value, where, key)
        elif key == "max_kb":
            cap = value_range(Settings, "max_kb")
            out["max_kb"] = None if value is None else _int(value, where, key, *cap)
        elif key == "downscale":
            out["downscale_to_fit"] = _bool(value, where, key)
        elif key == "if_bigger":
            out["if_bigger"] = _choice(IfBigger, value, where, key)
        elif key == "bg":
            out["background"] = _colour(value, where)
        elif key in _ENCODE_FIELDS:
            typed = _typed(value, _ENCODE_FIELDS[key], where, key)
            # Its range and choices (method 0-6, subsampling, ...) from the one table.
            _refuse_problems(check_fields(EncodeOptions, {key: typed}, prefix="encode"), where)
            encode = dataclasses.replace(encode, **{key: typed})
        else:
            known = ", ".join([*SHORT_KEYS, "format", *sorted(_ENCODE_FIELDS)])
            msg = f"{where}: unknown key {key!r} (known: {known})"
            raise UsageError(msg)
    if resize.mode in (ResizeMode.FILL, ResizeMode.PAD) and not (resize.width and resize.height):
        msg = f"{where}: fit={resize.mode.value} needs both w and h"
        raise UsageError(msg)
    return dataclasses.replace(base, encode=encode, resize=resize, **out)


# Whole Settings fields (the export form); max_kb and if_bigger are short keys too.
_SETTINGS_SECTIONS = {f.name for f in dataclasses.fields(Settings)} - set(SHORT_KEYS)
_ENCODE_FIELDS = {f.name: f.type for f in dataclasses.fields(EncodeOptions) if f.name != "format"}


def _settings_from(data: dict[str, Any], where: str) -> Settings:
    """Settings from their dict form, strictly: a bad value is an error here, not a repair."""
    checked = check_fields(Settings, data)
    _refuse_problems(checked, where)
    return checked.value


def _refuse_problems(checked: Checked[Any], where: str) -> None:
    """A value the checker would replace by its default is an error in a recipe."""
    if checked.problems:
        bad = checked.problems[0]
        msg = f"{where}: {bad.key} = {bad.value!r} {bad.reason}"
        raise UsageError(msg)


def _format(value: Any, where: str) -> OutputFormat:
    fmt = formats.format_named(str(value))
    if fmt is None:
        known = ", ".join(f.value for f in OutputFormat)
        msg = f"{where}: format: {value!r} is not one of {known}"
        raise UsageError(msg)
    return fmt


def _int(value: Any, where: str, key: str, lo: int | None = None, hi: int | None = None) -> int:
    """A whole number; within ``lo``-``hi`` when given (else the checker's rule applies)."""
    if isinstance(value, bool):
        msg = f"{where}: {key}: {value!r} is not a whole number"
        raise UsageError(msg)
    try:
        number = int(str(value).strip())
    except ValueError:
        msg = f"{where}: {key}: {value!r} is not a whole number"
        raise UsageError(msg) from None
    if lo is not None and hi is not None and not lo <= number <= hi:
        msg = f"{where}: {key}: {number} is not in {lo}-{hi}"
        raise UsageError(msg)
    return number


def _bool(value: Any, where: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    msg = f"{where}: {key}: {value!r} is not true or false"
    raise UsageError(msg)


def _choice(enum_type: Any, value: Any, where: str, key: str) -> Any:
    try:
        return enum_type(str(value))
    except ValueError:
        known = ", ".join(e.value for e in enum_type)
        msg = f"{where}: {key}: {value!r} is not one of {known}"
        raise UsageError(msg) from None


def _colour(value: Any, where: str) -> Any:
    try:
        return parse_color(str(value))
    except UsageError as exc:
        msg = f"{where}: bg: {exc}"
        raise UsageError(msg) from None


def _name_text(value: Any, where: str, key: str) -> str:
    text = str(value)
    if key == "name":
        try:
            validate_template(text)
        except UsageError as exc:
            msg = f"{where}: name: {exc}"
            raise UsageError(msg) from None
    elif any(c in text for c in "/\\{}"):
        msg = f"{where}: suffix: {text!r} may not hold / \\ {{ }}"
        raise UsageError(msg)
    return text


def _typed(value: Any, kind: Any, where: str, key: str) -> Any:
    """A SPEC value for an EncodeOptions field, by the field's declared type."""
    kind = str(kind)
    if kind.startswith("bool"):
        return _bool(value, where, key)
    if kind.startswith("int"):
        if "None" in kind and str(value).lower() in ("none", "off", ""):
            return None
        return _int(value, where, key)  # its range: check_fields, from the field
    if kind.startswith("tuple"):
        parts = str(value).replace("/", " ").replace(";", " ").split()
        return tuple(_int(p, where, key) for p in parts)
    return str(value)


# -- recipe files -------------------------------------------------------------------


def load_recipe_file(path: Path, base: Settings) -> Recipe:
    """Read a TOML or JSON recipe file (:data:`FILE_SCHEMA`); UsageError names the problem."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        msg = f"--recipe {path}: cannot read it: {exc.strerror or exc}"
        raise UsageError(msg) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(raw.decode("utf-8"))
        else:
            data = _toml().loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        msg = f"--recipe {path}: not valid {_kind(path)}: {exc}"
        raise UsageError(msg) from None
    if not isinstance(data, dict):
        msg = f"--recipe {path}: expected a table/object with 'outputs'"
        raise UsageError(msg)
    return _from_mapping(data, base, where=f"--recipe {path.name}")


def _kind(path: Path) -> str:
    return "JSON" if path.suffix.lower() == ".json" else "TOML"


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # the same parser, from PyPI, on Python 3.10

    return tomli


def _from_mapping(data: Mapping[str, Any], base: Settings, where: str) -> Recipe:
    unknown = set(data) - {"outputs", "defaults", "manifest", "sets"}
    if unknown:
        first = sorted(unknown)[0]
        msg = f"{where}: unknown key {first!r} (known: outputs, defaults, manifest, sets)"
        raise UsageError(msg)
    defaults = data.get("defaults", {})
    if not isinstance(defaults, dict):
        msg = f"{where}: defaults must be a table/object"
        raise UsageError(msg)
    if defaults:
        base = output_from_keys({"format": base.encode.format.value, **defaults}, base, where)
    outputs: list[Settings] = []
    for name in _list(data.get("sets", []), where, "sets"):
        outputs.extend(builtin_set(str(name), base).outputs)
    for n, item in enumerate(_list(data.get("outputs", []), where, "outputs"), start=1):
        if not isinstance(item, dict):
            msg = f"{where}: output {n} must be a table/object"
            raise UsageError(msg)
        keys = dict(item)
        if "format" not in keys and "encode" not in keys:
            keys["format"] = base.encode.format.value
        outputs.append(output_from_keys(keys, base, f"{where}: output {n}"))
    manifest = data.get("manifest")
    if manifest is not None and (not isinstance(manifest, str) or not manifest.strip()):
        msg = f"{where}: manifest must be a file name"
        raise UsageError(msg)
    if not outputs:
        msg = f"{where}: no outputs"
        raise UsageError(msg)
    return Recipe(tuple(outputs), manifest=manifest).check()


def _list(value: Any, where: str, key: str) -> Sequence[Any]:
    if not isinstance(value, list):
        msg = f"{where}: {key} must be a list"
        raise UsageError(msg)
    return value


# -- built-in sets --------------------------------------------------------------------


def _responsive(base: Settings) -> Recipe:
    # Named by the real width: a source narrower than a width gives a file of its own
    # width, once (the planner skips a second one of the same size and says so).
    named = "name={stem}-{width}.{ext}"
    specs = [f"webp:w={w},{named}" for w in (480, 960, 1600)] + [f"jpeg:w=1600,{named}"]
    no_up = dataclasses.replace(base, resize=dataclasses.replace(base.resize, upscale=False))
    return Recipe(tuple(parse_spec(s, no_up, "set responsive") for s in specs))


def _favicon(base: Settings) -> Recipe:
    # A square canvas: a non-square logo is padded with transparency (pad mode), except
    # the Apple icon: iOS shows transparency as black, so it gets the fill colour (white
    # unless one is set). Each logo's set goes into a folder of its own name, so several
    # logos in one batch never give "favicon (2).ico" or a second manifest's "(2)" URLs.
    clear = dataclasses.replace(
        base, background=None, resize=ResizeOptions(mode=ResizeMode.PAD, upscale=True)
    )
    opaque = format_color(base.background or (255, 255, 255))
    specs = [
        "ico:w=48,h=48,fit=pad,name={stem}/favicon.ico,ico_sizes=16/32/48",
        f"png:w=180,h=180,fit=pad,name={{stem}}/apple-touch-icon.png,bg={opaque}",
        "png:w=192,h=192,fit=pad,name={stem}/icon-192.png",
        "png:w=512,h=512,fit=pad,name={stem}/icon-512.png",
    ]
    return Recipe(
        tuple(parse_spec(s, clear, "set favicon") for s in specs),
        manifest="{stem}/site.webmanifest",
    )


def _social(base: Settings) -> Recipe:
    fit = "pad" if base.resize.mode == ResizeMode.PAD else "fill"
    specs = [
        f"jpeg:w=1200,h=630,fit={fit},suffix=-og",
        f"jpeg:w=1080,h=1080,fit={fit},suffix=-square",
        f"jpeg:w=1080,h=1920,fit={fit},suffix=-story",
    ]
    up = dataclasses.replace(base, resize=dataclasses.replace(base.resize, upscale=True))
    return Recipe(tuple(parse_spec(s, up, "set social") for s in specs))


SETS: dict[str, tuple[str, Callable[[Settings], Recipe]]] = {
    "responsive": ("480, 960 and 1600 px wide WebP plus a 1600 px JPEG fallback", _responsive),
    "favicon": (
        "a folder per logo: favicon.ico (16/32/48), apple-touch-icon.png 180 (opaque), 192 "
        "and 512 px PNGs, site.webmanifest",
        _favicon,
    ),
    "social": ("Open Graph 1200x630, square 1080x1080, story 1080x1920 (JPEG)", _social),
}


def builtin_set(name: str, base: Settings) -> Recipe:
    """The built-in set ``name`` over ``base``'s shared settings (UsageError if unknown)."""
    if name not in SETS:
        msg = f"--set {name!r}: unknown set (known: {', '.join(SETS)})"
        raise UsageError(msg)
    return SETS[name][1](base)


def combine(parts: Sequence[Recipe]) -> Recipe:
    """Outputs of ``parts`` in order, as one recipe (the first manifest wins)."""
    outputs = tuple(o for part in parts for o in part.outputs)
    manifest = next((p.manifest for p in parts if p.manifest), None)
    return Recipe(outputs, manifest=manifest).check()
