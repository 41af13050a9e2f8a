"""Flat-colour background removal (no model): logos, scans, studio shots.

1. The background colour is the median of the image's one-pixel border; if most
   of the border is not that colour there is no flat background and we say so
   (a file silently saved with its background is the worst outcome).
2. Pixels within ``tolerance`` (Euclidean RGB distance) of it that are connected
   to the border are background (scipy.ndimage.label: a few ms per megapixel,
   measured against PIL's ImageDraw.floodfill in docs/performance.md). With
   ``fill_holes`` enclosed regions of that colour go too (the inside of an "O").
3. Anti-aliased edges: a pixel next to the removed region is a blend of subject
   and background, ``c = a*F + (1-a)*B``. Its coverage ``a`` is estimated as its
   distance from B over the distance of the nearest solid subject colour, and the
   background's share is taken back out of its colour, so the edge composites
   cleanly onto any new background without a halo.
"""

from __future__ import annotations

import logging

import numpy as np
from PIL import Image

from .errors import BackgroundRemovalError

log = logging.getLogger(__name__)

MIN_BORDER_SHARE = 0.5  # at least half the border must be the background colour
EDGE_BAND = 2  # pixels beside the removed region that may be partly transparent
MIN_HOLE_PIXELS = 16  # smaller enclosed specks are kept (highlights, not holes)


def border_colour(rgb: np.ndarray, tolerance: int) -> np.ndarray:
    """Median colour of the one-pixel frame; raises if the frame is not mostly that colour."""
    frame = np.concatenate([rgb[0], rgb[-1], rgb[1:-1, 0], rgb[1:-1, -1]]).astype(np.float32)
    colour = np.median(frame, axis=0)
    share = float(np.mean(np.linalg.norm(frame - colour, axis=1) <= max(tolerance, 1)))
    if share < MIN_BORDER_SHARE:
        raise BackgroundRemovalError(
            f"no flat background: only {share:.0%} of the border is one colour "
            "(raise --tolerance or use --bg-mode ai)"
        )
    return colour


def flat_alpha(
    img: Image.Image, tolerance: int, fill_holes: bool
) -> tuple[Image.Image, Image.Image]:
    """Return (RGBA cut-out, alpha mask) for an RGB/RGBA image on a flat background."""
    from scipy import ndimage

    rgb = np.asarray(img.convert("RGB") if img.mode != "RGB" else img)
    bg = border_colour(rgb, tolerance)
    dist = np.linalg.norm(rgb.astype(np.float32) - bg, axis=2)
    near = dist <= tolerance
    labels, count = ndimage.label(near)
    edge_labels = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    removed = np.isin(labels, edge_labels[edge_labels > 0])
    if fill_holes and count:
        sizes = np.bincount(labels.ravel(), minlength=count + 1)
        holes = (sizes >= MIN_HOLE_PIXELS) & ~np.isin(np.arange(count + 1), edge_labels)
        holes[0] = False
        removed |= holes[labels]
    alpha = _edge_alpha(dist, removed)
    colours = _unmix(rgb, alpha, bg)
    colours[alpha == 0] = 0  # the removed background is really gone (and compresses well)
    if img.mode == "RGBA":
        alpha = np.minimum(alpha, np.asarray(img.getchannel("A")))
    mask = Image.fromarray(alpha, mode="L")
    out = Image.fromarray(colours, mode="RGB")
    out.putalpha(mask)
    return out, mask


def _edge_alpha(dist: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """0 in the removed region, a coverage ramp in the band beside it, 255 elsewhere."""
    from scipy import ndimage

    band = ndimage.binary_dilation(removed, iterations=EDGE_BAND) & ~removed
    # Distance of the solid subject colour nearby: the largest distance in a 5x5 window.
    solid = ndimage.maximum_filter(np.where(band | ~removed, dist, 0), size=2 * EDGE_BAND + 1)
    alpha = np.full(dist.shape, 255, np.uint8)
    alpha[removed] = 0
    ys, xs = np.nonzero(band)
    # c = a*F + (1-a)*B  =>  |c - B| = a * |F - B|
    ramp = np.clip(dist[ys, xs] / np.maximum(solid[ys, xs], 1.0), 0.0, 1.0)
    alpha[ys, xs] = np.round(ramp * 255).astype(np.uint8)
    return alpha


def _unmix(rgb: np.ndarray, alpha: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Take the background's share out of partly transparent pixels (no halo)."""
    out = rgb.copy()
    ys, xs = np.nonzero((alpha > 0) & (alpha < 255))
    if len(ys):
        a = alpha[ys, xs, None].astype(np.float32) / 255.0
        fg = (rgb[ys, xs].astype(np.float32) - (1.0 - a) * bg) / a
        out[ys, xs] = np.clip(np.round(fg), 0, 255).astype(np.uint8)
    return out
