"""One :class:`Job` -> one :class:`JobResult`; and the pipeline pieces behind it.

Pipeline, per input: safe open (limits, orientation, colour, 16-bit scaling;
:mod:`.imageio`), decoded once at the largest size any output needs ->
background removal (once, only when enabled) -> then for each output: resize
(:mod:`.resize`) -> composite onto its background colour (JPEG: white when none is
set) -> encode (:mod:`.encode`; a target size searched by :mod:`.sizing`) ->
atomic write. The web manifest of a favicon set is written last.

:func:`process_image` is public so the preview and the GUI reuse exactly what a
batch does. :func:`convert_job` never raises for a per-file problem: a
:class:`ConversionError` becomes a failed result with its one-line message (for
the input when decoding failed, for that output alone when only it failed);
anything else is a bug, reported as ``internal error: ...`` with the traceback in
``details``.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from . import formats, imageio, manifest, sizing
from .atomic import atomic_write
from .encode import Processed
from .errors import ConversionError, OutputError
from .jobs import (
    Job,
    JobResult,
    OutputResult,
    Target,
    failed_result,
    file_size,
    settled_result,
    skipped_output,
    summarise,
)
from .resize import Geometry, apply_geometry, plan_geometry
from .settings import BackgroundMode, Color, IfBigger, Settings

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from .events import CancelToken

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
    """Run the pipeline for one output up to (not including) encoding.

    ``max_side`` shrinks the *final* geometry to fit a preview box, so every step
    (including background removal) runs at preview scale.
    """
    prepared = prepare(source, [settings], max_side=max_side, cancel=cancel)
    return render(prepared, settings, max_side=max_side)


@dataclass
class Prepared:
    """An input decoded once (and cut out), ready to be rendered for each output."""

    src: imageio.Source  # metadata, durations; its frames are let go (see cut_out)
    frames: list[Image.Image]  # upright, colour-managed, background removed when asked
    logical: tuple[int, int]  # what frames[0] stands for at full resolution


def prepare(
    source: Path,
    outputs: Sequence[Settings],
    *,
    max_side: int | None = None,
    cancel: CancelToken | None = None,
) -> Prepared:
    """Open ``source`` once for all ``outputs``: decoded at the largest size they need."""
    shared = outputs[0]
    animated = shared.animated and any(formats.spec_for(o.encode.format).animated for o in outputs)

    def need(full: tuple[int, int]) -> tuple[int, int]:
        sizes = [geometry_for(full, o, max_side).scaled for o in outputs]
        return (max(s[0] for s in sizes), max(s[1] for s in sizes))

    src = imageio.open_image(source, shared, need=need, all_frames=animated)
    return cut_out(src, shared, cancel=cancel, consume=True)


def process_source(
    src: imageio.Source,
    settings: Settings,
    *,
    max_side: int | None = None,
    cancel: CancelToken | None = None,
    consume: bool = False,
) -> Processed:
    """The one-output pipeline after :func:`imageio.open_image` (the preview's cached source)."""
    prepared = cut_out(src, settings, cancel=cancel, consume=consume)
    return render(prepared, settings, max_side=max_side)


def cut_out(
    src: imageio.Source, shared: Settings, *, cancel: CancelToken | None, consume: bool
) -> Prepared:
    """Background removal, once per input (when enabled).

    ``consume``: ``src`` is not used again (a batch, not a cached preview), so its
    decoded frames are let go as soon as the cut-out exists, not after encoding.
    """
    check_cancel(cancel)
    frames = src.frames
    decoded_size = frames[0].size
    if shared.background_removal.enabled:
        if consume:  # nothing else holds the decoded frames: cut out in them
            src.frames = []
        frames = [_remove_background(f, shared, in_place=consume) for f in frames]
        check_cancel(cancel)
    return Prepared(src, frames, _logical_size(frames[0].size, decoded_size, src.input_size))


def render(
    prepared: Prepared, settings: Settings, *, max_side: int | None = None, factor: float = 1.0
) -> Processed:
    """One output from a prepared input: resize, composite, the encoder's mode.

    ``factor`` (< 1) makes it smaller still (a target size that allows downscaling).
    """
    spec = formats.spec_for(settings.encode.format)
    src, frames = prepared.src, prepared.frames
    warnings = list(src.warnings)
    if len(frames) > 1 and not (spec.animated and settings.animated):
        frames = frames[:1]
        warnings.append(f"{spec.pil_name} cannot hold animation: only the first frame was kept")
    geo = geometry_for(prepared.logical, settings, max_side).shrunk(factor)
    frames = _as_decoded_for(prepared, frames, geo.scaled)
    fill = _pad_fill(settings, spec)
    out = [
        _finish(apply_geometry(f, geo, fill, settings.resize), spec, settings.background)
        for f in frames
    ]
    return Processed(
        frames=out,
        input_size=src.input_size,
        durations=src.durations[: len(out)],
        loop=src.loop,
        meta=src.meta,
        warnings=warnings,
        source_format=src.format,
        final_size=geometry_for(prepared.logical, settings, None).final,
        source_path=src.path,
    )


def _as_decoded_for(
    prepared: Prepared, frames: list[Image.Image], need: tuple[int, int]
) -> list[Image.Image]:
    """The frames as a JPEG decode for this output alone would have made them.

    A JPEG is decoded once at the scale its largest output needs; an output that
    alone would have been decoded at 1/2, 1/4 or 1/8 (libjpeg's DCT scaling, the
    same rule as Pillow's ``draft``) first gets the same power-of-two box
    reduction, so it matches its own separate run (and Lanczos has less to do).
    """
    decoded = frames[0].size
    full = prepared.src.input_size
    if prepared.src.format != "JPEG" or prepared.logical != full or need[0] < 1 or need[1] < 1:
        return frames  # not a JPEG, or trimmed: no draft to imitate
    ratio = min(full[0] // need[0], full[1] // need[1])
    alone = next((s for s in (8, 4, 2) if ratio >= s), 1)
    done = max(1, round(full[0] / decoded[0]))
    step = alone // done
    if step < 2:
        return frames
    return [f.reduce(step) for f in frames]


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
    from .background import removal  # lazy: pulls in onnxruntime only when asked

    if img.mode not in ("RGB", "RGBA"):
        img = img.convert("RGBA" if img.mode == "LA" else "RGB")
        in_place = True  # a copy of our own
    return removal.remove_background(img, settings.background_removal, in_place=in_place)


def _ai_note(targets: Sequence[Target]) -> str | None:
    """Why this input's AI cut-out ran on the CPU against the setting (None: it did not)."""
    options = targets[0].settings.background_removal if targets else None
    if options is None or not options.enabled or options.mode != BackgroundMode.AI:
        return None
    from .background.ai import outcome  # loaded already: the cut-out was made

    got = outcome(options.model)
    return got.note if got else None


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
    """Convert one input into its outputs; never raises for per-file problems.

    ``settings``: the batch's shared settings (each output's own are in ``job.targets``).
    """
    start = time.perf_counter()
    base = JobResult(
        source=job.source,
        output=None,
        status="failed",
        index=job.index,
        bytes_in=file_size(job.source),  # failed files are reported with their size too
    )
    if job.error or job.skip_reason:
        return settled_result(job)
    try:
        result = _run(job, base)
    except ConversionError as exc:
        result = failed_result(job, str(exc))
    except MemoryError:
        result = failed_result(job, "not enough memory to convert this image")
    except Exception as exc:  # a bug: report it, keep the batch going
        log.exception("internal error converting %s", job.source)
        result = failed_result(job, f"internal error: {type(exc).__name__}: {exc}")
        result = result.replace(details=traceback.format_exc())
    return result.replace(seconds=time.perf_counter() - start)


def _run(job: Job, base: JobResult) -> JobResult:
    for target in job.to_make:
        if _same_file(job.source, target.path):
            msg = f"{target.path.name} would overwrite the source file"
            raise OutputError(msg)
    images = [t for t in job.to_make if t.kind == "image"]
    prepared = prepare(job.source, [t.settings for t in images]) if images else None
    if prepared is not None:
        base = base.replace(input_size=prepared.src.input_size, ai_note=_ai_note(images))
    results: list[OutputResult] = []
    warnings: list[str] = []
    tracebacks: list[str] = []
    for target in job.targets:
        if target.skip_reason:
            results.append(skipped_output(target))
        elif target.kind == "manifest":
            results.append(_manifest(job, target))
        else:
            assert prepared is not None
            results.append(_output(job.source, prepared, target, warnings, tracebacks))
    warnings = list(dict.fromkeys(warnings))
    for warning in warnings:
        log.warning("%s: %s", job.source.name, warning)
    details = "\n".join(tracebacks) if tracebacks else "; ".join(warnings) or None
    return summarise(base.replace(details=details), results)


def _output(
    source: Path,
    prepared: Prepared,
    target: Target,
    warnings: list[str],
    tracebacks: list[str],
) -> OutputResult:
    """One output; a failure here (even a bug) fails this output alone."""
    name = target.path.name
    try:
        made = _make(source, prepared, target, warnings)
        note = "; ".join(n for n in (target.note, made.note) if n) or None
        return dataclasses.replace(made, name=name, note=note)
    except ConversionError as exc:
        return OutputResult(None, "failed", str(exc), name=name)
    except MemoryError:
        return OutputResult(None, "failed", "not enough memory to make this output", name=name)
    except Exception as exc:  # a bug: report it (with the traceback in the log), go on
        log.exception("internal error making %s from %s", name, source)
        tracebacks.append(traceback.format_exc())
        error = f"internal error: {type(exc).__name__}: {exc}"
        return OutputResult(None, "failed", error, name=name)


def _make(source: Path, prepared: Prepared, target: Target, warnings: list[str]) -> OutputResult:
    """Render, encode (to a target size when set), compare with the source, write."""
    settings = target.settings
    processed = render(prepared, settings)
    encoded = sizing.encode_output(
        processed, settings, lambda f: render(prepared, settings, factor=f)
    )
    warnings.extend(encoded.processed.warnings)  # encoding adds its own (EXIF dropped)
    data, note, size = encoded.data, encoded.note, encoded.processed.output_size
    if prepared.src.broken:
        note = _join(note, prepared.src.broken)
    source_bytes = file_size(source)
    w, h = prepared.src.input_size
    # Only a result of at most the source's pixels is compared: an enlarged or padded
    # output (an icon, a social crop) has no reason to be smaller than its source.
    if source_bytes and len(data) >= source_bytes and size[0] * size[1] <= w * h:
        choice = settings.if_bigger
        if choice == IfBigger.SKIP:
            why = f"not written: {len(data)} bytes is not smaller than the source"
            return OutputResult(None, "skipped", why, encodes=encoded.encodes)
        same = processed.source_format == formats.spec_for(settings.encode.format).pil_name
        if choice == IfBigger.COPY_SOURCE and same:
            data, size = source.read_bytes(), (w, h)
            note = "source copied unchanged: the converted file was not smaller"
        else:
            note = _join(note, "the converted file is not smaller than the source")
    _write_bytes(target.path, data, source if settings.keep_dates else None)
    return OutputResult(target.path, "converted", None, note, len(data), size, encoded.encodes)


def _join(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second


def _manifest(job: Job, target: Target) -> OutputResult:
    """The web manifest listing the job's square PNG icons of 192 px and more."""
    try:
        data = manifest.render(
            job.source.stem, [t.path for t in job.targets if t.kind == "image"], target.path.parent
        )
        _write_bytes(target.path, data, None)
    except ConversionError as exc:
        return OutputResult(None, "failed", str(exc), kind="manifest", name=target.path.name)
    return OutputResult(
        target.path, "converted", bytes_out=len(data), kind="manifest", name=target.path.name
    )


def _write_bytes(target: Path, data: bytes, dates_from: Path | None) -> None:
    """Write ``data`` as ``target`` atomically (with ``dates_from``'s modification time)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(target) as fh:
            fh.write(data)
        if dates_from is not None:
            st = dates_from.stat()
            os.utime(target, ns=(st.st_atime_ns, st.st_mtime_ns))
    except OSError as exc:
        msg = f"cannot write {target.name}: {exc.strerror or exc}"
        raise OutputError(msg) from exc


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and a.samefile(b))
    except OSError:
        return False
