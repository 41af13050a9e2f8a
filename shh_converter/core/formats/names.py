"""The output formats' names: :class:`OutputFormat`, the value saved in settings.

Dependency-free (nothing of the engine), so :mod:`..settings` can import it:
each member's facts are in its format's module (``webp.py``, ``jpeg.py``, ...),
registered in :mod:`.registry`.
"""

from __future__ import annotations

import enum


class OutputFormat(str, enum.Enum):
    WEBP = "webp"
    JPEG = "jpeg"
    PNG = "png"
    AVIF = "avif"
    JXL = "jxl"  # JPEG XL (needs pillow-jxl-plugin; "unavailable here" without it)
    GIF = "gif"  # 256-colour palette, animation
    ICO = "ico"  # favicon: several square sizes in one file (EncodeOptions.ico_sizes)
