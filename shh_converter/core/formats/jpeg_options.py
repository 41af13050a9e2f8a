"""JPEG's encoder option fields (labels, help and when they apply: ``jpeg.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import chosen

SUBSAMPLING = ("auto", "4:4:4", "4:2:2", "4:2:0")


@dataclass(frozen=True)
class JpegOptions:
    progressive: bool = True  # JPEG
    # JPEG/AVIF chroma: auto (4:4:4 at quality >= 90, else 4:2:0), 4:4:4, 4:2:2, 4:2:0
    subsampling: str = chosen("auto", SUBSAMPLING)
    optimize_huffman: bool = True  # JPEG: optimised Huffman tables (Pillow's encoder)
    # JPEG: pillow (libjpeg-turbo), jpegli, or auto (jpegli unless a JPEG is kept at its size)
    jpeg_encoder: str = chosen("pillow", ("auto", "jpegli", "pillow"))
    mozjpeg_pass: bool = False  # JPEG: lossless MozJPEG re-optimisation of the file
