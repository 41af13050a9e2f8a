"""JPEG XL's encoder option fields (labels, help and when they apply: ``jxl.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import ranged


@dataclass(frozen=True)
class JxlOptions:
    jxl_effort: int = ranged(7, 1, 9)  # JXL (9 smallest, slowest)
    jpeg_transcode: bool = True  # JXL: a JPEG kept as it is is recompressed losslessly
