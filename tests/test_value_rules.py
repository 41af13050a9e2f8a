"""One rule per value: the CLI, --variant, recipe files and saved settings take a value's
range from its field (rules.ranged), so they accept and refuse the same numbers."""

from __future__ import annotations

import pytest

from shh_converter.cli import build_parser
from shh_converter.core.checks import check_fields
from shh_converter.core.errors import UsageError
from shh_converter.core.recipe import parse_spec
from shh_converter.core.settings import (
    DEFAULT_SETTINGS,
    LARGEST_SIDE,
    EncodeOptions,
    ResizeOptions,
    Settings,
    value_range,
)


def _cli_accepts(*args: str) -> bool:
    try:
        build_parser().parse_args(["convert", "in.png", "-o", "out", *args])
    except SystemExit:
        return False
    return True


def _variant_accepts(spec: str) -> bool:
    try:
        parse_spec(spec, DEFAULT_SETTINGS)
    except UsageError:
        return False
    return True


def _saved_accepts(section: str, field: str, value: object) -> bool:
    return not check_fields(Settings, {section: {field: value}}).problems


@pytest.mark.parametrize(
    ("flag", "key", "field"), [("--width", "w", "width"), ("--height", "h", "height")]
)
def test_a_resize_side_has_one_rule(flag: str, key: str, field: str) -> None:
    assert value_range(ResizeOptions, field) == (1, LARGEST_SIDE)
    for value, ok in ((1, True), (LARGEST_SIDE, True), (0, False), (LARGEST_SIDE + 1, False)):
        assert _cli_accepts(flag, str(value)) is ok, (flag, value)
        assert _variant_accepts(f"webp:{key}={value}") is ok, (key, value)
        assert _saved_accepts("resize", field, value) is ok, (field, value)


def test_quality_has_one_rule() -> None:
    low, high = value_range(EncodeOptions, "quality")
    assert (low, high) == (0, 100)
    for value, ok in ((low, True), (high, True), (low - 1, False), (high + 1, False)):
        assert _cli_accepts("--quality", str(value)) is ok, value
        assert _variant_accepts(f"webp:q={value}") is ok, value
        assert _variant_accepts(f"webp:quality={value}") is ok, value
        assert _saved_accepts("encode", "quality", value) is ok, value


def test_the_size_cap_and_sharpening_have_one_rule() -> None:
    low, high = value_range(Settings, "max_kb")
    for value, ok in ((low, True), (high, True), (high + 1, False)):
        assert _cli_accepts("--max-kb", str(value)) is ok, value
        assert _variant_accepts(f"webp:max_kb={value}") is ok, value
        assert (not check_fields(Settings, {"max_kb": value}).problems) is ok, value
    low, high = value_range(ResizeOptions, "sharpen")
    for value, ok in ((low, True), (high, True), (high + 1, False)):
        assert _cli_accepts("--sharpen", str(value)) is ok, value
        assert _saved_accepts("resize", "sharpen", value) is ok, value
