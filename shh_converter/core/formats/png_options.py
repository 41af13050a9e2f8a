"""PNG's encoder option fields (labels, help and when they apply: ``png.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import chosen, ranged


@dataclass(frozen=True)
class PngOptions:
    png_optimise: bool = True  # PNG/APNG: lossless oxipng pass
    # ...also on photographs decoded from a lossy format (formats.png.PHOTO_SOURCES): there
    # it saves ~7 % for 3-5x the time of the whole conversion (docs/performance.md)
    png_optimise_photos: bool = False
    png_effort: int = ranged(2, 1, 6)  # PNG: oxipng level (6 smallest, slowest)
    compress_level: int = ranged(6, 0, 9)  # PNG zlib level (where the oxipng pass does not run)
    palette: bool = False  # PNG: quantise to a palette of <= palette_colors (lossy)
    palette_colors: int = ranged(256, 2, 256)  # PNG palette/GIF
    # PNG palette: pillow (measured smaller and closer on logos) or imagequant (libimagequant)
    quantiser: str = chosen("pillow", ("pillow", "imagequant"))
    palette_quality: int = ranged(90, 0, 100)  # PNG palette: target quality (imagequant)
    dither: int = ranged(100, 0, 100)  # PNG palette/GIF: 0 (none) - 100 (full Floyd-Steinberg)
