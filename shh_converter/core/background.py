"""Background removal: the engine's single entry point, :func:`remove_background`.

Two modes (``BackgroundRemoval.mode``): AI (:mod:`.bg_ai`, U²-Net family models
through onnxruntime, bundled ``u2netp`` by default) and flat colour
(:mod:`.bg_flat`, no model). Both produce one alpha mask at the image's size,
which is then applied (or returned with ``mask_only``) and optionally trimmed to
the subject. The engine resizes afterwards, so the mask is never round-tripped
through encoded bytes. Everything heavy is imported lazily.
"""

from __future__ import annotations

import logging
import os
import re

from PIL import Image

from .errors import BackgroundRemovalError
from .settings import BackgroundMode, BackgroundRemoval

log = logging.getLogger(__name__)

TRIM_THRESHOLD = 32  # alpha above this counts as subject when trimming (ignores faint haze)
# Memory of one AI worker, measured in docs/performance.md (bench_rembg.py):
# interpreter + numpy/Pillow/onnxruntime + the u2netp session, the scratch memory
# of one inference (freed after each run: the CPU arena is off), and per pixel the
# decoded RGB, the RGBA cut-out and the mask.
AI_WORKER_BASE_BYTES = 100 * 2**20
AI_INFERENCE_BYTES = 200 * 2**20
AI_BYTES_PER_PIXEL = 9


def remove_background(img: Image.Image, options: BackgroundRemoval) -> Image.Image:
    """Cut the subject out of an upright 8-bit RGB/RGBA image.

    Returns RGBA of the same size (or an "L" mask with ``options.mask_only``),
    cropped to the subject plus ``options.trim_padding`` when ``options.trim``.
    Raises :class:`BackgroundRemovalError` with a one-line message on failure.
    """
    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if "A" in img.getbands() else "RGB")
    if options.mode == BackgroundMode.FLAT:
        from . import bg_flat

        cutout, mask = bg_flat.flat_alpha(img, options.flat_tolerance, options.fill_holes)
    else:
        cutout, mask = _ai_cutout(img, options)
    if mask.getbbox() is None:
        raise BackgroundRemovalError("no subject found: the whole image was taken as background")
    result = mask if options.mask_only else cutout
    if options.trim:
        result = result.crop(trim_box(mask, options.trim_padding))
    return result


def preflight(options: BackgroundRemoval) -> None:
    """Check once, before a batch, that background removal can run at all.

    AI mode: the model is installed and intact (checksum) and onnxruntime loads.
    Raises :class:`BackgroundRemovalError` with one line, so a missing or damaged
    model is one clear message for the batch instead of the same error on every
    file. Cheap: the checksum is remembered per process; no session is made here.
    """
    if not options.enabled or options.mode != BackgroundMode.AI:
        return
    from . import bg_ai, models

    models.verified_path(options.model)
    bg_ai.import_onnxruntime()


def _ai_cutout(img: Image.Image, options: BackgroundRemoval) -> tuple[Image.Image, Image.Image]:
    from . import bg_ai

    mask = bg_ai.predict_mask(img, options.model)
    if options.post_process:
        mask = bg_ai.smooth_mask(mask)
    if options.alpha_matting:
        cutout = bg_ai.alpha_matting(img, mask)
        return cutout, cutout.getchannel("A")
    cutout = bg_ai.apply_mask(img, mask)
    if img.mode == "RGBA":  # the input's own transparency counts too
        mask = cutout.getchannel("A")
    return cutout, mask


def parse_padding(text: str) -> tuple[float, bool]:
    """``"12"`` -> (12, False) pixels; ``"5%"`` -> (5, True) percent of the subject's box."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", text or "0")
    if not match:
        raise BackgroundRemovalError(f"bad trim padding {text!r}: use pixels (12) or percent (5%)")
    return float(match.group(1)), bool(match.group(2))


def trim_box(mask: Image.Image, padding: str) -> tuple[int, int, int, int]:
    """Bounding box of the subject in ``mask`` plus padding, clamped to the image."""
    box = mask.point(lambda v: 255 if v > TRIM_THRESHOLD else 0).getbbox() or mask.getbbox()
    if box is None:
        raise BackgroundRemovalError("nothing to trim to: the mask is empty")
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


def recommended_workers(
    mode: BackgroundMode = BackgroundMode.AI,
    cpu_count: int | None = None,
    available_bytes: int | None = None,
    megapixels: float = 12.0,
) -> tuple[int, int]:
    """(worker processes, onnxruntime threads per worker) for a background-removal batch.

    AI: one worker per core while each worker's share (:data:`AI_WORKER_BASE_BYTES`
    + :data:`AI_INFERENCE_BYTES` + pixels of the largest photo) fits
    ``available_bytes`` (the caller passes the smaller of free memory and the user's
    memory budget); fewer otherwise, and the cores left over become inference
    threads, so a single worker still uses every core. Measured on 2 cores
    (docs/performance.md): 2 workers x 1 thread ~1.5x rembg's throughput at ~710 MB,
    1 worker x 2 threads ~1.1x at ~430 MB. Flat mode needs no model: one per core.
    """
    cores = max(1, cpu_count or os.cpu_count() or 1)
    if mode == BackgroundMode.FLAT:
        return cores, 1
    workers = cores
    if available_bytes is not None:
        per_worker = AI_WORKER_BASE_BYTES + AI_INFERENCE_BYTES
        per_worker += int(megapixels * 1e6 * AI_BYTES_PER_PIXEL)
        workers = max(1, min(cores, available_bytes // per_worker))
    return workers, max(1, cores // workers)
