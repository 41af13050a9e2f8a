"""One :class:`Job` -> one :class:`JobResult`; and the pipeline pieces behind it.

Pipeline: safe open (limits, orientation, colour, 16-bit scaling; :mod:`.imageio`)
-> background removal (only when enabled) -> resize (:mod:`.resize`) -> composite
onto the background colour (JPEG: white when none is set) -> encode -> atomic write.

:func:`process_image` and :func:`encode` are public so the preview and the GUI
reuse exactly what a batch does. :func:`convert_job` never raises for a per-file
problem: a :class:`ConversionError` becomes a failed result with its one-line
message; anything else is a bug, reported as ``internal error: ...`` with the
traceback in ``details``.
"""

from __future__ import annotations

import logging
import time
import traceback
from pathlib import Path

from PIL import Image

from . import formats, imageio
from .atomic import atomic_write
from .encode import Processed, encode
from .errors import ConversionError, OutputError
from .events import CancelToken
from .jobs import Job, JobResult, file_size
from .resize import Geometry, apply_geometry, plan_geometry
from .settings import Color, Settings

log = logging.getLogger(__name__)


class Cancelled(ConversionError):
    """The caller's cancel token was set while an image was being processed."""

    def __init__(self) -> None:
        super().__init__("cancelled")


def check_cancel(cancel: CancelToken | None) -> None:
    """Raise :class:`Cancelled` when ``cancel`` is set."""
    if cancel is not None and cancel.cancelled:
        raise Cancelled()


def process_image(
    source: Path,
    settings: Settings,
    *,
    max_side: int | None = None,
    cancel: CancelToken | None = None,
) -> Processed:
    """Run the pipeline up to (not including) encoding.

    ``max_side`` shrinks the *final* geometry to fit a preview box, so every step
    (including background removal) runs at preview scale.
    """
    spec = formats.spec_for(settings.encode.format)
    animated = settings.animated and spec.animated

    def need(full: tuple[int, int]) -> tuple[int, int]:
        return geometry_for(full, settings, max_side).scaled

    src = imageio.open_image(source, settings, need=need, all_frames=animated)
    return process_source(src, settings, max_side=max_side, cancel=cancel, consume=True)


def process_source(
    src: imageio.Source,
    settings: Settings,
    *,
    max_side: int | None = None,
    cancel: CancelToken | None = None,
    consume: bool = False,
) -> Processed:
    """The pipeline after :func:`imageio.open_image`: background, resize, composite.

    ``consume``: ``src`` is not used again (a batch, not a cached preview), so its
    decoded frames are let go as soon as the cut-out exists, not after encoding.
    """
    check_cancel(cancel)
    spec = formats.spec_for(settings.encode.format)
    frames = src.frames
    decoded_size = frames[0].size
    if settings.background_removal.enabled:
        if consume:  # nothing else holds the decoded frames: cut out in them
            src.frames = []
        frames = [_remove_background(f, settings, in_place=consume) for f in frames]
        check_cancel(cancel)
    logical = _logical_size(frames[0].size, decoded_size, src.input_size)
    geo = geometry_for(logical, settings, max_side)
    fill = _pad_fill(settings, spec)
    out = [_finish(apply_geometry(f, geo, fill), spec, settings.background) for f in frames]
    return Processed(
        frames=out,
        input_size=src.input_size,
        durations=src.durations,
        loop=src.loop,
        meta=src.meta,
        warnings=src.warnings,
        source_format=src.format,
        final_size=geometry_for(logical, settings, None).final,
    )


def geometry_for(full: tuple[int, int], settings: Settings, max_side: int | None) -> Geometry:
    """Resize geometry for a ``full``-sized upright image, shrunk to ``max_side`` if given."""
    geo = plan_geometry(full, settings.resize)
    if max_side:
        geo = geo.shrunk(min(1.0, max_side / max(geo.final)))
    return geo


def _logical_size(
    size: tuple[int, int], decoded: tuple[int, int], full: tuple[int, int]
) -> tuple[int, int]:
    """Size ``size`` stands for at full resolution (a JPEG draft decodes less than ``full``)."""
    if decoded == full:
        return size
    fx, fy = full[0] / decoded[0], full[1] / decoded[1]
    return (max(1, round(size[0] * fx)), max(1, round(size[1] * fy)))


def _remove_background(img: Image.Image, settings: Settings, *, in_place: bool) -> Image.Image:
    from . import background  # lazy: pulls in onnxruntime only when asked

    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if img.mode == "LA" else "RGB")
        in_place = True  # a copy of our own
    return background.remove_background(img, settings.background_removal, in_place=in_place)


def _pad_fill(settings: Settings, spec: formats.FormatSpec) -> Color | None:
    if settings.background is not None or spec.alpha:
        return settings.background
    return (255, 255, 255)


def _finish(img: Image.Image, spec: formats.FormatSpec, background: Color | None) -> Image.Image:
    """Flatten alpha where needed, then the encoder's mode."""
    if img.mode in ("LA", "RGBA"):
        colour = background if background is not None else (None if spec.alpha else (255,) * 3)
        if colour is not None:
            img = flatten(img, colour)
    img = formats.normalise_mode(img, spec)
    # What gets written is decided by Processed.meta alone: some writers (PNG, AVIF)
    # would otherwise pick up a profile or text left in the decoder's info.
    img.info = {}
    return img


def flatten(img: Image.Image, colour: Color) -> Image.Image:
    """Composite straight-alpha ``img`` over a solid colour -> RGB (no dark fringes)."""
    rgba = img.convert("RGBA")
    base = Image.new("RGBA", rgba.size, (*colour, 255))
    return Image.alpha_composite(base, rgba).convert("RGB")


def convert_job(job: Job, settings: Settings) -> JobResult:
    """Convert one file; never raises for per-file problems (see module docstring)."""
    start = time.perf_counter()
    base = JobResult(
        source=job.source,
        output=None,
        status="failed",
        index=job.index,
        bytes_in=file_size(job.source),  # failed files are reported with their size too
    )
    if job.skip_reason:
        return base.replace(status="skipped", error=job.skip_reason, output=job.output)
    if job.error:
        return base.replace(error=job.error)
    try:
        result = _run(job, settings, base)
    except ConversionError as exc:
        result = base.replace(error=str(exc))
    except MemoryError:
        result = base.replace(error="not enough memory to convert this image")
    except Exception as exc:  # a bug: report it, keep the batch going
        log.exception("internal error converting %s", job.source)
        details = traceback.format_exc()
        result = base.replace(error=f"internal error: {type(exc).__name__}: {exc}", details=details)
    return result.replace(seconds=time.perf_counter() - start)


def _run(job: Job, settings: Settings, base: JobResult) -> JobResult:
    if _same_file(job.source, job.output):
        raise OutputError("the output would overwrite the source file")
    processed = process_image(job.source, settings)
    base = base.replace(input_size=processed.input_size)
    _write(job.output, processed, settings)
    for warning in processed.warnings:
        log.warning("%s: %s", job.source.name, warning)
    return base.replace(
        status="converted",
        output=job.output,
        bytes_out=file_size(job.output),
        output_size=processed.output_size,
        details="; ".join(processed.warnings) or None,
    )


def _write(target: Path, processed: Processed, settings: Settings) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as fh:
            encode(processed, settings, fh)
    except OSError as exc:
        raise OutputError(f"cannot write {target.name}: {exc.strerror or exc}") from exc


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False
