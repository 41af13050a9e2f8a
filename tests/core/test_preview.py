"""make_preview: display-ready images, real output size, speed on a 12 MP JPEG."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

from shh_converter.core import convert, preview
from shh_converter.core.errors import ConversionError
from shh_converter.core.events import CancelToken
from shh_converter.core.jobs import Job
from shh_converter.core.settings import (
    EncodeOptions,
    OutputFormat,
    ResizeMode,
    ResizeOptions,
    Settings,
)

if TYPE_CHECKING:
    from pathlib import Path


def photo(size: tuple[int, int], seed: int = 5) -> Image.Image:
    w, h = size
    x = np.linspace(0, 255, w, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    noise = np.random.default_rng(seed).normal(0, 10, (h, w)).astype(np.float32)
    r = np.clip(x + noise + 0 * y, 0, 255)
    g = np.clip(y + noise + 0 * x, 0, 255)
    b = np.clip((x + y) / 2 + 0 * noise, 0, 255)
    return Image.fromarray(np.stack([r, g, b], axis=-1).astype(np.uint8), "RGB")


@pytest.fixture(scope="module")
def twelve_mp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("preview") / "12mp.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    photo((4000, 3000)).save(path, "JPEG", quality=90, exif=exif)
    return path


def test_twelve_megapixel_jpeg_preview_decodes_at_reduced_scale(
    twelve_mp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What makes a 12 MP preview fast (bench_gui.py times it): the JPEG decoder is
    asked for a reduced decode, so at most a quarter of the pixels are ever decoded."""
    from PIL import ImageFile

    decoded: list[tuple[int, int]] = []
    real_load = ImageFile.ImageFile.load

    def recording_load(self):  # type: ignore[no-untyped-def]
        result = real_load(self)
        decoded.append(self.size)
        return result

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording_load)
    p = preview.make_preview(twelve_mp, Settings())
    assert decoded, "nothing was decoded"
    assert max(w * h for w, h in decoded) <= 4000 * 3000 // 4, decoded
    assert p.output_size == (3000, 4000)  # the preview still describes the full output


def test_preview_fields(twelve_mp: Path) -> None:
    p = preview.make_preview(twelve_mp, Settings(), max_side=800)
    assert p.input_size == (3000, 4000)  # upright (orientation 6)
    assert p.output_size == (3000, 4000)
    assert max(p.before.size) <= 800 and max(p.after.size) <= 800
    assert p.before.size == (600, 800)
    assert p.before.mode in ("RGB", "RGBA") and p.after.mode in ("RGB", "RGBA")
    assert p.estimated and p.encoded_bytes > 10_000


@pytest.mark.parametrize("name", ["Kleiber_by_Lukas_Baubkus.jpg", "plasma_Path_2560x1600.jpg"])
def test_estimate_is_close_for_real_photos(corpus: Path, tmp_path: Path, name: str) -> None:
    # Real photos, not synthetic noise: per-pixel noise averages out when scaled
    # down, so a scaled encode under-estimates noise-only images (documented).
    source = corpus / "photos" / name
    s = Settings()
    p = preview.make_preview(source, s)
    real = convert.convert_job(Job.one(0, source, tmp_path / "o.webp", s), s)
    assert p.estimated
    assert real.output_size == p.output_size
    assert 0.6 < p.encoded_bytes / real.bytes_out < 1.6


def test_small_outputs_are_encoded_exactly(twelve_mp: Path, tmp_path: Path) -> None:
    s = Settings(
        encode=EncodeOptions(format=OutputFormat.JPEG, quality=80),
        resize=ResizeOptions(mode=ResizeMode.FIT, width=1600, height=1600),
    )
    p = preview.make_preview(twelve_mp, s, max_side=512)
    real = convert.convert_job(Job.one(0, twelve_mp, tmp_path / "o.jpg", s), s)
    assert not p.estimated
    assert p.output_size == real.output_size == (1200, 1600)
    assert p.encoded_bytes == real.bytes_out
    assert max(p.after.size) == 512


def test_after_shows_the_settings(tmp_path: Path) -> None:
    src = tmp_path / "cut.png"
    img = Image.new("RGBA", (200, 100), (0, 0, 0, 0))
    img.paste((0, 200, 0, 255), (50, 25, 150, 75))
    img.save(src)
    jpeg = Settings(
        encode=EncodeOptions(format=OutputFormat.JPEG),
        resize=ResizeOptions(mode=ResizeMode.PAD, width=300, height=300),
    )
    p = preview.make_preview(src, jpeg, max_side=150)
    assert p.output_size == (300, 300)
    assert p.after.size == (150, 150) and p.after.mode == "RGB"
    assert p.after.getpixel((2, 2)) == (255, 255, 255)  # padded and flattened onto white
    assert p.before.mode == "RGBA" and p.before.size == (150, 75)


def test_cancel_stops_the_preview(twelve_mp: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(convert.Cancelled):
        preview.make_preview(twelve_mp, Settings(), cancel=token)


def test_bad_file_raises_conversion_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.jpg"
    bad.write_bytes(b"%PDF-1.4 not really")
    with pytest.raises(ConversionError, match="PDF"):
        preview.make_preview(bad, Settings())
