"""The encoder options every format's settings start from: which format, and quality.

Plain data without the engine (see :mod:`.options`); quality's default and
meaning per format are in each format's module (``quality_option``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import ranged
from .names import OutputFormat


@dataclass(frozen=True)
class CommonOptions:
    format: OutputFormat = OutputFormat.WEBP
    quality: int = ranged(82, 0, 100)  # WebP/JPEG/AVIF/JXL (the default recipe's: DEFAULT_SETTINGS)
