"""Fast before/after previews for the GUI, built from the batch's own pipeline.

A preview runs :func:`convert.process_source` at preview scale: the JPEG decoder
decodes at 1/2..1/8 size (draft), and background removal, resizing and
compositing all work on a small image, so a 12 MP photo previews in a fraction of
a second. ``encoded_bytes`` comes from the real encoder with the real settings:
exact when the final output is small (<= ~2 MP, encoded at its final size),
otherwise an **estimate**: the preview-size result is encoded and the byte count
scaled by the pixel ratio. For real photos it lands within about +-30 % of the
real file; images dominated by per-pixel noise are under-estimated (noise averages
out when scaled down).

Memory: an AI preview loads onnxruntime and the model into the calling process
(the window's own). :data:`RELEASE_AFTER_SECONDS` after the last one, the session
is dropped and the freed heap handed back to the OS (``bg_ai.release``), so the
window does not keep the ~100-150 MB of an inference for the rest of its life; the
next AI preview loads the model again (~0.3 s).
"""

from __future__ import annotations

import io
import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from . import convert, encode, imageio
from .resize import plan_geometry
from .settings import BackgroundMode, ResizeMode, ResizeOptions, Settings

if TYPE_CHECKING:
    from pathlib import Path

    from .events import CancelToken

log = logging.getLogger(__name__)

EXACT_UP_TO_PIXELS = 2_400_000  # encode at final size up to about 2 MP (1800x1200 included)
RELEASE_AFTER_SECONDS = 5.0  # after the last AI preview, give the model's memory back

_release_timer: threading.Timer | None = None
_release_lock = threading.Lock()


@dataclass
class Preview:
    before: Image.Image  # upright, sRGB, RGB/RGBA, fits max_side
    after: Image.Image  # the processed result at preview scale
    encoded_bytes: int  # size of the real output (estimated when `estimated`)
    output_size: tuple[int, int]  # final output in pixels
    input_size: tuple[int, int]  # source in pixels (upright)
    estimated: bool = False  # True when encoded_bytes was scaled from a smaller encode


def make_preview(
    source: Path,
    settings: Settings,
    max_side: int = 1024,
    cancel: CancelToken | None = None,
) -> Preview:
    """Before/after images and the output's size in bytes for ``source``.

    Raises :class:`ConversionError` subclasses (bad file, too large...) like a
    conversion would, and :class:`convert.Cancelled` when ``cancel`` is set.
    """
    box = ResizeOptions(mode=ResizeMode.MAX_SIDE, size=max_side, upscale=False)

    def need(full: tuple[int, int]) -> tuple[int, int]:
        shown = plan_geometry(full, box).scaled
        after = convert.geometry_for(full, settings, max_side).scaled
        return (max(shown[0], after[0]), max(shown[1], after[1]))

    removal = settings.background_removal
    if removal.enabled and removal.mode == BackgroundMode.AI:
        _big_blocks_from_mmap()
    src = imageio.open_image(source, settings, need=need, all_frames=False)
    before = _display(src.frames[0], max_side)
    processed = convert.process_source(src, settings, max_side=max_side, cancel=cancel)
    after = processed.frames[0]
    encoded, estimated = _encoded_bytes(source, settings, processed, cancel)
    if removal.enabled and removal.mode == BackgroundMode.AI:
        release_model_later()
    return Preview(
        before=before,
        after=after,
        encoded_bytes=encoded,
        output_size=processed.final_size,
        input_size=src.input_size,
        estimated=estimated,
    )


def _big_blocks_from_mmap() -> None:
    """Once per process: image-sized buffers come from mmap, so they leave RSS when freed.

    The same glibc setting the AI worker uses (see ``pool_worker``); without it the
    window's heap grows to its largest preview and keeps that size.
    """
    global _mmap_set
    if not _mmap_set:
        _mmap_set = True
        from .pool_worker import return_big_blocks_to_the_os

        return_big_blocks_to_the_os()


_mmap_set = False


def release_model_later(seconds: float | None = None) -> None:
    """Drop the AI session ``seconds`` (default :data:`RELEASE_AFTER_SECONDS`) from now.

    Each AI preview moves the moment on, so a user stepping through photos keeps
    the model loaded; it goes once they stop.
    """
    global _release_timer
    delay = RELEASE_AFTER_SECONDS if seconds is None else seconds
    with _release_lock:
        if _release_timer is not None:
            _release_timer.cancel()
        _release_timer = threading.Timer(delay, _release_model)
        _release_timer.name = "release-ai-model"
        _release_timer.daemon = True
        _release_timer.start()


def _release_model() -> None:
    from .background import ai as bg_ai  # already imported by the preview that scheduled this

    bg_ai.release()
    log.debug("AI model released after the last preview")


def _display(img: Image.Image, max_side: int) -> Image.Image:
    shown = img.convert("RGBA" if img.mode in ("LA", "RGBA") else "RGB")
    if max(shown.size) > max_side:
        shown.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    return shown


def _encode_size(processed: encode.Processed, settings: Settings) -> int:
    buffer = io.BytesIO()
    encode.encode(processed, settings, buffer)
    return buffer.tell()


def _encoded_bytes(
    source: Path, settings: Settings, processed: encode.Processed, cancel: CancelToken | None
) -> tuple[int, bool]:
    final = processed.final_size
    shown = processed.output_size
    if shown == final:
        return _encode_size(processed, settings), False
    final_pixels = final[0] * final[1]
    if final_pixels <= EXACT_UP_TO_PIXELS:
        convert.check_cancel(cancel)
        full = convert.process_image(source, settings, cancel=cancel)
        return _encode_size(full, settings), False
    small = _encode_size(processed, settings)
    return round(small * final_pixels / (shown[0] * shown[1])), True
