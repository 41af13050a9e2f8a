"""Every encoder control on real files, read back with Pillow (issue 10).

Each control changes the output the way it says; lossless paths are pixel-identical;
animations round-trip (frames, durations, loop) where the format holds them and
say so where it does not; keep-no-location removes GPS; every format the window
lists writes a file that decodes.
"""

from __future__ import annotations

import dataclasses
import io
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image, JpegImagePlugin
from support import CORPUS
from support.images import assert_similar, gradient_photo

from shh_converter.core import convert, encode, formats, jpegmarkers
from shh_converter.core.jobs import Job, JobResult
from shh_converter.core.settings import (
    MetadataMode,
    OutputFormat,
    Resample,
    ResizeMode,
    ResizeOptions,
    Settings,
)

if TYPE_CHECKING:
    from pathlib import Path

GPS_PHOTO = CORPUS / "photos" / "plasma_ColorfulCups_2560x1600.jpg"  # carries a GPS block
LOGO = CORPUS / "photos" / "mpl_logo2.png"
ANIMATED_GIF = CORPUS / "gif" / "dispose_bgnd_transparency.gif"  # 10 frames, varying durations


def photo(size: tuple[int, int] = (160, 120), seed: int = 5) -> Image.Image:
    return gradient_photo(size, seed, noise=10)


def settings(fmt: str, **encode_changes: object) -> Settings:
    return Settings(encode=formats.default_options(fmt, **encode_changes))


def convert_file(src: Path, out: Path, s: Settings) -> JobResult:
    result = convert.convert_job(Job.one(0, src, out, s), s)
    assert result.status == "converted", result.error
    return result


def encoded(img: Image.Image, s: Settings) -> bytes:
    buf = io.BytesIO()
    processed = encode.Processed(frames=[img], input_size=img.size)
    encode.encode(processed, s, buf)
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def visible(img: Image.Image) -> np.ndarray:
    arr: np.ndarray = np.asarray(img.convert("RGBA")).copy()
    arr[arr[..., 3] == 0] = 0
    return arr


@pytest.fixture
def photo_png(tmp_path: Path) -> Path:
    path = tmp_path / "photo.png"
    photo().save(path)
    return path


# -- the window's list: every format writes something that decodes ---------------------


@pytest.mark.parametrize("spec", formats.available_formats(), ids=lambda s: s.format.value)
def test_every_available_format_writes_a_file_that_decodes(spec: formats.FormatSpec) -> None:
    if spec.format == OutputFormat.JXL:
        import pillow_jxl  # noqa: F401  (the JXL reader)
    img = photo((64, 48)) if spec.max_side > 256 else photo((48, 48))
    back = opened(encoded(img, Settings(encode=formats.default_options(spec.format))))
    assert back.format == spec.pil_name
    assert back.size[0] > 0


# -- PNG -------------------------------------------------------------------------------


def test_png_oxipng_pass_is_smaller_and_pixel_identical() -> None:
    pytest.importorskip("oxipng")
    img = Image.open(LOGO).convert("RGBA")
    plain = encoded(img, settings("png", png_optimise=False))
    fast = encoded(img, settings("png"))
    best = encoded(img, settings("png", png_effort=6))
    assert len(fast) < 0.9 * len(plain)
    assert len(best) <= len(fast)
    for data in (fast, best):
        assert np.array_equal(visible(opened(data)), visible(img))


def test_png_pass_skips_photographs_unless_asked(tmp_path: Path) -> None:
    """A JPEG photo's PNG is written with zlib (the pass saved ~7 % there for 3-5x the time);
    ``png_optimise_photos`` runs it there too; a PNG source always gets it."""
    pytest.importorskip("oxipng")
    source = CORPUS / "photos" / "mpl_grace_hopper.jpg"
    zlib = convert_file(source, tmp_path / "zlib.png", settings("png", png_optimise=False))
    convert_file(source, tmp_path / "default.png", settings("png"))
    asked = settings("png", png_optimise_photos=True)
    photos_too = convert_file(source, tmp_path / "photos.png", asked)
    assert (tmp_path / "default.png").read_bytes() == (tmp_path / "zlib.png").read_bytes()
    assert photos_too.bytes_out < 0.97 * zlib.bytes_out
    with Image.open(tmp_path / "photos.png") as a, Image.open(tmp_path / "zlib.png") as b:
        assert np.array_equal(np.asarray(a), np.asarray(b))
    logo_zlib = convert_file(LOGO, tmp_path / "logo-zlib.png", settings("png", png_optimise=False))
    logo = convert_file(LOGO, tmp_path / "logo.png", settings("png"))
    assert logo.bytes_out < 0.9 * logo_zlib.bytes_out
    assert formats.photo_source("JPEG") and formats.photo_source("HEIF")
    assert not formats.photo_source("PNG") and not formats.photo_source("WEBP")


def test_png_exact_keeps_colour_under_transparent_pixels() -> None:
    pytest.importorskip("oxipng")
    img = Image.new("RGBA", (32, 32), (200, 10, 10, 0))
    img.paste((0, 0, 255, 255), (8, 8, 24, 24))
    exact = opened(encoded(img, settings("png", exact=True))).convert("RGBA")
    assert exact.getpixel((0, 0)) == (200, 10, 10, 0)
    assert np.array_equal(visible(opened(encoded(img, settings("png")))), visible(img))


def test_png_grey_and_few_colour_sources_stay_grey_and_palette() -> None:
    pytest.importorskip("oxipng")
    grey = photo().convert("L")
    assert opened(encoded(grey, settings("png"))).mode in ("L", "1")
    few = Image.new("RGB", (40, 40), (255, 0, 0))
    few.paste((0, 0, 255), (0, 0, 20, 40))
    back = opened(encoded(few, settings("png")))
    assert back.mode == "P"
    assert np.array_equal(np.asarray(back.convert("RGB")), np.asarray(few))


def test_png_palette_quantises_and_colours_limit_it() -> None:
    img = photo()
    full = encoded(img, settings("png"))
    pal = opened(encoded(img, settings("png", palette=True)))
    assert pal.mode == "P"
    few = opened(encoded(img, settings("png", palette=True, palette_colors=8)))
    assert len(few.convert("RGB").getcolors(256) or []) <= 8
    assert len(encoded(img, settings("png", palette=True, palette_colors=8))) < len(full)
    assert_similar(pal, img, mean_below=12)


def test_png_palette_with_imagequant() -> None:
    pytest.importorskip("imagequant")
    img = Image.open(LOGO).convert("RGBA")
    data = encoded(img, settings("png", palette=True, quantiser="imagequant", palette_colors=32))
    back = opened(data)
    assert back.mode == "P"
    assert len(back.convert("RGBA").getcolors(256) or []) <= 32


def test_png_zlib_level_without_oxipng() -> None:
    img = photo()
    fast = encoded(img, settings("png", png_optimise=False, compress_level=0))
    small = encoded(img, settings("png", png_optimise=False, compress_level=9))
    assert len(small) < len(fast)


# -- JPEG ------------------------------------------------------------------------------


def test_jpeg_progressive_and_chroma_choices_with_pillow() -> None:
    img = photo()
    base = {"jpeg_encoder": "pillow"}
    assert opened(encoded(img, settings("jpeg", **base))).info.get("progressive")
    baseline = opened(encoded(img, settings("jpeg", progressive=False, **base)))
    assert not baseline.info.get("progressive")
    samplings = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}
    for name, code in samplings.items():
        back = opened(encoded(img, settings("jpeg", subsampling=name, **base)))
        assert JpegImagePlugin.get_sampling(back) == code, name
    auto_high = opened(encoded(img, settings("jpeg", quality=92, **base)))
    auto_low = opened(encoded(img, settings("jpeg", quality=80, **base)))
    assert JpegImagePlugin.get_sampling(auto_high) == 0
    assert JpegImagePlugin.get_sampling(auto_low) == 2


def test_jpeg_optimised_huffman_is_smaller() -> None:
    img = photo()
    # A progressive JPEG always has optimised tables (libjpeg): baseline shows the option.
    base = {"jpeg_encoder": "pillow", "progressive": False}
    plain = encoded(img, settings("jpeg", optimize_huffman=False, **base))
    optimised = encoded(img, settings("jpeg", **base))
    assert len(optimised) < len(plain)


def test_jpeg_mozjpeg_pass_is_lossless_and_not_bigger() -> None:
    pytest.importorskip("mozjpeg_lossless_optimization")
    img = photo()
    plain = encoded(img, settings("jpeg", jpeg_encoder="pillow", progressive=False))
    passed = encoded(
        img, settings("jpeg", jpeg_encoder="pillow", progressive=False, mozjpeg_pass=True)
    )
    assert len(passed) <= len(plain)
    assert np.array_equal(np.asarray(opened(passed)), np.asarray(opened(plain)))


def test_jpegli_writes_the_default_jpeg_with_its_metadata(tmp_path: Path) -> None:
    pytest.importorskip("pyjpegli")
    s = Settings(
        encode=formats.default_options("jpeg", jpeg_encoder="auto"),
        metadata=MetadataMode.KEEP,
        resize=ResizeOptions(mode=ResizeMode.MAX_SIDE, size=640),
    )
    prepared = convert.prepare(GPS_PHOTO, [s])
    processed = convert.render(prepared, s)
    assert formats.jpeg.use_jpegli(s.encode, "RGB", processed)
    same_size = convert.render(prepared, dataclasses.replace(s, resize=ResizeOptions()))
    assert not formats.jpeg.use_jpegli(s.encode, "RGB", same_size)  # a JPEG kept as it is: Pillow
    out = tmp_path / "cups.jpg"
    convert_file(GPS_PHOTO, out, s)
    data = out.read_bytes()
    pillow = dataclasses.replace(s, encode=formats.default_options("jpeg", jpeg_encoder="pillow"))
    buf = io.BytesIO()
    encode.encode(processed, pillow, buf)
    assert data != buf.getvalue()
    with Image.open(out) as img:
        assert img.getexif().get(0x010F)  # camera make kept
        assert img.info.get("icc_profile")
        segments, _rest = jpegmarkers.split(data)
        assert any(seg.payload.startswith(jpegmarkers.EXIF_ID) for seg in segments)


# -- WebP, AVIF ------------------------------------------------------------------------


def test_webp_controls() -> None:
    img = Image.open(LOGO).convert("RGBA")
    lossless = opened(encoded(img, settings("webp", lossless=True, exact=True)))
    assert np.array_equal(np.asarray(lossless.convert("RGBA")), np.asarray(img))
    low_alpha = encoded(img, settings("webp", alpha_quality=10))
    high_alpha = encoded(img, settings("webp", alpha_quality=100))
    assert len(low_alpha) < len(high_alpha)
    fast = encoded(photo(), settings("webp", method=0))
    slow = encoded(photo(), settings("webp", method=6))
    assert fast != slow


def test_avif_speed_and_chroma() -> None:
    img = photo()
    assert formats.default_options("avif").quality == 75
    fast = encoded(img, settings("avif", avif_speed=10))
    slow = encoded(img, settings("avif", avif_speed=2))
    assert fast != slow
    full = encoded(img, settings("avif", subsampling="4:4:4"))
    half = encoded(img, settings("avif", subsampling="4:2:0"))
    assert len(half) < len(full)


# -- JPEG XL ---------------------------------------------------------------------------


def test_jxl_lossless_is_pixel_identical() -> None:
    pytest.importorskip("pillow_jxl")
    for img in (photo(), Image.open(LOGO).convert("RGBA"), photo().convert("L")):
        back = opened(encoded(img, settings("jxl", lossless=True)))
        assert np.array_equal(np.asarray(back.convert(img.mode)), np.asarray(img)), img.mode


def test_jxl_quality_changes_size() -> None:
    pytest.importorskip("pillow_jxl")
    assert len(encoded(photo(), settings("jxl", quality=50))) < len(
        encoded(photo(), settings("jxl", quality=95))
    )


def test_jxl_recompresses_a_jpeg_losslessly(tmp_path: Path) -> None:
    pillow_jxl = pytest.importorskip("pillow_jxl")
    src = CORPUS / "photos" / "mate_Storm.jpg"
    out = tmp_path / "storm.jxl"
    convert_file(
        src, out, Settings(encode=formats.default_options("jxl"), metadata=MetadataMode.KEEP)
    )
    data = out.read_bytes()
    assert len(data) < 0.85 * src.stat().st_size
    is_jpeg, _info, rebuilt, _icc, _boxes = pillow_jxl.Decoder(num_threads=1)(data)
    assert is_jpeg and bytes(rebuilt) == src.read_bytes()


def test_jxl_recompression_strips_personal_metadata(tmp_path: Path) -> None:
    pillow_jxl = pytest.importorskip("pillow_jxl")
    out = tmp_path / "cups.jxl"
    convert_file(GPS_PHOTO, out, Settings(encode=formats.default_options("jxl")))
    is_jpeg, _info, rebuilt, _icc, _boxes = pillow_jxl.Decoder(num_threads=1)(out.read_bytes())
    assert is_jpeg
    rebuilt = bytes(rebuilt)
    segments, rest = jpegmarkers.split(rebuilt)
    assert not any(jpegmarkers.is_personal(s) for s in segments)
    _src_segments, src_rest = jpegmarkers.split(GPS_PHOTO.read_bytes())
    assert rest == src_rest  # the image data bit for bit
    with Image.open(io.BytesIO(rebuilt)) as img:
        assert not img.getexif().get_ifd(0x8825)


def test_jxl_not_recompressed_when_resized(tmp_path: Path) -> None:
    pillow_jxl = pytest.importorskip("pillow_jxl")
    out = tmp_path / "small.jxl"
    s = Settings(
        encode=formats.default_options("jxl"),
        resize=ResizeOptions(mode=ResizeMode.MAX_SIDE, size=200),
    )
    convert_file(CORPUS / "photos" / "mate_Storm.jpg", out, s)
    is_jpeg, info, _data, _icc, _boxes = pillow_jxl.Decoder(num_threads=1)(out.read_bytes())
    assert not is_jpeg and max(info.width, info.height) == 200


def test_jxl_input_is_read(tmp_path: Path) -> None:
    pytest.importorskip("pillow_jxl")
    src = tmp_path / "in.jxl"
    src.write_bytes(encoded(photo(), settings("jxl", lossless=True)))
    out = tmp_path / "back.png"
    convert_file(src, out, settings("png"))
    assert np.array_equal(np.asarray(Image.open(out).convert("RGB")), np.asarray(photo()))


# -- GIF and animation -----------------------------------------------------------------


def _frames(path: Path) -> tuple[int, list[int], int]:
    with Image.open(path) as img:
        n = getattr(img, "n_frames", 1)
        durations = []
        for i in range(n):
            img.seek(i)
            img.load()  # WebP and AVIF set a frame's duration when it is decoded
            durations.append(int(img.info.get("duration", 0)))
        return n, durations, int(img.info.get("loop", 0) or 0)


@pytest.mark.parametrize("fmt", ["webp", "png", "gif", "avif"])
def test_animation_round_trips(tmp_path: Path, fmt: str) -> None:
    src_n, src_durations, src_loop = _frames(ANIMATED_GIF)
    assert src_n > 1
    out = tmp_path / f"anim.{fmt}"
    result = convert_file(ANIMATED_GIF, out, settings(fmt))
    n, durations, loop = _frames(out)
    assert n == src_n
    assert loop == src_loop
    if fmt != "avif":  # AVIF stores durations in its own timescale: checked to 1 ms below
        assert durations == src_durations
    else:
        assert all(abs(a - b) <= 1 for a, b in zip(durations, src_durations, strict=True))
    assert "first frame" not in (result.details or "")


def test_animation_frames_look_like_the_source(tmp_path: Path) -> None:
    out = tmp_path / "anim.png"
    convert_file(ANIMATED_GIF, out, settings("png"))
    with Image.open(ANIMATED_GIF) as src, Image.open(out) as got:
        for i in (0, 3, 7):
            src.seek(i)
            got.seek(i)
            assert np.array_equal(visible(got), visible(src))


def test_no_animation_format_takes_the_first_frame_and_says_so(tmp_path: Path) -> None:
    out = tmp_path / "one.jpg"
    result = convert_file(ANIMATED_GIF, out, settings("jpeg"))
    assert _frames(out)[0] == 1
    assert "first" in (result.details or "") and "frame" in (result.details or "")


def test_animation_switch_off_takes_the_first_frame(tmp_path: Path) -> None:
    out = tmp_path / "one.webp"
    s = Settings(encode=formats.default_options("webp"), animated=False)
    result = convert_file(ANIMATED_GIF, out, s)
    assert _frames(out)[0] == 1
    assert "first" in (result.details or "")


def test_gif_output_keeps_transparency() -> None:
    img = Image.open(LOGO).convert("RGBA")
    back = opened(encoded(img, settings("gif")))
    assert back.mode == "P" and "transparency" in back.info
    rgba = np.asarray(back.convert("RGBA"))
    src_alpha = np.asarray(img)[..., 3]
    assert np.array_equal(rgba[..., 3] == 0, src_alpha < 128)


# -- metadata --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "webp", "png", "avif"])
def test_keep_no_location_removes_gps_and_keeps_the_rest(tmp_path: Path, fmt: str) -> None:
    with Image.open(GPS_PHOTO) as src:
        assert src.getexif().get_ifd(0x8825), "the corpus photo must carry GPS"
        make = src.getexif().get(0x010F)
    small = ResizeOptions(mode=ResizeMode.MAX_SIDE, size=400)
    kept = tmp_path / f"kept.{fmt}"
    private = tmp_path / f"private.{fmt}"
    base = Settings(encode=formats.default_options(fmt), resize=small)
    convert_file(GPS_PHOTO, kept, dataclasses.replace(base, metadata=MetadataMode.KEEP))
    private_settings = dataclasses.replace(base, metadata=MetadataMode.KEEP_NO_LOCATION)
    convert_file(GPS_PHOTO, private, private_settings)
    with Image.open(kept) as img:
        assert img.getexif().get_ifd(0x8825), f"{fmt}: keep must keep GPS"
    with Image.open(private) as img:
        exif = img.getexif()
        assert not exif.get_ifd(0x8825), f"{fmt}: GPS left"
        assert exif.get(0x010F) == make


def test_xmp_carried_with_keep_and_orientation_reset(tmp_path: Path) -> None:
    src = CORPUS / "icc" / "xmp_test.jpg"
    out = tmp_path / "x.webp"
    small = ResizeOptions(mode=ResizeMode.MAX_SIDE, size=300)
    convert_file(
        src,
        out,
        Settings(encode=formats.default_options("webp"), resize=small, metadata=MetadataMode.KEEP),
    )
    with Image.open(out) as img:
        assert img.info.get("xmp")
    stripped = tmp_path / "s.webp"
    convert_file(src, stripped, Settings(encode=formats.default_options("webp"), resize=small))
    with Image.open(stripped) as img:
        assert not img.info.get("xmp")


def test_clean_xmp_removes_gps_and_serials() -> None:
    from shh_converter.core import metadata

    xmp = (
        b'<x:xmpmeta><rdf:Description exif:GPSLatitude="52,30N" tiff:Orientation="6" '
        b'aux:SerialNumber="123" xmp:Rating="5"><exif:GPSAltitude>12/1</exif:GPSAltitude>'
        b"</rdf:Description></x:xmpmeta>"
    )
    warnings: list[str] = []
    kept = metadata.clean_xmp(xmp, without_location=False, warnings=warnings)
    assert kept is not None and b'tiff:Orientation="1"' in kept and b"GPS" in kept
    private = metadata.clean_xmp(xmp, without_location=True, warnings=warnings)
    assert private is not None
    assert b"GPS" not in private and b"SerialNumber" not in private and b'xmp:Rating="5"' in private


# -- resampling ------------------------------------------------------------------------


def test_nearest_keeps_pixel_art_colours_and_sharpen_changes_a_downscale(tmp_path: Path) -> None:
    art = Image.new("RGB", (8, 8), (255, 0, 0))
    art.paste((0, 0, 255), (0, 0, 4, 8))
    src = tmp_path / "art.png"
    art.save(src)
    big = ResizeOptions(
        mode=ResizeMode.PERCENT, percent=400, resample=Resample.NEAREST, upscale=True
    )
    out = tmp_path / "big.png"
    convert_file(src, out, Settings(encode=formats.default_options("png"), resize=big))
    colours = {c for _n, c in Image.open(out).convert("RGB").getcolors(1024) or []}
    assert colours == {(255, 0, 0), (0, 0, 255)}
    lanczos = tmp_path / "smooth.png"
    smooth = ResizeOptions(mode=ResizeMode.PERCENT, percent=400, upscale=True)
    convert_file(src, lanczos, Settings(encode=formats.default_options("png"), resize=smooth))
    assert len(Image.open(lanczos).convert("RGB").getcolors(100000) or []) > 2

    photo_src = tmp_path / "p.png"
    photo((320, 240)).save(photo_src)
    half = ResizeOptions(mode=ResizeMode.PERCENT, percent=50)
    sharp = ResizeOptions(mode=ResizeMode.PERCENT, percent=50, sharpen=80)
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    convert_file(photo_src, a, Settings(encode=formats.default_options("png"), resize=half))
    convert_file(photo_src, b, Settings(encode=formats.default_options("png"), resize=sharp))
    plain = np.asarray(Image.open(a), float)
    crisp = np.asarray(Image.open(b), float)
    assert crisp.std() > plain.std()  # unsharp mask raises local contrast


def test_jxl_pixel_limit_checked_before_decoding(tmp_path: Path) -> None:
    pytest.importorskip("pillow_jxl")
    from shh_converter.core import imageio, jxlheader
    from shh_converter.core.errors import CorruptImageError, ImageTooLargeError
    from shh_converter.core.settings import Limits

    src = tmp_path / "big.jxl"
    src.write_bytes(encoded(Image.new("RGB", (900, 700), (9, 9, 9)), settings("jxl", jxl_effort=1)))
    assert jxlheader.image_size(src.read_bytes()[:64]) == (900, 700)
    tight = Settings(limits=Limits(max_pixels=600 * 700))
    with pytest.raises(ImageTooLargeError, match="900x700"):
        imageio.open_image(src, tight)
    cut = tmp_path / "cut.jxl"
    cut.write_bytes(src.read_bytes()[:3])
    with pytest.raises(CorruptImageError, match=r"unreadable JPEG XL header"):
        imageio.open_image(cut, Settings())


def test_animation_frames_together_get_the_pixel_limit(tmp_path: Path) -> None:
    from shh_converter.core.settings import Limits

    frames = [Image.new("RGB", (100, 100), (i * 20, 0, 0)) for i in range(10)]
    src = tmp_path / "long.gif"
    frames[0].save(src, save_all=True, append_images=frames[1:], duration=50)
    tight = Settings(encode=formats.default_options("webp"), limits=Limits(max_pixels=50_000))
    result = convert.convert_job(Job.one(0, src, tmp_path / "o.webp", tight), tight)
    assert result.status == "failed" and "animation too large" in (result.error or "")
    still = dataclasses.replace(tight, animated=False)  # the first frame alone fits
    assert convert.convert_job(Job.one(0, src, tmp_path / "o1.webp", still), still).status == (
        "converted"
    )
