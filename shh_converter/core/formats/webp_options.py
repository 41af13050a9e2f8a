"""WebP's encoder option fields (labels, help and when they apply: ``webp.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import ranged


@dataclass(frozen=True)
class WebpOptions:
    lossless: bool = False  # WebP, JXL
    near_lossless: int | None = ranged(None, 0, 100)  # WebP (implies lossless); None = off
    alpha_quality: int = ranged(100, 0, 100)  # WebP
    method: int = ranged(4, 0, 6)  # WebP effort (6 smallest, slowest)
    exact: bool = False  # WebP/PNG: keep RGB under fully transparent pixels
