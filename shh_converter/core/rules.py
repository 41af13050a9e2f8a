"""The one rule of a value: a dataclass field that carries its range or choices.

Dependency-free, so that both :mod:`.settings` and the format modules' option
declarations (``core/formats/*_options.py``, which settings is built from) can
declare fields with it. :func:`.settings.value_range` and
:func:`.settings.value_choices` read the rule back.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any


def ranged(default: Any, low: float | None, high: float | None) -> Any:
    """A field whose values run from ``low`` to ``high`` (both included; None: unbounded).

    The one rule of that value: the settings checker (:mod:`.checks`), the CLI's
    argument types, recipe keys and the window's spinboxes all read it from here.
    For a tuple field the range holds for each element.
    """
    return field(default=default, metadata={"range": (low, high)})


def chosen(default: str, choices: tuple[str, ...]) -> Any:
    """A text field that takes one of ``choices`` (in the order offered)."""
    return field(default=default, metadata={"choices": choices})
