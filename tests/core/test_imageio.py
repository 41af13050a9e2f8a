"""Safe open: content sniffing, limits, decoding errors, orientation, modes, colour.

Images are built in code, written to ``tmp_path`` with real encoders, then opened
through :func:`imageio.open_image`.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from support.images import assert_similar, mean_abs_diff, pixel

from shh_converter.core import imageio
from shh_converter.core.errors import CorruptImageError, ImageTooLargeError, UnsupportedFormatError
from shh_converter.core.metadata import transpose_method
from shh_converter.core.settings import Limits, Settings

CORPUS_ICC = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "icc" / "xmp_test.jpg"


def pattern(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """An asymmetric RGB picture: every flip or rotation of it is different."""
    w, h = size
    x = np.linspace(0, 255, w)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h)[:, None].repeat(w, 1)
    arr = np.stack([x, y, np.full_like(x, 60)], axis=-1).astype(np.uint8)
    arr[: h // 4, : w // 4] = (255, 255, 255)  # a white corner top-left
    return Image.fromarray(arr, "RGB")


def save(img: Image.Image, path: Path, fmt: str, **kw: object) -> Path:
    img.save(path, format=fmt, **kw)
    return path


def open_(path: Path, **kw: object) -> imageio.Source:
    return imageio.open_image(path, Settings(**kw))  # type: ignore[arg-type]


# -- orientation ------------------------------------------------------------------


def stored_for(upright: Image.Image, orientation: int) -> Image.Image:
    """The pixels a camera would store so that ``orientation`` makes them ``upright``."""
    inverse = {5: 5, 6: 8, 7: 7, 8: 6}.get(orientation, orientation)
    method = transpose_method(inverse)
    return upright.transpose(method) if method is not None else upright.copy()


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "PNG", "TIFF"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_all_eight_orientations(tmp_path: Path, fmt: str, orientation: int) -> None:
    upright = pattern()
    exif = Image.Exif()
    exif[0x0112] = orientation
    extra: dict[str, object] = {"quality": 95} if fmt in ("JPEG", "WEBP") else {}
    if fmt == "TIFF":  # Pillow writes TIFF orientation as a tag, not from exif=
        extra["tiffinfo"] = {0x0112: orientation}
    stored = stored_for(upright, orientation)
    path = save(stored, tmp_path / f"o.{fmt.lower()}", fmt, exif=exif, **extra)
    src = open_(path)
    assert src.input_size == upright.size
    # Pillow applies a TIFF's orientation while loading and drops the tag.
    assert src.meta.orientation == (1 if fmt == "TIFF" else orientation)
    assert_similar(src.frames[0], upright, mean_below=4)
    if orientation in (2, 3, 4, 5, 6, 7, 8):
        assert mean_abs_diff(stored.resize(upright.size), upright) > 10  # not upright as stored


# -- refusing bad files -----------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(CorruptImageError, match="empty file"):
        open_(path)


def test_non_images_named_as_images(tmp_path: Path) -> None:
    pdf = tmp_path / "doc.png"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    with pytest.raises(UnsupportedFormatError, match="PDF"):
        open_(pdf)
    text = tmp_path / "notes.jpg"
    text.write_text("just some words, not pixels\n" * 10)
    with pytest.raises(UnsupportedFormatError, match="cannot identify"):
        open_(text)


def test_truncated_png_and_jpeg(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    noisy = Image.fromarray(rng.integers(0, 255, (300, 300, 3), dtype=np.uint8), "RGB")
    for fmt in ("PNG", "JPEG"):
        whole = io.BytesIO()
        noisy.save(whole, fmt)
        cut = tmp_path / f"cut.{fmt.lower()}"
        cut.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
        with pytest.raises(CorruptImageError, match="truncated"):
            open_(cut)


def test_pixel_limit_checked_from_header(tmp_path: Path) -> None:
    path = save(pattern((400, 300)), tmp_path / "big.png", "PNG")
    with pytest.raises(
        ImageTooLargeError, match=r"image too large: 400x300 = 0\.1 MP \(limit 0\.1 MP\)"
    ):
        open_(path, limits=Limits(max_pixels=100_000))
    assert open_(path, limits=Limits(max_pixels=120_000)).input_size == (400, 300)


def test_bomb_header_fails_fast(tmp_path: Path) -> None:
    """A PNG header declaring 60000x60000 with almost no data: refused before decoding."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 60000, 60000, 8, 2, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
    path = tmp_path / "bomb.png"
    path.write_bytes(data + chunk(b"IEND", b""))
    start = time.perf_counter()
    with pytest.raises(ImageTooLargeError, match="too large"):
        open_(path)
    # Judged from the header: decoding 3.6 gigapixels would take minutes (or fail).
    assert time.perf_counter() - start < 3.0


def test_file_size_limit(tmp_path: Path) -> None:
    path = save(pattern(), tmp_path / "a.png", "PNG")
    with pytest.raises(ImageTooLargeError, match="file too large"):
        open_(path, limits=Limits(max_file_bytes=100))


# -- reduced decoding -------------------------------------------------------------


def test_jpeg_draft_decodes_less_but_reports_full_size(tmp_path: Path) -> None:
    path = save(pattern((4000, 3000)), tmp_path / "big.jpg", "JPEG", quality=90)
    src = imageio.open_image(path, Settings(), need=lambda full: (500, 375))
    assert src.input_size == (4000, 3000)
    assert 500 <= src.frames[0].width <= 1000  # 1/4 or 1/8 scale, never below the need
    full = imageio.open_image(path, Settings())
    assert full.frames[0].size == (4000, 3000)


# -- modes and bit depths ---------------------------------------------------------


def test_sixteen_bit_grey_scaled_by_257(tmp_path: Path) -> None:
    values = np.array([[0, 257, 32896, 65535, 1000, 40000]], dtype=np.uint16)
    img = Image.frombytes("I;16", (6, 1), values.astype("<u2").tobytes())
    path = save(img, tmp_path / "g16.png", "PNG")
    assert Image.open(path).mode.startswith("I")
    got = np.asarray(open_(path).frames[0])
    assert got.tolist() == [[0, 1, 128, 255, 4, 156]]


def test_thirty_two_bit_int_and_float(tmp_path: Path) -> None:
    arr = np.array([[0, 65535, 30000]], dtype=np.int32)
    path = save(Image.fromarray(arr, "I"), tmp_path / "i.tif", "TIFF")
    assert np.asarray(open_(path).frames[0]).tolist() == [[0, 255, 117]]
    unit = np.array([[0.0, 0.5, 1.0]], dtype=np.float32)
    path = save(Image.fromarray(unit, "F"), tmp_path / "f.tif", "TIFF")
    assert np.asarray(open_(path).frames[0]).tolist() == [[0, 128, 255]]
    wide = np.array([[-10.0, 0.0, 990.0]], dtype=np.float32)
    path = save(Image.fromarray(wide, "F"), tmp_path / "w.tif", "TIFF")
    assert np.asarray(open_(path).frames[0]).tolist() == [[0, 3, 255]]


@pytest.mark.parametrize(
    ("mode", "fmt", "want"),
    [
        ("1", "PNG", "L"),
        ("L", "PNG", "L"),
        ("LA", "PNG", "LA"),
        ("P", "PNG", "RGB"),
        ("RGB", "PNG", "RGB"),
        ("RGBA", "PNG", "RGBA"),
        ("CMYK", "JPEG", "RGB"),
        ("CMYK", "TIFF", "RGB"),
        ("PA", "TIFF", "RGBA"),
    ],
)
def test_modes_normalised(tmp_path: Path, mode: str, fmt: str, want: str) -> None:
    img = pattern().convert("RGBA" if mode == "PA" else mode)
    if mode == "PA":
        img = img.convert("P").convert("PA")
    path = save(img, tmp_path / f"m.{fmt.lower()}", fmt)
    frame = open_(path).frames[0]
    assert frame.mode == want
    if mode in ("RGB", "CMYK", "P"):
        assert_similar(frame, pattern(), mean_below=20 if mode == "P" else 12)


def test_palette_with_transparency_gets_alpha(tmp_path: Path) -> None:
    img = Image.new("P", (8, 8), 0)
    img.putpalette([0, 0, 0, 250, 20, 20] + [0] * (254 * 3))
    img.paste(1, (0, 0, 4, 8))
    path = save(img, tmp_path / "p.png", "PNG", transparency=0)
    frame = open_(path).frames[0]
    assert frame.mode == "RGBA"
    assert frame.getpixel((0, 0)) == (250, 20, 20, 255)
    assert pixel(frame, (7, 7))[3] == 0


def test_sixteen_bit_trns_key_becomes_alpha(tmp_path: Path) -> None:
    values = np.array([[0, 5000, 65535]], dtype=np.uint16)
    img = Image.frombytes("I;16", (3, 1), values.astype("<u2").tobytes())
    path = save(img, tmp_path / "k.png", "PNG", transparency=5000)
    frame = open_(path).frames[0]
    assert frame.mode == "LA"
    assert [pixel(frame, (x, 0))[1] for x in range(3)] == [255, 0, 255]


# -- colour profiles --------------------------------------------------------------


def _wide_gamut_profile() -> bytes:
    with Image.open(CORPUS_ICC) as im:
        profile = im.info["icc_profile"]  # Adobe RGB (1998)
    assert isinstance(profile, bytes)
    return profile


def test_icc_converted_to_srgb_by_default_or_kept(tmp_path: Path) -> None:
    red = Image.new("RGB", (8, 8), (200, 30, 30))
    path = save(red, tmp_path / "adobe.png", "PNG", icc_profile=_wide_gamut_profile())
    converted = pixel(open_(path).frames[0], (0, 0))
    assert converted[0] > 215, "Adobe RGB red is more saturated than sRGB red"
    kept = open_(path, keep_icc=True)
    assert kept.frames[0].getpixel((0, 0)) == (200, 30, 30)
    assert kept.meta.icc == _wide_gamut_profile()


def test_invalid_icc_ignored_with_warning(tmp_path: Path) -> None:
    path = save(pattern(), tmp_path / "bad.jpg", "JPEG", icc_profile=b"not a profile at all")
    src = open_(path)
    assert_similar(src.frames[0], pattern(), mean_below=8)
    assert any("profile" in w for w in src.warnings)


def test_srgb_profile_left_alone(tmp_path: Path) -> None:
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = save(pattern(), tmp_path / "s.png", "PNG", icc_profile=srgb)
    assert mean_abs_diff(open_(path).frames[0], pattern()) == 0


# -- animations -------------------------------------------------------------------


def test_animated_gif_frames_durations_loop(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (20, 20), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    path = tmp_path / "a.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[50, 120, 200], loop=3)
    src = imageio.open_image(path, Settings(), all_frames=True)
    assert len(src.frames) == 3
    assert src.durations == [50, 120, 200]
    assert src.loop == 3
    assert len(open_(path).frames) == 1
