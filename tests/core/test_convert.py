"""convert_job end to end: real encoders, real files in tmp_path, atomic writes."""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin
from support.images import assert_similar, band_value, gradient_photo, pixel

from shh_converter.core import convert, encode, formats
from shh_converter.core.jobs import Job, JobResult
from shh_converter.core.settings import (
    BackgroundRemoval,
    EncodeOptions,
    MetadataMode,
    OutputFormat,
    ResizeMode,
    ResizeOptions,
    Settings,
)


def photo(size: tuple[int, int] = (320, 240), seed: int = 3) -> Image.Image:
    """Smooth gradients plus some noise: compresses like a photo, not like flat colour."""
    return gradient_photo(size, seed, noise=12)


def cutout() -> Image.Image:
    """Opaque red square with a soft edge on fully transparent black."""
    img = Image.new("RGBA", (120, 120), (0, 0, 0, 0))
    img.paste(Image.new("RGBA", (60, 60), (230, 20, 20, 255)), (30, 30))
    return img.resize((121, 121), Image.Resampling.LANCZOS)  # soft edges


def settings(fmt: str = "webp", **kw: object) -> Settings:
    enc = kw.pop("encode", {})
    return Settings(encode=EncodeOptions(format=OutputFormat(fmt), **enc), **kw)  # type: ignore[arg-type]


def run(src: Path, out: Path, s: Settings) -> JobResult:
    return convert.convert_job(Job.one(0, src, out, s), s)


@pytest.fixture
def jpeg_with_gps(tmp_path: Path) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "TestCam"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 30.0, 0.0)
    path = tmp_path / "gps.jpg"
    photo().save(path, "JPEG", quality=92, exif=exif, dpi=(300, 300))
    return path


@pytest.mark.parametrize("fmt", ["webp", "jpeg", "png", "avif"])
def test_each_format_round_trips(tmp_path: Path, fmt: str) -> None:
    src = tmp_path / "in.png"
    photo().save(src)
    out = tmp_path / f"out.{fmt}"
    result = run(src, out, settings(fmt))
    assert result.status == "converted", result.error
    assert result.bytes_in == src.stat().st_size and result.bytes_out == out.stat().st_size
    assert result.input_size == result.output_size == (320, 240)
    assert result.seconds > 0
    with Image.open(out) as img:
        assert img.format == {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "avif": "AVIF"}[fmt]
        assert_similar(img, photo(), mean_below=0.5 if fmt == "png" else 12)  # lossy: smoother


def test_quality_changes_size(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    photo().save(src)
    low = run(src, tmp_path / "low.webp", settings(encode={"quality": 30}))
    high = run(src, tmp_path / "high.webp", settings(encode={"quality": 95}))
    assert low.bytes_out < high.bytes_out


def test_webp_lossless_exact_and_near_lossless(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    photo().save(src)
    run(src, tmp_path / "ll.webp", settings(encode={"lossless": True}))
    decoded = np.asarray(Image.open(tmp_path / "ll.webp").convert("RGB"))
    assert np.array_equal(decoded, np.asarray(photo()))
    near = run(src, tmp_path / "nl.webp", settings(encode={"near_lossless": 40}))
    assert_similar(Image.open(tmp_path / "nl.webp"), photo(), max_at_most=4)  # level 40: +-4
    assert near.bytes_out < (tmp_path / "ll.webp").stat().st_size


def test_jpeg_options(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    photo().save(src)
    run(
        src,
        tmp_path / "p.jpg",
        settings("jpeg", encode={"progressive": True, "subsampling": "4:4:4"}),
    )
    with Image.open(tmp_path / "p.jpg") as img:
        assert img.info.get("progressive") or img.info.get("progression")
        assert JpegImagePlugin.get_sampling(img) == 0  # 4:4:4
    run(src, tmp_path / "b.jpg", settings("jpeg", encode={"progressive": False}))
    with Image.open(tmp_path / "b.jpg") as img:
        assert not img.info.get("progressive")
        assert JpegImagePlugin.get_sampling(img) == 2  # 4:2:0 default


def test_png_compress_level(tmp_path: Path) -> None:
    src = tmp_path / "in.jpg"
    photo().save(src, quality=95)
    zlib = {"png_optimise": False}  # the zlib level is what is written without oxipng
    fast = run(src, tmp_path / "fast.png", settings("png", encode={"compress_level": 0, **zlib}))
    small = run(src, tmp_path / "small.png", settings("png", encode={"compress_level": 9, **zlib}))
    assert small.bytes_out < fast.bytes_out


def test_alpha_kept_for_webp_png_flattened_for_jpeg(tmp_path: Path) -> None:
    src = tmp_path / "cut.png"
    cutout().save(src)
    for fmt in ("webp", "png", "avif"):
        run(src, tmp_path / f"o.{fmt}", settings(fmt))
        # PNG: oxipng may store it as a palette with transparency, still lossless.
        assert Image.open(tmp_path / f"o.{fmt}").has_transparency_data
    run(src, tmp_path / "o.jpg", settings("jpeg"))
    jpeg = np.asarray(Image.open(tmp_path / "o.jpg").convert("RGB"), dtype=int)
    assert jpeg[2, 2].min() > 245, "transparent area must become white"
    edge = np.asarray(cutout())[..., 3]
    soft = (edge > 30) & (edge < 220)
    assert soft.any()
    # Red (230) over white keeps red >= 230 on every soft edge pixel; a black fringe
    # (colour not premultiplied) pulls it towards alpha * 230, below 120 at half alpha.
    # JPEG's 4:2:0 chroma costs some 40 levels on such a sharp red/white edge.
    assert jpeg[..., 0][soft].min() > 170


def test_background_colour_flattens_any_format(tmp_path: Path) -> None:
    src = tmp_path / "cut.png"
    cutout().save(src)
    run(src, tmp_path / "o.webp", settings(background=(0, 0, 255)))
    img = Image.open(tmp_path / "o.webp")
    assert img.mode == "RGB"
    r, _, b = pixel(img, (2, 2))
    assert b > 240 and r < 15


def test_pad_with_transparency_and_resize_modes(tmp_path: Path) -> None:
    src = tmp_path / "in.jpg"
    photo((400, 200)).save(src, quality=95)
    pad = ResizeOptions(mode=ResizeMode.PAD, width=300, height=300)
    result = run(src, tmp_path / "pad.png", settings("png", resize=pad))
    img = Image.open(tmp_path / "pad.png")
    assert result.output_size == img.size == (300, 300)
    assert pixel(img.convert("RGBA"), (0, 0))[3] == 0
    run(src, tmp_path / "pad.jpg", settings("jpeg", resize=pad))
    assert pixel(Image.open(tmp_path / "pad.jpg").convert("RGB"), (0, 0))[0] > 245  # white
    fill = ResizeOptions(mode=ResizeMode.FILL, width=100, height=100)
    assert run(src, tmp_path / "fill.webp", settings(resize=fill)).output_size == (100, 100)
    pct = ResizeOptions(mode=ResizeMode.PERCENT, percent=25)
    assert run(src, tmp_path / "pct.webp", settings(resize=pct)).output_size == (100, 50)


def test_big_jpeg_downscale_uses_reduced_decode(tmp_path: Path) -> None:
    src = tmp_path / "big.jpg"
    photo((4000, 3000)).save(src, quality=90)
    fit = ResizeOptions(mode=ResizeMode.FIT, width=800, height=800)
    processed = convert.process_image(src, settings(resize=fit))
    assert processed.output_size == (800, 600)
    assert processed.input_size == (4000, 3000)
    reference = photo((4000, 3000)).resize((800, 600), Image.Resampling.LANCZOS)
    assert_similar(processed.frames[0], reference, mean_below=6)  # draft decode: no visible change


def test_metadata_strip_removes_exif_and_gps(tmp_path: Path, jpeg_with_gps: Path) -> None:
    for fmt in ("jpeg", "webp", "png"):
        out = tmp_path / f"s.{fmt}"
        assert run(jpeg_with_gps, out, settings(fmt)).status == "converted"
        with Image.open(out) as img:
            assert not img.getexif(), f"{fmt} kept EXIF"
            assert "exif" not in img.info
        assert b"TestCam" not in out.read_bytes()


def test_metadata_keep_resets_orientation(tmp_path: Path, jpeg_with_gps: Path) -> None:
    out = tmp_path / "k.jpg"
    result = run(jpeg_with_gps, out, settings("jpeg", metadata=MetadataMode.KEEP))
    assert result.output_size == (240, 320)  # orientation 6 applied
    with Image.open(out) as img:
        exif = img.getexif()
        assert exif.get(0x0112) == 1
        assert exif.get(0x010F) == "TestCam"
        assert exif.get_ifd(0x8825).get(1) == "N"
        assert img.info.get("dpi") == pytest.approx((300, 300), abs=1)


def test_huge_exif_dropped_for_jpeg_with_warning(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x010E] = "x" * 70_000  # ImageDescription: EXIF block > 64 KB
    src = tmp_path / "big_exif.webp"
    photo().save(src, "WEBP", exif=exif)
    result = run(src, tmp_path / "o.jpg", settings("jpeg", metadata=MetadataMode.KEEP))
    assert result.status == "converted", result.error
    assert "EXIF data dropped" in (result.details or "")
    result = run(src, tmp_path / "o.webp", settings("webp", metadata=MetadataMode.KEEP))
    assert len(Image.open(tmp_path / "o.webp").getexif().get(0x010E, "")) == 70_000


def test_animated_gif_to_animated_webp(tmp_path: Path) -> None:
    colours = ((255, 0, 0), (0, 255, 0), (0, 0, 255))
    frames = [Image.new("RGB", (30, 20), c) for c in colours]
    src = tmp_path / "a.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=[40, 80, 160], loop=0)
    run(src, tmp_path / "a.webp", settings(animated=True))
    out = Image.open(tmp_path / "a.webp")
    assert getattr(out, "n_frames", 1) == 3
    durations = []
    for i in range(3):
        out.seek(i)
        out.load()
        durations.append(out.info["duration"])
    assert durations == [40, 80, 160]
    run(src, tmp_path / "still.webp", settings(animated=False))
    assert getattr(Image.open(tmp_path / "still.webp"), "n_frames", 1) == 1


def test_failures_are_results_with_messages_and_no_output(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10)
    out = tmp_path / "out" / "bad.webp"
    result = run(bad, out, settings())
    assert result.status == "failed" and result.output is None
    assert "PNG" in (result.error or "")
    assert "corrupt" in (result.error or "") or "truncated" in (result.error or "")
    assert not out.exists()
    assert not [p for p in tmp_path.rglob("*") if p.name.startswith(".shh-partial")]
    assert result.bytes_in == bad.stat().st_size and result.bytes_out == 0  # report shows size


def test_encoder_limit_is_an_encode_error(tmp_path: Path) -> None:
    src = tmp_path / "wide.png"
    Image.new("L", (17000, 2), 128).save(src)
    result = run(src, tmp_path / "wide.webp", settings())
    assert result.status == "failed"
    assert "too large for WEBP" in (result.error or "")
    assert not (tmp_path / "wide.webp").exists()


def test_unexpected_exception_is_an_internal_error_with_traceback(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    photo().save(src)
    broken = Settings(encode=EncodeOptions(format="bmp"))  # type: ignore[arg-type]
    result = run(src, tmp_path / "o.bmp", broken)
    assert result.status == "failed"
    assert (result.error or "").startswith("internal error: ValueError")
    assert "Traceback" in (result.details or "")


def test_source_never_modified_or_overwritten(tmp_path: Path) -> None:
    src = tmp_path / "same.webp"
    photo().save(src, "WEBP")
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    mtime = os.stat(src).st_mtime_ns
    result = run(src, src, settings())
    assert result.status == "failed" and "overwrite the source" in (result.error or "")
    run(src, tmp_path / "other.webp", settings())
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest
    assert os.stat(src).st_mtime_ns == mtime


def test_planner_verdicts_pass_through(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    photo().save(src)
    skipped = convert.convert_job(
        Job.one(3, src, tmp_path / "o.webp", settings(), skip_reason="up to date"), settings()
    )
    assert skipped.status == "skipped" and skipped.index == 3 and skipped.error == "up to date"
    failed = convert.convert_job(
        Job.one(4, src, tmp_path / "o.webp", settings(), error="name clash"), settings()
    )
    assert failed.status == "failed" and failed.error == "name clash"
    assert not (tmp_path / "o.webp").exists()


def test_existing_output_is_replaced_whole(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    photo().save(src)
    out = tmp_path / "o.webp"
    out.write_bytes(b"old")
    assert run(src, out, settings()).status == "converted"
    assert Image.open(out).size == (320, 240)


def test_background_removal_mask_only_writes_l_mask(tmp_path: Path) -> None:
    pytest.importorskip("shh_converter.core.background.removal")
    src = tmp_path / "in.png"
    img = Image.new("RGB", (80, 80), (255, 255, 255))
    img.paste((10, 90, 200), (20, 20, 60, 60))
    img.save(src)
    removal = BackgroundRemoval(enabled=True, mode="flat", mask_only=True)  # type: ignore[arg-type]
    result = run(src, tmp_path / "mask.png", settings("png", background_removal=removal))
    assert result.status == "converted", result.error
    mask = Image.open(tmp_path / "mask.png")
    assert mask.mode in ("L", "1")  # oxipng stores a two-level mask in one bit, losslessly
    assert band_value(mask, (40, 40)) > 200 and band_value(mask, (2, 2)) < 50


def test_encode_to_memory_matches_file(tmp_path: Path) -> None:
    src = tmp_path / "in.png"
    photo().save(src)
    s = settings()
    buffer = io.BytesIO()
    encode.encode(convert.process_image(src, s), s, buffer)
    result = run(src, tmp_path / "o.webp", s)
    assert buffer.tell() == result.bytes_out


def test_profiles_written_only_as_asked(tmp_path: Path) -> None:
    adobe = Image.open(Path(__file__).resolve().parents[3] / "shared/corpus/icc/xmp_test.jpg")
    src = tmp_path / "adobe.png"
    photo().save(src, icc_profile=adobe.info["icc_profile"])
    for fmt in ("png", "avif", "webp", "jpeg"):
        run(src, tmp_path / f"strip.{fmt}", settings(fmt))
        assert not Image.open(tmp_path / f"strip.{fmt}").info.get("icc_profile"), fmt
        run(src, tmp_path / f"keep.{fmt}", settings(fmt, metadata=MetadataMode.KEEP))
        kept = Image.open(tmp_path / f"keep.{fmt}").info.get("icc_profile") or b""
        assert kept[16:20] == b"RGB " and kept != adobe.info["icc_profile"], fmt  # sRGB
        run(src, tmp_path / f"icc.{fmt}", settings(fmt, keep_icc=True))
        embedded = Image.open(tmp_path / f"icc.{fmt}").info.get("icc_profile")
        assert embedded == adobe.info["icc_profile"], fmt


@pytest.mark.parametrize(
    ("fmt", "mode", "want"),
    [
        ("webp", "L", "RGB"),
        ("webp", "LA", "RGBA"),
        ("jpeg", "L", "L"),
        ("jpeg", "RGB", "RGB"),
        ("png", "LA", "LA"),
        ("avif", "L", "RGB"),
        ("avif", "RGBA", "RGBA"),
    ],
)
def test_formats_table_normalises_modes(fmt: str, mode: str, want: str) -> None:
    spec = formats.spec_for(fmt)
    assert formats.normalise_mode(Image.new(mode, (4, 4)), spec).mode == want
    options = formats.save_options(EncodeOptions(format=OutputFormat(fmt), quality=61))
    if fmt != "png":
        assert options["quality"] == 61
    assert spec.extension == {"jpeg": "jpg"}.get(fmt, fmt)


def test_near_lossless_levels() -> None:
    img = photo((64, 64))
    assert formats.webp.near_lossless(img, 100) is img
    for level, worst in ((80, 1), (40, 4), (0, 16)):
        assert_similar(formats.webp.near_lossless(img, level), img, max_at_most=worst)
