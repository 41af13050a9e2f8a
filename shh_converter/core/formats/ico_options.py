"""ICO's encoder option field (the format itself: ``ico.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..rules import ranged


@dataclass(frozen=True)
class IcoOptions:
    # ICO: square sizes held, each <= the image
    ico_sizes: tuple[int, ...] = ranged((16, 32, 48), 1, 256)
