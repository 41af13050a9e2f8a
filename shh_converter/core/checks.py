"""Checked loading of the frozen settings dataclasses from JSON-like data.

Saved window settings, presets and recipe files are edited by people and by older
or newer versions of the program, so nothing read back is trusted: every value
is checked against its field's type (from the dataclass annotations), its range
or choices (the field's own ``metadata``, written with ``rules.ranged`` and
``rules.chosen``: the one rule the CLI and the window read too) and the
:data:`VALIDATORS` beside this checker. A bad value is replaced by the field's
default and reported; the rest is kept.

API::

    checked = check_fields(Settings, {"encode": {"quality": "high"}})
    checked.value       # Settings(...) with encode.quality = 85 (the default)
    checked.problems    # (Problem(key="encode.quality", value="high", reason=..., default=85),)
    str(checked.problems[0])
    # "encode.quality = 'high' is not a whole number; using the default 85"

* ``check_fields(cls, data, prefix="")`` works for any frozen dataclass whose
  fields are bool, int, float, str, enums, ``X | None``, tuples (``tuple[int,
  ...]`` or fixed length) and nested dataclasses. Unknown keys are ignored
  (files of newer versions), missing keys take defaults. It never raises for
  bad data; ``data`` that is not a mapping gives the all-default object and one
  problem.
* Keys in problems are dotted paths from the top (``prefix`` is prepended, so a
  recipe loader can say ``outputs[2].encode.quality``).
* Validator keys are ``"ClassName.field"``. Where a field's value on disk differs
  from its value in memory (the fill colour is text in JSON, a tuple in memory),
  :data:`CONVERTERS` turns one into the other and raises ``ValueError`` for bad text.

Callers decide how to report: the window logs each problem once and shows it
once (``gui/prefs.py``); others take ``.value`` and drop the list.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
import string
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from .settings import parse_color

T = TypeVar("T")


def _template_ok(text: str) -> str | None:
    if not text.strip():
        return "is empty"
    try:
        fields = [name for _t, name, _s, _c in string.Formatter().parse(text) if name]
    except ValueError as exc:
        return f"is not a valid name template ({exc})"
    if any(not re.fullmatch(r"[a-z_]+", name) for name in fields):
        return "is not a valid name template (fields are {stem}, {ext}, ...)"
    return None


def _padding_ok(text: str) -> str | None:
    if re.fullmatch(r"\s*\d+(?:\.\d+)?\s*%?\s*", text):
        return None
    return "is not a padding (pixels like 12, or percent like 5%)"


def _model_ok(text: str) -> str | None:
    return None if re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", text) else "is not a model name"


# Extra checks on a value of the right type: a reason when it is bad, else None.
VALIDATORS: dict[str, Callable[[Any], str | None]] = {
    "Settings.name_template": _template_ok,
    "BackgroundRemoval.trim_padding": _padding_ok,
    "BackgroundRemoval.model": _model_ok,
}


def _colour_from_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return parse_color(value)
        except Exception:  # UsageError: one reason, said below
            msg = "is not a colour (transparent, white, black or #RRGGBB)"
            raise ValueError(msg) from None
    if (
        isinstance(value, (list, tuple))
        and len(value) == 3
        and all(isinstance(c, int) and not isinstance(c, bool) and 0 <= c <= 255 for c in value)
    ):
        return tuple(value)
    msg = "is not a colour (transparent, white, black or #RRGGBB)"
    raise ValueError(msg)


# JSON form -> in-memory form, for fields stored differently on disk.
CONVERTERS: dict[str, Callable[[Any], Any]] = {"Settings.background": _colour_from_json}


ALL_DEFAULTS = "<all defaults>"  # Problem.default when a whole section was unusable


@dataclass(frozen=True)
class Problem:
    """One value that was not accepted: where, what it was, why, and what is used instead."""

    key: str
    value: Any
    reason: str
    default: Any = None

    def __str__(self) -> str:
        instead = (
            "its defaults"
            if self.default is ALL_DEFAULTS
            else f"the default {_short(self.default)}"
        )
        return f"{self.key} = {_short(self.value)} {self.reason}; using {instead}"


@dataclass(frozen=True)
class Checked(Generic[T]):
    """The loaded object and the problems met on the way (empty when all was well)."""

    value: T
    problems: tuple[Problem, ...] = ()


def check_fields(cls: type[T], data: Any, prefix: str = "") -> Checked[T]:
    """Build ``cls`` from ``data``, each field checked; bad values -> default + a problem."""
    if not isinstance(data, Mapping):
        where = prefix or cls.__name__
        return Checked(cls(), (Problem(where, data, "is not an object", ALL_DEFAULTS),))
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    problems: list[Problem] = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in data or not f.init:
            continue
        key = f"{prefix}.{f.name}" if prefix else f.name
        rule = f"{cls.__name__}.{f.name}"
        default = _default_of(f)
        value = data[f.name]
        if _plain_default(default) == value and not dataclasses.is_dataclass(default):
            kwargs[f.name] = default  # a field's own default is always good (tables may lag)
            continue
        if dataclasses.is_dataclass(default):
            nested = check_fields(type(default), value, key)
            kwargs[f.name] = nested.value
            problems.extend(nested.problems)
            continue
        try:
            kwargs[f.name] = _checked(value, hints[f.name], rule, f)
        except ValueError as exc:
            shown = "transparent" if rule in CONVERTERS and default is None else default
            problems.append(Problem(key, value, str(exc), _plain_default(shown)))
    return Checked(cls(**kwargs), tuple(problems))


def _checked(value: Any, hint: Any, rule: str, f: dataclasses.Field[Any]) -> Any:
    """``value`` as the field wants it; ``ValueError(reason)`` when it cannot be."""
    if rule in CONVERTERS:
        try:
            return CONVERTERS[rule](value)
        except ValueError as exc:
            raise ValueError(_reason_of(exc)) from None
    converted = _typed(value, hint, rule, f)
    validator = VALIDATORS.get(rule)
    reason = validator(converted) if validator and converted is not None else None
    if reason:
        raise ValueError(reason)
    return converted


def _typed(value: Any, hint: Any, rule: str, f: dataclasses.Field[Any]) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        arms = [a for a in args if a is not type(None)]
        if value is None:
            msg = "must not be empty (null)"
            raise ValueError(msg)
        return _typed(value, arms[0], rule, f) if len(arms) == 1 else value
    if value is None:
        msg = "must not be empty (null)"
        raise ValueError(msg)
    if origin is tuple:
        return _tuple(value, args, rule, f)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        try:
            return hint(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in hint)
            msg = f"is not one of {allowed}"
            raise ValueError(msg) from None
    if hint is bool:
        if not isinstance(value, bool):
            msg = "is not true or false"
            raise ValueError(msg)
        return value
    if hint is int:
        return _in_range(_whole(value), rule, f)
    if hint is float:
        return _in_range(_real(value), rule, f)
    if hint is str:
        if not isinstance(value, str):
            msg = "is not text"
            raise ValueError(msg)
        choices = f.metadata.get("choices")
        if choices is not None and value not in choices:
            msg = f"is not one of {', '.join(sorted(choices))}"
            raise ValueError(msg)
        return value
    return value  # a type this checker does not know: taken as it is


def _tuple(value: Any, args: tuple[Any, ...], rule: str, f: dataclasses.Field[Any]) -> Any:
    if not isinstance(value, (list, tuple)):
        msg = "is not a list"
        raise ValueError(msg)
    if len(args) == 2 and args[1] is Ellipsis:
        if not value:
            msg = "is an empty list"
            raise ValueError(msg)
        return tuple(_typed(v, args[0], rule, f) for v in value)
    if len(value) != len(args):
        msg = f"is not a list of {len(args)} values"
        raise ValueError(msg)
    return tuple(_typed(v, a, rule, f) for v, a in zip(value, args, strict=True))


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = "is not a whole number"
        raise ValueError(msg)
    if isinstance(value, float) and not value.is_integer():
        msg = "is not a whole number"
        raise ValueError(msg)
    return int(value)


def _real(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        msg = "is not a number"
        raise ValueError(msg)
    if not math.isfinite(value):
        msg = "is not a finite number"
        raise ValueError(msg)
    return float(value)


def _in_range(number: Any, rule: str, f: dataclasses.Field[Any]) -> Any:
    lo, hi = f.metadata.get("range") or (None, None)
    if lo is not None and number < lo:
        raise ValueError(_range_text(lo, hi))
    if hi is not None and number > hi:
        raise ValueError(_range_text(lo, hi))
    return number


def _range_text(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"is not between {_num(lo)} and {_num(hi)}"
    return f"is below {_num(lo)}" if lo is not None else f"is above {_num(hi)}"


def _num(x: float | None) -> str:
    return str(int(x)) if x is not None and float(x).is_integer() else str(x)


def _reason_of(exc: ValueError) -> str:
    text = str(exc)
    return text if text.startswith("is ") else "is not valid (" + text + ")"


def _default_of(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _plain_default(default: Any) -> Any:
    if isinstance(default, enum.Enum):
        return default.value
    if isinstance(default, tuple):
        return list(default)
    return default


def _short(value: Any) -> str:
    if value is None:
        return "(not set)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
