"""Argument types shared by the commands: one parser each, one wording of their errors."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from ..core.settings import value_range


def ranged(lo: int, hi: int) -> Callable[[str], int]:
    """A whole number from ``lo`` to ``hi`` (both included)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not lo <= value <= hi:
            raise argparse.ArgumentTypeError(f"{value} is not in {lo}-{hi}")
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
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and lo <= value <= hi):
            raise argparse.ArgumentTypeError(f"{text} is not in {lo:g}-{hi:g}")
        return value

    return parse
