"""The subject's own colours in a cut-out's semi-transparent edge (no halo of the old background).

A pixel on a soft edge (hair, fur, motion blur) is a mix ``I = a·F + (1 - a)·B`` of
the subject's colour ``F`` and the old background's ``B``. Keeping ``I`` as the
cut-out's colour leaves ``(1 - a)·B`` in it: placed on a new background the edge
shows a halo of the old one (blue sky in a lion's mane). This module estimates
``F`` with "approximate fast foreground colour estimation" (blur fusion; Forte and
Pitié, ICIP 2021): local means of the known foreground and background colours,
weighted by alpha, then each pixel's own colour corrected by what the mix model
leaves unexplained. Two passes: a wide one for the background's colour, a narrow
one for the detail.

Cost: the box filters run on small copies (the local means are smooth), and only
the edge pixels are computed at full resolution, a strip of rows at a time: on a
12 MP cut-out +0.22 s (load 3.6) to +0.49 s (load 6) on the shared 2-core machine,
where the plain cut-out took 0.04-0.12 s (docs/performance.md, "Cut-out quality").
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

# The local means are computed on small copies: they are smooth, and the narrow
# pass's radius (0.4 % of the shorter side) is still ~2 px at this size. Their float
# arrays are the estimate's main memory (~20 MB at 200,000 px, per file in flight);
# 500,000 px gave the same colour error on the lemur composites (4.16/255).
WIDE_PIXELS = 50_000
NARROW_PIXELS = 200_000
# Window radii as shares of the shorter side. The paper's boxes (90 and 6 px wide,
# on ~1000-2000 px images) would be ~3 % and ~0.2 %; on the lemur composites
# (benchmarks/bench_cutout.py) these wider ones left less colour error: 4.16/255
# against 4.24 with u2netp's alpha, 1.34 against 1.56 with the true alpha.
WIDE_FRACTION = 0.06
NARROW_FRACTION = 0.004
EPS = 1e-5
# The pixels whose colour is estimated. Nearly opaque ones (a model's slight doubt
# inside the subject: a third of a lion photo) and nearly clear ones (haze that adds
# at most 2 % of its colour) keep their own. On the lemur composites with their true
# alpha that raises the edge colour error from 1.20 to 1.34/255 (mean of 5); on a
# 12 MP lion with u2netp's alpha it leaves 7 % of the pixels to do instead of 43 %.
EDGE_LOW, EDGE_HIGH = 5, 239
STRIP_ROWS = 256  # the edge is rewritten a strip of rows at a time


def _box(a: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)² window (cut at the borders), each channel of an HxW or HxWxC array.

    numpy only (:func:`.refine.box_mean`): scipy would add ~25 MB to the window's
    process for its AI previews, memory it never gives back.
    """
    from .refine import box_mean

    if a.ndim == 2:
        return box_mean(a, r)
    return np.stack([box_mean(a[..., c], r) for c in range(a.shape[2])], axis=-1)


def _fuse(
    fg: np.ndarray, bg: np.ndarray, alpha: np.ndarray, r: int
) -> tuple[np.ndarray, np.ndarray]:
    """One blur-fusion pass: the local foreground and background means (both HxWx3)."""
    a = alpha[..., None]
    mean_a = _box(alpha, r)[..., None]
    mean_fg = _box(fg * a, r) / (mean_a + EPS)
    mean_bg = _box(bg * (1.0 - a), r) / (1.0 - mean_a + EPS)
    return mean_fg, mean_bg


def _correct(
    image: np.ndarray, mean_fg: np.ndarray, mean_bg: np.ndarray, alpha: np.ndarray
) -> np.ndarray:
    """``F = F̄ + a·(I − a·F̄ − (1 − a)·B̄)``: the mean moved by the pixel's own residual."""
    a = alpha[..., None]
    out: np.ndarray = np.clip(mean_fg + a * (image - a * mean_fg - (1.0 - a) * mean_bg), 0.0, 1.0)
    return out


def _shrunk(img: Image.Image, pixels: int) -> Image.Image:
    """A copy of ``img`` box-shrunk by a whole factor to at most ``pixels`` (``reduce``: the
    fastest). Always a copy: the cut-out may be made in ``img`` itself afterwards."""
    factor = math.ceil((img.width * img.height / pixels) ** 0.5)
    return img.reduce(factor) if factor > 1 else img.copy()


def _floats(values: Image.Image | np.ndarray) -> np.ndarray:
    """8-bit values as floats in 0..1."""
    out: np.ndarray = np.asarray(values, np.float32) / np.float32(255.0)
    return out


def _lookup(
    small: tuple[int, ...], shape: tuple[int, ...], ys: np.ndarray, xs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Indices into a ``small`` (height, width) copy of an image of ``shape`` at ``ys``, ``xs``.

    Nearest sample: what is looked up there are local means, smooth at that scale.
    """
    sy = np.minimum((ys * (small[0] / shape[0])).astype(np.intp), small[0] - 1)
    sx = np.minimum((xs * (small[1] / shape[1])).astype(np.intp), small[1] - 1)
    return sy, sx


def _local_means(small: Image.Image, small_alpha: Image.Image) -> tuple[np.ndarray, np.ndarray]:
    """The two passes' local foreground and background means (HxWx3, 0..1) on small copies.

    ``small``, ``small_alpha``: the photo (RGB) and the cut-out's alpha shrunk to at
    most :data:`NARROW_PIXELS`, the narrow pass's size; the wide pass shrinks them
    further, to :data:`WIDE_PIXELS`.
    """
    image = _floats(_shrunk(small, WIDE_PIXELS))
    a = _floats(_shrunk(small_alpha, WIDE_PIXELS))
    mean_fg, mean_bg = _fuse(image, image, a, max(1, round(min(a.shape) * WIDE_FRACTION)))
    image, a = _floats(small), _floats(small_alpha)
    rows, cols = np.arange(a.shape[0])[:, None], np.arange(a.shape[1])[None, :]
    grid = _lookup(mean_fg.shape[:2], a.shape, rows, cols)
    fg = _correct(image, mean_fg[grid], mean_bg[grid], a)
    return _fuse(fg, mean_bg[grid], a, max(1, round(min(a.shape) * NARROW_FRACTION)))


def cutout(img: Image.Image, alpha: Image.Image, *, in_place: bool = False) -> Image.Image:
    """The straight-alpha RGBA cut-out of ``img`` (RGB or RGBA) with ``alpha`` ("L", same size).

    The plain cut-out is made by Pillow (:func:`.ai.apply_mask`: an RGBA input's own
    alpha counts too, fully clear pixels are cleared); then the partly transparent
    pixels get the subject's own colour, a strip of :data:`STRIP_ROWS` rows at a time
    (so the extra memory stays small whatever the image's size).
    ``in_place``: ``img`` becomes the cut-out (one full-size image less at the peak).
    """
    from .ai import apply_mask

    had_alpha = img.mode == "RGBA"
    small = _shrunk(img.convert("RGB") if had_alpha else img, NARROW_PIXELS)
    out = apply_mask(img, alpha, in_place=in_place)
    # An input's own transparency counts too; otherwise ``alpha`` is the cut-out's own,
    # read a strip at a time: no full-size copy (1 byte a pixel: 20 MB at 20 MP, per file).
    edge_alpha = out.getchannel("A") if had_alpha else alpha
    small_alpha = _shrunk(edge_alpha, NARROW_PIXELS)
    means: tuple[np.ndarray, np.ndarray] | None = None
    full = (out.height, out.width)
    for top in range(0, out.height, STRIP_ROWS):
        strip = (0, top, out.width, min(top + STRIP_ROWS, out.height))
        a = np.asarray(edge_alpha.crop(strip))
        ys, xs = np.nonzero((a >= EDGE_LOW) & (a <= EDGE_HIGH))
        if not len(ys):
            continue
        if means is None:  # once, and only when there is an edge at all
            means = _local_means(small, small_alpha)
        mean_fg, mean_bg = means
        region = np.array(out.crop(strip))  # a writable copy of the strip
        pixels = region[ys, xs]
        at = _lookup(mean_fg.shape[:2], full, ys + top, xs)
        f = _correct(_floats(pixels[:, :3]), mean_fg[at], mean_bg[at], _floats(pixels[:, 3]))
        region[ys, xs, :3] = np.round(f * 255.0).astype(np.uint8)
        out.paste(Image.fromarray(region, mode="RGBA"), strip[:2])
    return out
