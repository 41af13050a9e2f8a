"""Edge refinement for AI cut-outs with a colour guided filter (numpy only).

Why not closed-form matting (pymatting): it brings numba and llvmlite (~200 MB in
the installed app, tens of seconds of JIT compiling on first use) and solves a
sparse system over every unknown pixel. A guided filter (He, Sun and Tang,
"Guided Image Filtering", 2010) is a handful of box filters: it makes the mask
follow the colour edges of the photo -- hair, fur, soft edges. On the corpus
photos it takes ~0.6x pymatting's time and lands ~40% of the way from the plain
mask to pymatting's matte (``benchmarks/bench_refine.py``, docs/performance.md).
Only the band where the mask is unsure is changed; pixels the model is sure
about stay fully opaque or fully clear.

``refine_alpha(rgb, mask)`` -> the refined alpha ("L", same size).
"""

from __future__ import annotations

import numpy as np
from PIL import Image

WORK_MAX_PIXELS = 2_000_000  # the filter runs on a copy at most this big
EPS = 1e-4  # regularisation: smaller follows colour edges more closely (and noise too)
SURE_FG, SURE_BG = 240, 10  # mask levels the model is sure about
BAND_FRACTION = 0.006  # erosion of the sure areas, as a share of the shorter side
# The filter's window radius, as a share of the shorter side. 1 %, not the former
# 2.5 %: against ground truth (benchmarks/bench_cutout.py) 2.5 % made the real
# photos' edges worse than no refinement; 1 % makes them and the composites better.
RADIUS_FRACTION = 0.01
FIT_MIN_SIDE = 256  # the filter's fit runs on a copy with a shorter side about this big


def box_mean(a: np.ndarray, r: int) -> np.ndarray:
    """Mean over a (2r+1)² window, the window cut at the borders.

    Separable running sums (float64, so millions of pixels add up exactly enough):
    down the columns, then along the rows -- four gathers, whatever ``r`` is.
    """
    h, w = a.shape
    y0 = np.clip(np.arange(h) - r, 0, h)
    y1 = np.clip(np.arange(h) + r + 1, 0, h)
    x0 = np.clip(np.arange(w) - r, 0, w)
    x1 = np.clip(np.arange(w) + r + 1, 0, w)
    down = np.zeros((h + 1, w), np.float64)
    np.cumsum(a, axis=0, dtype=np.float64, out=down[1:])
    rows = down[y1] - down[y0]
    across = np.zeros((h, w + 1), np.float64)
    np.cumsum(rows, axis=1, out=across[:, 1:])
    total = across[:, x1] - across[:, x0]
    count = (y1 - y0)[:, None] * (x1 - x0)[None, :]
    return (total / count).astype(np.float32)


def _resized(a: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A float image scaled to ``size`` (width, height) with bilinear filtering."""
    image = Image.fromarray(np.ascontiguousarray(a, np.float32), mode="F")
    return np.asarray(image.resize(size, Image.Resampling.BILINEAR), np.float32)


def guided_filter(
    guide: np.ndarray, p: np.ndarray, r: int, eps: float = EPS, subsample: int = 1
) -> np.ndarray:
    """Colour guided filter: ``p`` (HxW, 0..1) smoothed so its edges follow ``guide`` (HxWx3).

    Per window the output is a linear function of the guide's colour, ``a·I + b``,
    fitted to ``p`` by least squares with ``eps`` keeping ``a`` small in flat areas.
    ``subsample`` > 1: the fit runs on a copy that much smaller and its ``a``, ``b``
    are scaled back up ("fast guided filter", He and Sun 2015): the output keeps the
    full-size guide's detail at about 1/subsample² of the cost.
    """
    h, w = p.shape
    full = [guide[..., c] for c in range(3)]
    if subsample > 1:
        small_size = (max(1, w // subsample), max(1, h // subsample))
        channels = [_resized(ch, small_size) for ch in full]
        p = _resized(p, small_size)
        r = max(1, r // subsample)
    else:
        channels = full
    mean_i = [box_mean(ch, r) for ch in channels]
    mean_p = box_mean(p, r)
    cov_ip = [box_mean(ch * p, r) - m * mean_p for ch, m in zip(channels, mean_i, strict=True)]
    # The guide's 3x3 covariance per pixel (symmetric: six entries), eps on the diagonal.
    var = {}
    for i in range(3):
        for j in range(i, 3):
            var[i, j] = box_mean(channels[i] * channels[j], r) - mean_i[i] * mean_i[j]
            if i == j:
                var[i, j] += eps
    a = _solve_sym3(var, cov_ip)
    b = mean_p - sum(a[c] * mean_i[c] for c in range(3))
    mean_a = [box_mean(a[c], r) for c in range(3)]
    mean_b = box_mean(b, r)
    if subsample > 1:
        mean_a = [_resized(m, (w, h)) for m in mean_a]
        mean_b = _resized(mean_b, (w, h))
    out = sum(mean_a[c] * full[c] for c in range(3)) + mean_b
    return np.asarray(out, np.float32)


def _solve_sym3(m: dict[tuple[int, int], np.ndarray], v: list[np.ndarray]) -> list[np.ndarray]:
    """Solve M·x = v per pixel for a symmetric 3x3 M (explicit inverse by cofactors).

    Much faster than a batched ``np.linalg.solve`` on millions of tiny systems.
    """
    a, b, c = m[0, 0], m[0, 1], m[0, 2]
    d, e, f = m[1, 1], m[1, 2], m[2, 2]
    c00 = d * f - e * e
    c01 = c * e - b * f
    c02 = b * e - c * d
    c11 = a * f - c * c
    c12 = b * c - a * e
    c22 = a * d - b * b
    det = a * c00 + b * c01 + c * c02
    det = np.where(np.abs(det) < 1e-12, 1e-12, det)
    x0 = (c00 * v[0] + c01 * v[1] + c02 * v[2]) / det
    x1 = (c01 * v[0] + c11 * v[1] + c12 * v[2]) / det
    x2 = (c02 * v[0] + c12 * v[1] + c22 * v[2]) / det
    return [x0, x1, x2]


def _erode(binary: np.ndarray, r: int) -> np.ndarray:
    """True where the whole (2r+1)² window is True (a box erosion from :func:`box_mean`)."""
    return box_mean(binary.astype(np.float32), r) > 1.0 - 1e-4


def refine_alpha(rgb: Image.Image, mask: Image.Image) -> Image.Image:
    """The mask ("L") refined along the colour edges of ``rgb``; same size as ``mask``.

    Runs on a copy of at most :data:`WORK_MAX_PIXELS` and scales the alpha back up.
    """
    width, height = mask.size
    scale = min(1.0, (WORK_MAX_PIXELS / (width * height)) ** 0.5)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    guide = np.asarray(rgb.convert("RGB").resize(size, Image.Resampling.LANCZOS), np.float32)
    guide /= 255.0
    small = np.asarray(mask.resize(size, Image.Resampling.LANCZOS), np.float32) / 255.0
    band = max(2, round(min(size) * BAND_FRACTION))
    sure_fg = _erode(small >= SURE_FG / 255.0, band)
    sure_bg = _erode(small <= SURE_BG / 255.0, band)
    subsample = max(1, min(size) // FIT_MIN_SIDE)
    radius = max(2, round(min(size) * RADIUS_FRACTION))
    alpha = guided_filter(guide, small, r=radius, eps=EPS, subsample=subsample)
    alpha = np.clip(alpha, 0.0, 1.0)
    alpha[sure_fg] = 1.0
    alpha[sure_bg] = 0.0
    matte = Image.fromarray(np.round(alpha * 255).astype(np.uint8), mode="L")
    return matte if matte.size == mask.size else matte.resize(mask.size, Image.Resampling.LANCZOS)
