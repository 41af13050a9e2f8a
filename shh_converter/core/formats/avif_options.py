"""AVIF's encoder option fields (labels, help and when they apply: ``avif.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import ranged


@dataclass(frozen=True)
class AvifOptions:
    avif_speed: int = ranged(6, 0, 10)  # AVIF (10 fastest)
