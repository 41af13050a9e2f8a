"""The formats table (core/formats.py) and what reads it: CLI flags, checks, availability."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from support import run_cli

from shh_converter.cli import encoder_flags
from shh_converter.core import checks, convert, formats
from shh_converter.core.errors import UsageError
from shh_converter.core.jobs import Job
from shh_converter.core.settings import EncodeOptions, OutputFormat, Settings

if TYPE_CHECKING:
    from pathlib import Path


def test_every_option_is_an_encode_options_field_with_a_valid_default() -> None:
    fields = formats.field_names()
    for spec in formats.SPECS.values():
        assert spec.label and spec.extension and spec.pil_name
        for option in spec.options:
            assert option.field in fields, f"{spec.label}: {option.field}"
            assert option.check(option.default) is None, f"{spec.label}.{option.field}"
            assert option.kind in ("int", "bool", "choice")
        assert formats.problems(formats.default_options(spec.format)) == [] or not spec.available()


def test_option_ranges_are_the_fields_that_the_settings_checks_read() -> None:
    """Saved settings are checked by core/checks.py from the field's metadata: every int
    option has a range there and every choice option its choices, and the checker
    refuses a value just past each end."""
    for field, users in formats.all_options().items():
        for _spec, option in users:
            if option.kind == "int":
                assert option.low is not None and option.high is not None, field
                for bad in (option.low - 1, option.high + 1):
                    checked = checks.check_fields(EncodeOptions, {field: bad})
                    assert [p.key for p in checked.problems] == [field], (field, bad)
            if option.kind == "choice":
                assert option.choices, field
                checked = checks.check_fields(EncodeOptions, {field: "no-such-choice"})
                assert [p.key for p in checked.problems] == [field], field


def test_applies_answers_per_format_and_options() -> None:
    webp = formats.spec_for("webp")
    assert webp.applies("quality", EncodeOptions())
    assert not webp.applies("quality", EncodeOptions(lossless=True))
    assert not webp.applies("progressive", EncodeOptions())
    jpeg = formats.spec_for(OutputFormat.JPEG)
    assert jpeg.applies("progressive", EncodeOptions(format=OutputFormat.JPEG))
    assert not jpeg.applies("progressive", EncodeOptions(jpeg_encoder="jpegli"))
    assert jpeg.option("quality") is not None and jpeg.option("quality").high == 100  # type: ignore[union-attr]


def test_each_format_has_its_own_defaults() -> None:
    assert formats.default_options("avif").quality == 75
    assert formats.default_options("jxl").quality == 90
    assert formats.default_options("jpeg").quality == 85
    assert formats.default_options("png", png_effort=5).png_effort == 5


def test_auto_chroma_is_444_from_quality_90() -> None:
    assert formats.chroma(EncodeOptions(quality=90)) == "4:4:4"
    assert formats.chroma(EncodeOptions(quality=89)) == "4:2:0"
    assert formats.chroma(EncodeOptions(quality=95, subsampling="4:2:2")) == "4:2:2"


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    encoder_flags.add_arguments(parser)
    encoder_flags.add_resize_arguments(parser)
    return parser.parse_args(list(argv))


def test_cli_has_a_flag_for_every_option_and_builds_encode_options() -> None:
    parser = argparse.ArgumentParser()
    encoder_flags.add_arguments(parser)
    flags = {a for action in parser._actions for a in action.option_strings}
    for field in formats.all_options():
        assert encoder_flags.flag_of(field) in flags
    opts = encoder_flags.encode_from_args(
        _parse("--format", "jpeg", "--no-progressive", "--subsampling", "4:2:2", "--quality", "70")
    )
    assert (opts.format, opts.progressive, opts.subsampling, opts.quality) == (
        OutputFormat.JPEG,
        False,
        "4:2:2",
        70,
    )
    png = encoder_flags.encode_from_args(_parse("--format", "png", "--palette", "--dither", "0"))
    assert png.palette and png.dither == 0
    assert encoder_flags.encode_from_args(_parse("--format", "avif")).quality == 75


def test_cli_refuses_an_option_the_format_does_not_have() -> None:
    with pytest.raises(UsageError, match="--method applies to --format webp only"):
        encoder_flags.encode_from_args(_parse("--format", "jpeg", "--method", "3"))
    with pytest.raises(UsageError, match="--png-effort"):
        encoder_flags.encode_from_args(_parse("--format", "webp", "--png-effort", "3"))


def test_missing_library_makes_format_unavailable_not_a_crash(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = formats.base.module_available
    monkeypatch.setattr(
        formats.base, "module_available", lambda name: name != "pillow_jxl" and real(name)
    )
    assert not formats.spec_for("jxl").available()
    assert OutputFormat.JXL not in [s.format for s in formats.available_formats()]
    with pytest.raises(UsageError, match="unavailable in this install"):
        encoder_flags.encode_from_args(_parse("--format", "jxl"))
    src = tmp_path / "in.png"
    Image.new("RGB", (8, 8), (1, 2, 3)).save(src)
    s = Settings(encode=formats.default_options("jxl"))
    result = convert.convert_job(Job.one(0, src, tmp_path / "o.jxl", s), s)
    assert result.status == "failed" and "unavailable in this install" in (result.error or "")
    assert "internal error" not in (result.error or "")


def test_missing_optional_encoder_falls_back(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without pyjpegli the JPEG is Pillow's; without oxipng the PNG is zlib's: still written."""
    real = formats.base.module_available
    monkeypatch.setattr(
        formats.base,
        "module_available",
        lambda name: name not in ("pyjpegli", "oxipng") and real(name),
    )
    assert not formats.jpeg.use_jpegli(formats.default_options("jpeg"), "RGB")
    with pytest.raises(UsageError, match="needs pyjpegli"):
        encoder_flags.encode_from_args(_parse("--format", "jpeg", "--jpeg-encoder", "jpegli"))
    assert formats.spec_for("png").applies("compress_level", formats.default_options("png"))


def test_cli_help_lists_formats_and_encoder_options(app_home: Path) -> None:
    result = run_cli("convert", "--help")
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())
    for needle in (
        "--png-effort",
        "--subsampling",
        "--jxl-effort",
        "--palette",
        "keep-no-location",
    ):
        assert needle in text
    assert "--no-animated" in text and "--resample" in text


def test_cli_unknown_option_for_format_exits_2(app_home: Path, tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(src)
    result = run_cli(
        "convert", str(src), "-o", str(tmp_path / "out"), "--format", "gif", "--quality", "5"
    )
    assert result.returncode == 2
    assert "--quality applies to --format" in result.stderr


def test_settings_round_trip_keeps_new_fields() -> None:
    s = Settings(encode=formats.default_options("png", palette=True, png_effort=4, dither=30))
    back = checks.check_fields(Settings, s.to_dict()).value
    assert back.encode == s.encode
    assert dataclasses.replace(s, animated=False).fingerprint() != s.fingerprint()
    assert Settings().animated is True


def test_cli_animation_kept_by_default_and_the_report_says_when_not(
    app_home: Path, tmp_path: Path
) -> None:
    import json

    from support import CORPUS

    gif = CORPUS / "gif" / "dispose_bgnd_transparency.gif"
    out = tmp_path / "out"
    report = tmp_path / "r.json"
    kept = run_cli("convert", str(gif), "-o", str(out), "--format", "png")
    assert kept.returncode == 0, kept.stderr
    with Image.open(out / "dispose_bgnd_transparency.png") as img:
        assert img.n_frames == 10
    one = run_cli("convert", str(gif), "-o", str(out), "--format", "jpeg", "--report", str(report))
    assert one.returncode == 0, one.stderr
    entry = json.loads(report.read_text(encoding="utf-8"))["files"][0]
    assert "first" in (entry["warnings"] or "") and "10" in entry["warnings"]
