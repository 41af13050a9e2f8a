"""Output names: the name templates, rendered into safe relative paths.

``settings.name_template`` takes the fields in :data:`TEMPLATE_FIELDS`; ``/`` in the
template makes subfolders. Every part is made legal on Windows and the result can
never leave the destination (``..``, absolute paths, drive letters are
neutralised). A template without ``{ext}`` gets the extension appended. The
planner (:mod:`.plan`), recipe specs (:mod:`.recipe`), the CLI and the window
check and render templates here.
"""

from __future__ import annotations

import functools
import re
import string
from pathlib import Path

from . import formats
from .errors import UsageError
from .settings import Settings

TEMPLATE_FIELDS = {
    "stem": "source name without its extension",
    "ext": "output extension (" + ", ".join(s.extension for s in formats.SPECS.values()) + ")",
    "name": "source name with its extension",
    "src_ext": "source extension without the dot",
    "parent": "name of the source's folder",
    "index": "position in the batch, from 1 (e.g. {index:03d})",
    "format": "output format (" + ", ".join(f.value for f in formats.SPECS) + ")",
    "width": "the output's width in pixels",
    "height": "the output's height in pixels",
}
# Device names Windows keeps in every folder, with any extension: also COM0/LPT0, the
# superscript digits (COM¹) and the console's CONIN$/CONOUT$.
WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"} | {
    f"{p}{n}" for p in ("COM", "LPT") for n in "0123456789¹²³"
}
# Also lone surrogates: a POSIX name that was not UTF-8 (never legal in an output name).
ILLEGAL_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\ud800-\udfff]')
MAX_NAME_BYTES = 200  # leaves room for " (99)" and the ".shh-partial-..." temp prefix under 255


def validate_template(template: str) -> None:
    """Raise :class:`UsageError` for an unknown field or a malformed template."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        msg = f"bad name template {template!r}: {exc}"
        raise UsageError(msg) from exc
    for _text, name, _spec, _conv in parsed:
        if name is not None and name not in TEMPLATE_FIELDS:
            known = ", ".join("{" + f + "}" for f in TEMPLATE_FIELDS)
            msg = f"bad name template {template!r}: unknown field {{{name}}} (use {known})"
            raise UsageError(msg)
    try:
        _render(template, Path("x.jpg"), 1, Settings())
    except (ValueError, IndexError, KeyError) as exc:
        msg = f"bad name template {template!r}: {exc}"
        raise UsageError(msg) from exc


def output_name(
    settings: Settings, source: Path, index: int, size: tuple[int, int] | None = None
) -> str:
    """The template rendered for ``source`` as a safe relative path string (``/``-separated).

    ``size``: the output's real size for ``{width}``/``{height}``; without it, the
    resize box (``auto`` where it sets none).
    """
    template = settings.name_template
    rendered = _render(template, source, index + 1, settings, size)
    ext = formats.spec_for(settings.encode.format).extension
    if "{ext}" not in template and not rendered.endswith("." + ext):
        rendered = f"{rendered}.{ext}"
    return _safe_path(rendered) or sanitise_part(f"{source.stem}.{ext}")


def rendered_path(template: str, source: Path, index: int, settings: Settings) -> str:
    """``template`` for the ``index``-th ``source``, as a safe relative path ("" if none)."""
    return _safe_path(_render(template, source, index + 1, settings))


def _safe_path(rendered: str) -> str:
    """A rendered name as safe ``/``-separated parts inside the destination ("" if none)."""
    if "/" not in rendered and "\\" not in rendered:  # the usual case: one name, no folders
        parts = [rendered] if rendered not in ("", ".", "..") else []
    else:
        parts = [p for p in re.split(r"[/\\]", rendered) if p not in ("", ".", "..")]
    return "/".join(sanitise_part(p) for p in parts)


@functools.lru_cache(maxsize=64)
def template_fields(template: str) -> frozenset[str]:
    """The fields ``template`` uses (``{width}`` makes the planner read each header)."""
    return frozenset(name for _t, name, _s, _c in string.Formatter().parse(template) if name)


def _render(
    template: str,
    source: Path,
    number: int,
    settings: Settings,
    size: tuple[int, int] | None = None,
) -> str:
    def clean(value: str) -> str:  # a value never makes folders; only the template's "/" does
        return value.replace("/", "_").replace("\\", "_")

    # Only the fields the template uses are computed (planning 100,000 files adds up).
    fields = template_fields(template)
    values: dict[str, object] = {}
    if "stem" in fields:
        values["stem"] = clean(source.stem)
    if "ext" in fields:
        values["ext"] = formats.spec_for(settings.encode.format).extension
    if "name" in fields:
        values["name"] = clean(source.name)
    if "src_ext" in fields:
        values["src_ext"] = clean(source.suffix.lstrip("."))
    if "parent" in fields:
        values["parent"] = clean(source.parent.name)
    if "index" in fields:
        values["index"] = number
    if "format" in fields:
        values["format"] = settings.encode.format.value
    if "width" in fields:
        values["width"] = size[0] if size else _box(settings.resize.width or settings.resize.size)
    if "height" in fields:
        values["height"] = size[1] if size else _box(settings.resize.height or settings.resize.size)
    return template.format(**values)


def _box(value: int | None) -> str:
    return str(value) if value else "auto"


def sanitise_part(part: str) -> str:
    """One path component made legal on Windows, macOS and Linux (never empty, ``.`` or ``..``)."""
    part = ILLEGAL_CHARS.sub("_", part).rstrip(". ")
    if not part or set(part) <= {"."}:
        part = "_"
    if part.split(".")[0].upper().rstrip(" ") in WINDOWS_RESERVED:
        part = "_" + part
    return _shorten(part)


def _shorten(part: str) -> str:
    if len(part.encode("utf-8")) <= MAX_NAME_BYTES:
        return part
    stem, dot, ext = part.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = part, ""
    room = MAX_NAME_BYTES - len(ext.encode("utf-8")) - 1
    short = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(". ")
    return f"{short}.{ext}" if ext else short
