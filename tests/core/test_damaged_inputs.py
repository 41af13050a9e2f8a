"""Damaged files that still hold a picture: APNGs whose later frames are broken keep the frames
that decode (with a note on every output); a planar TIFF with an overview image converts
(it raised an AssertionError inside Pillow once its pixels were needed again). The broken
bytes are written here, from a good file, so each test says exactly what is damaged."""

from __future__ import annotations

import io
import struct
import zlib
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

from shh_converter.core import formats
from shh_converter.core.convert import convert_job
from shh_converter.core.jobs import Job
from shh_converter.core.recipe import parse_spec
from shh_converter.core.settings import DEFAULT_SETTINGS

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

COLOURS = [(220, 40, 40), (40, 200, 60), (40, 60, 220), (230, 200, 30)]


def _apng() -> bytes:
    """A good 4-frame APNG, 40x30, one flat colour per frame."""
    frames = [Image.new("RGB", (40, 30), c) for c in COLOURS]
    buf = io.BytesIO()
    frames[0].save(buf, "PNG", save_all=True, append_images=frames[1:], duration=80, loop=0)
    return buf.getvalue()


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    out, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]))
        pos += 12 + length
    return out


def _png(chunks: list[tuple[bytes, bytes]]) -> bytes:
    body = b"".join(
        struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d)) for t, d in chunks
    )
    return b"\x89PNG\r\n\x1a\n" + body


def _sequence_error(chunks: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The third frame's fcTL says sequence number 99 (a valid CRC: only the order is wrong)."""
    fctl = [i for i, (t, _d) in enumerate(chunks) if t == b"fcTL"][2]
    kind, data = chunks[fctl]
    chunks[fctl] = (kind, struct.pack(">I", 99) + data[4:])
    return chunks


def _missing_fdat(chunks: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The third frame's pixel data (its fdAT) is gone."""
    fdat = [i for i, (t, _d) in enumerate(chunks) if t == b"fdAT"][1]  # frame 1 is the IDAT
    del chunks[fdat]
    return chunks


@pytest.mark.parametrize("damage", [_sequence_error, _missing_fdat])
@pytest.mark.parametrize("fmt", ["webp", "png"])
def test_an_apng_with_a_broken_later_frame_keeps_the_frames_before_it(
    tmp_path: Path,
    damage: Callable[[list[tuple[bytes, bytes]]], list[tuple[bytes, bytes]]],
    fmt: str,
) -> None:
    src = tmp_path / "anim.png"
    src.write_bytes(_png(damage(_chunks(_apng()))))
    settings = parse_spec(f"{fmt}:upscale=false", DEFAULT_SETTINGS)
    out = tmp_path / f"out.{fmt}"
    result = convert_job(Job.one(0, src, out, settings), settings)
    assert result.status == "converted", result.error
    note = result.outputs[0].note or ""
    assert note.startswith("animation frame 3 of 4 is broken") and "were kept" in note
    with Image.open(out) as im:
        kept = getattr(im, "n_frames", 1)
        assert 1 <= kept < 4 and im.size == (40, 30)
        for n in range(kept):  # the frames kept are the first ones, in order
            im.seek(n)
            pixel = im.convert("RGB").getpixel((20, 15))
            assert max(abs(a - b) for a, b in zip(pixel, COLOURS[n], strict=True)) < 12


def test_an_apng_whose_first_animation_frame_is_broken_keeps_its_image(tmp_path: Path) -> None:
    chunks = _chunks(_apng())
    fctl = [i for i, (t, _d) in enumerate(chunks) if t == b"fcTL"][1]
    kind, data = chunks[fctl]
    chunks[fctl] = (kind, struct.pack(">I", 99) + data[4:])  # frame 2 of 4 out of order
    src = tmp_path / "anim.png"
    src.write_bytes(_png(chunks))
    out = tmp_path / "out.webp"
    result = convert_job(Job.one(0, src, out, DEFAULT_SETTINGS), DEFAULT_SETTINGS)
    assert result.status == "converted", result.error
    assert "animation frame 2 of 4 is broken" in (result.outputs[0].note or "")
    with Image.open(out) as im:
        assert im.convert("RGB").getpixel((20, 15))[0] > 180  # the first (red) image


def _planar_tiff(full: np.ndarray, overview: np.ndarray) -> bytes:
    """An uncompressed RGB TIFF stored plane by plane (PlanarConfiguration 2), its second
    IFD a reduced-resolution copy (NewSubfileType 1), as GIS and scanner software write."""
    out = bytearray(b"II*\x00\x00\x00\x00\x00")
    ifd_offsets = []
    for subfile, pixels in ((0, full), (1, overview)):
        h, w, _ = pixels.shape
        planes = []
        for band in range(3):
            planes.append(len(out))
            out += pixels[:, :, band].tobytes()
        arrays = {}
        for name, values, code in (
            ("bits", [8, 8, 8], "H"),
            ("offsets", planes, "I"),
            ("counts", [w * h] * 3, "I"),
        ):
            if len(out) % 2:
                out += b"\x00"
            arrays[name] = len(out)
            out += struct.pack(f"<{len(values)}{code}", *values)
        entries = [
            (254, 4, 1, subfile),
            (256, 4, 1, w),
            (257, 4, 1, h),
            (258, 3, 3, arrays["bits"]),
            (259, 3, 1, 1),
            (262, 3, 1, 2),
            (273, 4, 3, arrays["offsets"]),
            (277, 3, 1, 3),
            (278, 4, 1, h),
            (279, 4, 3, arrays["counts"]),
            (284, 3, 1, 2),
        ]
        if len(out) % 2:
            out += b"\x00"
        ifd_offsets.append(len(out))
        out += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            packed = struct.pack("<H", value) + b"\x00\x00" if kind == 3 and count == 1 else None
            out += struct.pack("<HHI", tag, kind, count) + (packed or struct.pack("<I", value))
        out += b"\x00\x00\x00\x00"  # next IFD: patched below
    struct.pack_into("<I", out, 4, ifd_offsets[0])
    next_field = ifd_offsets[0] + 2 + 12 * 11
    struct.pack_into("<I", out, next_field, ifd_offsets[1])
    return bytes(out)


@pytest.mark.parametrize("fmt", ["webp", "jpeg", "png"])
def test_a_planar_tiff_with_an_overview_image_converts(tmp_path: Path, fmt: str) -> None:
    rng = np.random.default_rng(4)
    full = rng.integers(0, 255, (48, 64, 3), dtype=np.uint8)
    full[:, :32] = (200, 30, 30)
    src = tmp_path / "planar.tif"
    src.write_bytes(_planar_tiff(full, full[::2, ::2].copy()))
    with Image.open(src) as probe:  # the file is what it claims: two IFDs, planar
        assert probe.n_frames == 2 and probe.size == (64, 48)
    settings = parse_spec(fmt, DEFAULT_SETTINGS)
    out = tmp_path / f"out.{formats.spec_for(settings.encode.format).extension}"
    result = convert_job(Job.one(0, src, out, settings), settings)
    assert result.status == "converted", result.error
    with Image.open(out) as im:
        assert im.size == (64, 48)
        pixel = im.convert("RGB").getpixel((8, 8))
        assert max(abs(a - b) for a, b in zip(pixel, (200, 30, 30), strict=True)) < 12
