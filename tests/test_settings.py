import json

import pytest

from shh_converter.core import formats
from shh_converter.core.checks import check_fields
from shh_converter.core.errors import UsageError
from shh_converter.core.settings import (
    BackgroundMode,
    BackgroundRemoval,
    EncodeOptions,
    OutputFormat,
    ResizeMode,
    ResizeOptions,
    Settings,
    parse_color,
)


def test_round_trip_through_json() -> None:
    s = Settings(
        encode=EncodeOptions(format=OutputFormat.AVIF, quality=60),
        resize=ResizeOptions(mode=ResizeMode.PAD, width=800, height=600, upscale=False),
        background_removal=BackgroundRemoval(enabled=True, mode=BackgroundMode.FLAT, trim=True),
        background=(1, 2, 3),
    )
    again = check_fields(Settings, json.loads(json.dumps(s.to_dict()))).value
    assert again == s
    assert again.fingerprint() == s.fingerprint()


def test_fingerprint_changes_with_output_options_only() -> None:
    base = Settings()
    assert base.fingerprint() != Settings(encode=EncodeOptions(quality=70)).fingerprint()
    from shh_converter.core.settings import ConflictPolicy

    assert base.fingerprint() == Settings(on_conflict=ConflictPolicy.SKIP).fingerprint()


def test_reading_back_ignores_unknown_keys_and_keeps_defaults() -> None:
    s = check_fields(Settings, {"encode": {"quality": 50, "bogus": 1}, "whatever": True}).value
    assert s.encode.quality == 50 and s.encode.format is OutputFormat.WEBP


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("transparent", None),
        ("white", (255, 255, 255)),
        ("#FF8000", (255, 128, 0)),
        ("00ff00", (0, 255, 0)),
    ],
)
def test_parse_color(text: str, expected: object) -> None:
    assert parse_color(text) == expected


def test_parse_color_rejects_garbage() -> None:
    with pytest.raises(UsageError, match="bad colour"):
        parse_color("#12")


def test_jpeg_extension() -> None:
    assert formats.spec_for(EncodeOptions(format=OutputFormat.JPEG).format).extension == "jpg"
