"""The web manifest of a favicon set: ``site.webmanifest`` listing the PNG icons.

Browsers and "add to home screen" read it; it lists square PNG icons of 192 px and
more (the smaller ones and ``apple-touch-icon.png`` are found by name or by
``<link>`` tags, not through the manifest). Paths are relative to the manifest.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from PIL import Image

from .errors import OutputError

if TYPE_CHECKING:
    from collections.abc import Sequence

MIN_LISTED_SIDE = 192


def render(name: str, outputs: Sequence[Path], folder: Path) -> bytes:
    """The manifest's bytes for the icons among ``outputs`` (which must exist by now)."""
    icons = []
    for path in outputs:
        if path.suffix.lower() != ".png" or path.name.startswith("apple-touch-icon"):
            continue
        try:
            with Image.open(path) as im:
                w, h = im.size
        except OSError:
            continue  # that output failed: the manifest lists what exists
        if w == h and w >= MIN_LISTED_SIDE:
            src = quote(Path(os.path.relpath(path, folder)).as_posix())  # a URL: no spaces
            icons.append({"src": src, "sizes": f"{w}x{h}", "type": "image/png"})
    if not icons:
        msg = "no PNG icon of 192 px or more to list in the web manifest"
        raise OutputError(msg)
    data = {
        "name": name,
        "short_name": name,
        "icons": icons,
        "theme_color": "#ffffff",
        "background_color": "#ffffff",
        "display": "standalone",
    }
    return (json.dumps(data, indent=2) + "\n").encode("utf-8")
