"""Test images made on the spot, and one way to say two pictures look alike.

Every maker is deterministic (a seed, never the clock), so a size or a pixel a test
measures is the same on every run and every machine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

if TYPE_CHECKING:
    from pathlib import Path

Pixels = Image.Image | np.ndarray


def pixel(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    """The channels of one pixel of a multi-band image (Pillow's ``getpixel`` types
    every mode's answer as one union)."""
    value = img.getpixel(xy)
    assert isinstance(value, tuple), f"{img.mode} has one band: use band_value()"
    return value


def band_value(img: Image.Image, xy: tuple[int, int]) -> float:
    """The value of one pixel of a one-band image (L, 1, I, F)."""
    value = img.getpixel(xy)
    assert isinstance(value, (int, float)), f"{img.mode} has several bands: use pixel()"
    return value


def solid(
    path: Path,
    size: tuple[int, int] = (64, 48),
    colour: tuple[int, int, int] = (200, 40, 40),
    fmt: str | None = None,
) -> Path:
    """A one-colour RGB image saved at ``path`` (folders made; the format from the
    suffix unless ``fmt`` is given); ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, format=fmt)
    return path


def noisy(path: Path, side: int) -> Path:
    """A ``side`` x ``side`` BMP of random pixels (seeded by ``side``): they compress
    badly, so encoding them takes real time; ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(side)
    Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(path, "BMP")
    return path


def gradient_photo(size: tuple[int, int], seed: int, noise: float) -> Image.Image:
    """Smooth gradients plus Gaussian ``noise``: compresses like a photo, not like flat
    colour."""
    w, h = size
    x = np.linspace(0, 1, w)[None, :]
    y = np.linspace(0, 1, h)[:, None]
    base = np.stack([200 * x + 0 * y, 180 * y + 0 * x, 120 * (x * y) + 40], axis=-1)
    grain = np.random.default_rng(seed).normal(0, noise, (h, w, 3))
    return Image.fromarray(np.clip(base + grain, 0, 255).astype(np.uint8), "RGB")


def grey_ramp(size: tuple[int, int]) -> Image.Image:
    """Pillow's linear grey gradient stretched to ``size``, as RGB."""
    return Image.linear_gradient("L").resize(size).convert("RGB")


def _array(img: Pixels) -> np.ndarray:
    """An image as RGB floats; an array as floats of its own shape."""
    if isinstance(img, Image.Image):
        img = img.convert("RGB")
    return np.asarray(img, dtype=np.float64)


def mean_abs_diff(a: Pixels, b: Pixels) -> float:
    """Mean absolute difference of two pictures of one size (images compared as RGB)."""
    x, y = _array(a), _array(b)
    assert x.shape == y.shape, (x.shape, y.shape)
    return float(np.abs(x - y).mean())


def assert_similar(
    a: Pixels,
    b: Pixels,
    *,
    mean_below: float | None = None,
    max_at_most: float | None = None,
    what: str = "",
) -> None:
    """``a`` and ``b`` differ on average by less than ``mean_below`` and nowhere by more
    than ``max_at_most`` (each bound only when given; images compared as RGB)."""
    assert mean_below is not None or max_at_most is not None, "no bound given"
    x, y = _array(a), _array(b)
    assert x.shape == y.shape, (x.shape, y.shape, what)
    diff = np.abs(x - y)
    if mean_below is not None:
        assert diff.mean() < mean_below, (float(diff.mean()), mean_below, what)
    if max_at_most is not None:
        assert diff.max() <= max_at_most, (float(diff.max()), max_at_most, what)
