"""Argument types shared by the commands: one parser each, one wording of their errors."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING, Any

from ..core.settings import value_range

if TYPE_CHECKING:
    from collections.abc import Callable


def ranged(lo: int, hi: int) -> Callable[[str], int]:
    """A whole number from ``lo`` to ``hi`` (both included)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            msg = f"{text!r} is not a whole number"
            raise argparse.ArgumentTypeError(msg) from None
        if not lo <= value <= hi:
            msg = f"{value} is not in {lo}-{hi}"
            raise argparse.ArgumentTypeError(msg)
        return value

    return parse


def field_value(cls: type, name: str) -> Callable[[str], Any]:
    """A number within the range of dataclass ``cls``'s field ``name`` (rules.ranged):
    the flag takes the rule that saved settings, recipes and the window take."""
    lo, hi = value_range(cls, name)
    if isinstance(getattr(cls(), name, None), float) or isinstance(lo, float):
        return _ranged_float(lo, hi)
    return ranged(lo, hi)


def _ranged_float(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            msg = f"{text!r} is not a number"
            raise argparse.ArgumentTypeError(msg) from None
        if not (math.isfinite(value) and lo <= value <= hi):
            msg = f"{text} is not in {lo:g}-{hi:g}"
            raise argparse.ArgumentTypeError(msg)
        return value

    return parse
