"""Background removal: the engine's single entry point, :func:`remove_background`.

Two modes (``BackgroundRemoval.mode``): AI (:mod:`.ai`, U²-Net family models
through onnxruntime, bundled ``u2netp`` by default) and flat colour
(:mod:`.flat`, no model). Both produce one alpha mask at the image's size,
which is then applied (or returned with ``mask_only``) and optionally trimmed to
the subject. The engine resizes afterwards, so the mask is never round-tripped
through encoded bytes. Everything heavy is imported lazily.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from typing import TYPE_CHECKING

from ..errors import BackgroundRemovalError
from ..settings import BackgroundMode, BackgroundRemoval

if TYPE_CHECKING:
    from PIL import Image

log = logging.getLogger(__name__)

TRIM_THRESHOLD = 32  # alpha above this counts as subject when trimming (ignores faint haze)


def remove_background(
    img: Image.Image, options: BackgroundRemoval, *, in_place: bool = False
) -> Image.Image:
    """Cut the subject out of an upright 8-bit RGB/RGBA image.

    Returns RGBA of the same size (or an "L" mask with ``options.mask_only``),
    cropped to the subject plus ``options.trim_padding`` when ``options.trim``.
    Raises :class:`BackgroundRemovalError` with a one-line message on failure.
    ``in_place``: the caller will not use ``img`` again, so an AI cut-out may be
    made in it (one full-size image less at the peak).
    """
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    if options.mode == BackgroundMode.FLAT:
        from . import flat

        cutout, mask = flat.flat_alpha(img, options.flat_tolerance, options.fill_holes)
    else:
        cutout, mask = _ai_cutout(img, options, in_place)
    if mask.getbbox() is None:
        msg = "no subject found: the whole image was taken as background"
        raise BackgroundRemovalError(msg)
    result = mask if options.mask_only else cutout
    if options.trim:
        result = result.crop(trim_box(mask, options.trim_padding))
    return result


def preflight(options: BackgroundRemoval) -> None:
    """Check once, before a batch, that background removal can run at all.

    AI mode: the model is installed and intact (checksum) and onnxruntime is
    installed. Raises :class:`BackgroundRemovalError` with one line, so a missing
    or damaged model is one clear message for the batch instead of the same error
    on every file. Cheap: the checksum is remembered per process, and onnxruntime
    is only looked up, not loaded: loading it (and numpy) here would cost the
    runner's process ~35 MB for the whole batch, memory the worker's files need.
    An onnxruntime that is installed but cannot load (a missing system library)
    is reported by each file.
    """
    if not options.enabled or options.mode != BackgroundMode.AI:
        return
    from . import models

    models.verified_path(options.model)
    try:
        found = importlib.util.find_spec("onnxruntime") is not None
    except (ImportError, ValueError):  # a stub left in sys.modules by a broken install
        found = False
    if not found:
        msg = "AI background removal is unavailable: onnxruntime is not installed"
        raise BackgroundRemovalError(msg)


def _ai_cutout(
    img: Image.Image, options: BackgroundRemoval, in_place: bool
) -> tuple[Image.Image, Image.Image]:
    from . import ai, foreground

    mask = ai.predict_mask(img, options.model)
    if options.post_process:
        mask = ai.smooth_mask(mask)
    if options.alpha_matting:
        from .refine import refine_alpha

        mask = refine_alpha(img, mask)
    had_alpha = img.mode == "RGBA"
    cutout = foreground.cutout(img, mask, in_place=in_place)
    if had_alpha:  # the input's own transparency counts too
        mask = cutout.getchannel("A")
    return cutout, mask


def parse_padding(text: str) -> tuple[float, bool]:
    """``"12"`` -> (12, False) pixels; ``"5%"`` -> (5, True) percent of the subject's box."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", text or "0")
    if not match:
        msg = f"bad trim padding {text!r}: use pixels (12) or percent (5%)"
        raise BackgroundRemovalError(msg)
    return float(match.group(1)), bool(match.group(2))


def trim_box(mask: Image.Image, padding: str) -> tuple[int, int, int, int]:
    """Bounding box of the subject in ``mask`` plus padding, clamped to the image."""
    box = mask.point(lambda v: 255 if v > TRIM_THRESHOLD else 0).getbbox() or mask.getbbox()
    if box is None:
        msg = "nothing to trim to: the mask is empty"
        raise BackgroundRemovalError(msg)
    amount, percent = parse_padding(padding)
    left, top, right, bottom = box
    pad_x = (right - left) * amount / 100 if percent else amount
    pad_y = (bottom - top) * amount / 100 if percent else amount
    return (
        max(0, round(left - pad_x)),
        max(0, round(top - pad_y)),
        min(mask.width, round(right + pad_x)),
        min(mask.height, round(bottom + pad_y)),
    )
