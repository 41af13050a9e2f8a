"""The HTML that uses a responsive set: ``<picture>`` with a ``srcset`` per format.

Made from what was really written (each file's real width, its path relative to
the destination folder), so the snippet never names a width a file does not have.
An input gets one when at least two of its image outputs of one format differ in
width (a favicon set, which has a web manifest instead, gets none); the
widest of the formats a browser may not take (JPEG, then PNG) is the ``<img>``
fallback, the others are ``<source>`` elements, the most modern first.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .imageio import upright_size

if TYPE_CHECKING:
    from collections.abc import Sequence

    from .jobs import JobResult

# Most modern first: a browser takes the first <source> it can show.
SOURCE_TYPES = {".avif": "image/avif", ".jxl": "image/jxl", ".webp": "image/webp"}
FALLBACKS = (".jpg", ".jpeg", ".png", ".gif")


@dataclass(frozen=True)
class Made:
    """One image written: where, and its real size."""

    path: Path
    size: tuple[int, int]


def picture(made: Sequence[Made], root: Path, sizes: str = "100vw") -> str | None:
    """The ``<picture>`` for one input's outputs (None unless one format has two widths).

    ``root``: the folder the paths are written relative to (the destination).
    """
    images = [m for m in made if m.path.suffix.lower() in (*SOURCE_TYPES, *FALLBACKS)]
    by_ext: dict[str, list[Made]] = {}
    for m in sorted(images, key=lambda m: m.size[0]):
        by_ext.setdefault(m.path.suffix.lower(), []).append(m)
    if all(len({m.size[0] for m in group}) < 2 for group in by_ext.values()):
        return None
    modern = [e for e in SOURCE_TYPES if e in by_ext]
    # The <img>: the most widely shown format made (else the least modern one).
    fallback = next((e for e in FALLBACKS if e in by_ext), None) or modern.pop()
    sized = f'sizes="{html.escape(sizes)}"'
    lines = ["<picture>"]
    for ext in modern:
        srcset = _srcset(by_ext[ext], root)
        lines.append(f'  <source type="{SOURCE_TYPES[ext]}" srcset="{srcset}" {sized}>')
    group = by_ext[fallback]
    img = group[-1]
    lines.append(
        f'  <img src="{_url(img.path, root)}" srcset="{_srcset(group, root)}" {sized} '
        f'width="{img.size[0]}" height="{img.size[1]}" alt="">'
    )
    lines.append("</picture>")
    return "\n".join(lines)


def for_result(result: JobResult, root: Path) -> str | None:
    """The ``<picture>`` of one input's outputs on disk (written now, or up to date)."""
    if any(out.kind == "manifest" for out in result.outputs):
        return None  # a favicon set: its icons are listed by the web manifest
    made = []
    for out in result.outputs:
        if out.kind != "image" or out.output is None or out.status == "failed":
            continue
        size = out.size or upright_size(out.output)  # an output up to date from before
        if size is not None:
            made.append(Made(out.output, size))
    return picture(made, root)


def _srcset(group: Sequence[Made], root: Path) -> str:
    return ", ".join(f"{_url(m.path, root)} {m.size[0]}w" for m in group)


def _url(path: Path, root: Path) -> str:
    """The path relative to ``root`` as a URL path (``/``, spaces and the like escaped)."""
    from urllib.parse import quote

    relative = Path(os.path.relpath(path, root)).as_posix()
    return html.escape(quote(relative), quote=True)
