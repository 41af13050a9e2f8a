"""Flat-colour background removal (no model): logos, scans, studio shots.

1. The background colour is the median of the image's one-pixel border; if most
   of the border is not that colour there is no flat background and we say so
   (a file silently saved with its background is the worst outcome).
2. Pixels within ``tolerance`` (largest channel difference) of it that are connected
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
from PIL import Image, ImageChops

from ..errors import BackgroundRemovalError

log = logging.getLogger(__name__)

MIN_BORDER_SHARE = 0.5  # at least half the border must be the background colour
EDGE_BAND = 2  # pixels beside the removed region that may be partly transparent
MIN_HOLE_PIXELS = 16  # smaller enclosed specks are kept (highlights, not holes)


def border_colour(rgb: np.ndarray, tolerance: int) -> np.ndarray:
    """Median colour of the one-pixel frame; raises if the frame is not mostly that colour."""
    frame = np.concatenate([rgb[0], rgb[-1], rgb[1:-1, 0], rgb[1:-1, -1]]).astype(np.int16)
    colour: np.ndarray = np.median(frame, axis=0).round().astype(np.int16)
    share = float(np.mean(np.abs(frame - colour).max(axis=1) <= max(tolerance, 1)))
    if share < MIN_BORDER_SHARE:
        msg = (
            f"no flat background: only {share:.0%} of the border is one colour "
            "(raise --tolerance or use --bg-mode ai)"
        )
        raise BackgroundRemovalError(msg)
    return colour


def colour_distance(img: Image.Image, colour: np.ndarray) -> np.ndarray:
    """Per-pixel largest channel difference from ``colour`` (uint8), computed by Pillow in C.

    The largest channel difference, not the Euclidean one: it is what a tolerance
    means in image editors, it scales linearly with coverage on a blended edge
    (which the alpha ramp relies on), and it is ~10x cheaper on a 12 MP image.
    """
    solid = Image.new("RGB", img.size, tuple(int(c) for c in colour))
    r, g, b = ImageChops.difference(img, solid).split()
    return np.asarray(ImageChops.lighter(ImageChops.lighter(r, g), b))


def flat_alpha(
    img: Image.Image, tolerance: int, fill_holes: bool
) -> tuple[Image.Image, Image.Image]:
    """Return (RGBA cut-out, alpha mask) for an RGB/RGBA image on a flat background."""
    from scipy import ndimage

    rgb_img = img.convert("RGB") if img.mode != "RGB" else img
    rgb = np.asarray(rgb_img)
    bg = border_colour(rgb, tolerance)
    dist = colour_distance(rgb_img, bg)
    labels, count = ndimage.label(dist <= tolerance)
    edge = np.unique(np.concatenate([labels[0], labels[-1], labels[:, 0], labels[:, -1]]))
    drop = np.zeros(count + 1, bool)  # per label: is it background?
    drop[edge] = True
    if fill_holes and count:
        drop |= np.bincount(labels.ravel(), minlength=count + 1) >= MIN_HOLE_PIXELS
    drop[0] = False  # label 0 = not background-coloured at all
    removed = drop[labels]
    alpha = _edge_alpha(dist, removed)
    colours = _unmix(rgb, alpha, bg)
    if img.mode == "RGBA":
        alpha = np.minimum(alpha, np.asarray(img.getchannel("A")))
    colours[alpha == 0] = 0  # the removed background is really gone (and compresses well)
    out = Image.fromarray(np.dstack([colours, alpha]), mode="RGBA")
    return out, Image.fromarray(alpha, mode="L")


def _edge_alpha(dist: np.ndarray, removed: np.ndarray) -> np.ndarray:
    """0 in the removed region, a coverage ramp in the band beside it, 255 elsewhere."""
    from scipy import ndimage

    band = ndimage.binary_dilation(removed, iterations=EDGE_BAND) & ~removed
    # Distance of the solid subject colour nearby: the largest distance in a 5x5 window.
    solid = ndimage.maximum_filter(np.where(removed, 0, dist), size=2 * EDGE_BAND + 1)
    alpha = np.where(removed, 0, 255).astype(np.uint8)
    ys, xs = np.nonzero(band)
    # c = a*F + (1-a)*B  =>  |c - B| = a * |F - B|, channel by channel
    ramp = dist[ys, xs] / np.maximum(solid[ys, xs], 1).astype(np.float32)
    alpha[ys, xs] = np.round(np.clip(ramp, 0.0, 1.0) * 255).astype(np.uint8)
    return alpha


def _unmix(rgb: np.ndarray, alpha: np.ndarray, bg: np.ndarray) -> np.ndarray:
    """Take the background's share out of partly transparent pixels (no halo)."""
    out: np.ndarray = rgb.copy()
    ys, xs = np.nonzero((alpha > 0) & (alpha < 255))
    if len(ys):
        a = alpha[ys, xs, None].astype(np.float32) / 255.0
        fg = (rgb[ys, xs].astype(np.float32) - (1.0 - a) * bg) / a
        out[ys, xs] = np.clip(np.round(fg), 0, 255).astype(np.uint8)
    return out
