"""How a batch runs (processes, files at a time) and how much memory it used.

Plain conversions: one worker process per core, bounded by the memory available
now: each worker costs an interpreter with Pillow loaded plus the decoded image
and its working copies (several bytes per pixel). The image size comes from the
headers of the largest few files (cheap: Pillow reads only the header), so a batch
of 50 MP scans gets fewer workers than a batch of thumbnails on the same machine.

AI background removal: one worker process with one job slot per core, so the
model, onnxruntime and the interpreter are in memory once and one inference's
scratch memory is needed at a time (``background.ai`` runs one inference at a time on
every core). What may run side by side is bounded by pixels: the runner starts a
file only while the images in flight fit the memory budget (:class:`BatchShape`),
so big photos wait for each other and small ones overlap.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import formats
from .jobs import Job, file_size
from .settings import BackgroundMode, OutputFormat, Settings

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

log = logging.getLogger(__name__)

WORKER_BASE_MB = 120  # interpreter + Pillow + codecs in a spawned process
BYTES_PER_PIXEL = 16  # decoded RGBA + resized copy + encoder buffers, measured roughly
# AI worker, measured (docs/performance.md, "Background removal"): interpreter +
# numpy/Pillow/onnxruntime + the u2netp session ~90 MB; one u2netp inference on 2
# threads ~165-175 MB of scratch (freed after each run: no CPU arena, no memory
# pattern). Per pixel of a file in flight at its peak: the decoded image (4 bytes:
# Pillow keeps RGB as RGBX), which becomes the cut-out in place, plus the mask and
# the 1-bit clear mask; flattening onto a colour (JPEG, --background) adds an RGB
# copy and more.
AI_WORKER_BASE_MB = 90
AI_SCRATCH_MB_AT_320 = 180
AI_BYTES_PER_PIXEL = 6
AI_BYTES_PER_PIXEL_FLATTENED = 16
AI_ALPHA_BYTES_PER_PIXEL = 2  # a source with its own alpha: that channel and the product
# multiprocessing's resource tracker, a small Python process on POSIX (not on Windows)
HELPER_PROCESS_MB = 12 if os.name == "posix" else 0
# The runner's own process as the CLI runs it (~30 MB: it does not load numpy or
# onnxruntime). A fixed figure, not the process's RSS: in the window that process
# is the whole app, whose memory is not the batch's to budget.
RUNNER_MB = 30
AI_TARGET_MB = 450  # automatic AI memory target on 2 cores (issue 3's goal) ...
AI_TARGET_MB_PER_EXTRA_CORE = 150  # ... and per further core
MEMORY_SHARE = 0.7  # leave the rest to the user's other programs
HEADER_SAMPLES = 8


def cpu_budget() -> int:
    """Cores this process may use (respects CPU affinity where the OS has it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def available_mb() -> float | None:
    try:
        import psutil
    except ImportError:  # pragma: no cover - psutil is a dependency, but never fatal
        return None
    return float(psutil.virtual_memory().available / 2**20)


def job_memory_mb(jobs: Sequence[Job], settings: Settings) -> float:
    """Estimated peak memory of one plain worker for the most demanding of ``jobs``."""
    pixels = min(_largest_pixels(jobs), settings.limits.max_pixels)
    return WORKER_BASE_MB + pixels * BYTES_PER_PIXEL / 2**20


def worker_count(
    jobs: Sequence[Job] | None, settings: Settings, requested: int | None = None
) -> int:
    """Workers for ``jobs``: the request or one per core, no more than jobs or memory allow.

    ``jobs`` None: not known yet (workers started early); one per core, or the request.
    """
    if jobs is None:
        return max(1, min(requested or cpu_budget(), cpu_budget()))
    count = min(requested or cpu_budget(), cpu_budget(), max(1, len(jobs)))
    free = available_mb()
    if free is not None and jobs:
        per_job = job_memory_mb(jobs, settings)
        fits = max(1, int(free * MEMORY_SHARE // per_job))
        if fits < count:
            log.info("using %d worker(s) instead of %d: ~%.0f MB each", fits, count, per_job)
            count = fits
    return max(1, count)


@dataclass(frozen=True)
class BatchShape:
    """How a batch runs (see the module docstring)."""

    processes: int
    slots: int = 1  # files at a time in each process
    ai_threads: int | None = None  # onnxruntime threads per inference; None: not an AI batch
    room_bytes: int | None = None  # AI: memory the files in flight may take together
    bytes_per_pixel: int = AI_BYTES_PER_PIXEL  # AI: peak memory of a file in flight
    inferences: int = 1  # AI: inferences at once in the process, each on ai_threads threads
    # AI: what PNG's oxipng pass adds, on a file from a photo (formats.PHOTO_SOURCES) / another
    oxipng_on_photos: int = 0
    oxipng_on_others: int = 0

    def cost(self, pixels: int, has_alpha: bool, source_format: str = "?") -> int:
        """Peak bytes of one file in flight (AI batches)."""
        extra = AI_ALPHA_BYTES_PER_PIXEL if has_alpha else 0
        photo = formats.photo_source(source_format)
        extra += self.oxipng_on_photos if photo else self.oxipng_on_others
        return pixels * (self.bytes_per_pixel + extra)

    def fits(self, in_flight: Sequence[int], cost: int) -> bool:
        """May a file of ``cost`` bytes start beside files costing ``in_flight``? One always may."""
        if self.room_bytes is None or not in_flight:
            return True
        return sum(in_flight) + cost <= self.room_bytes


def batch_shape(
    jobs: Sequence[Job] | None, settings: Settings, requested: int | None = None
) -> BatchShape:
    """How to run ``jobs`` (see :class:`BatchShape`); ``requested``: files at once, if given.

    ``jobs`` None: the batch is not planned yet (workers started early).
    """
    removal = settings.background_removal
    if not (removal.enabled and removal.mode == BackgroundMode.AI):
        return BatchShape(worker_count(jobs, settings, requested))
    cores = cpu_budget()
    budget = ai_budget_mb(settings)
    scratch = inference_scratch_mb(removal.model)
    plan = plan_ai(cores, budget, scratch)
    slots = max(1, min(requested or plan.slots, plan.slots))
    if jobs is not None:
        slots = min(slots, max(1, len(jobs)))
    room = max(0.0, budget - ai_fixed_mb(scratch, plan.inferences))
    log.info(
        "AI batch: %d file(s) at a time in one worker, %d inference(s) at once on %d "
        "thread(s) each, %.0f MB for images in flight (budget %.0f MB)",
        slots,
        plan.inferences,
        plan.threads,
        room,
        budget,
    )
    keeps_alpha = formats.spec_for(settings.encode.format).alpha and settings.background is None
    per_pixel = AI_BYTES_PER_PIXEL if keeps_alpha else AI_BYTES_PER_PIXEL_FLATTENED
    # Whether the pass runs depends on each file's source: a photo's or another's.
    on_photos = AI_OXIPNG_BYTES_PER_PIXEL if oxipng_pass(settings, "JPEG") else 0
    on_others = AI_OXIPNG_BYTES_PER_PIXEL if oxipng_pass(settings, "PNG") else 0
    room_bytes = int(room * 2**20)
    return BatchShape(
        1, slots, plan.threads, room_bytes, per_pixel, plan.inferences, on_photos, on_others
    )


# PNG's lossless oxipng pass (on by default, photographs aside) decodes the written PNG
# again and keeps its trial filterings: measured on a 20 MP cut-out, ~350 MB above the
# worker's RSS at its peak (ru_maxrss), ~17 bytes a pixel. Its Python binding holds the
# GIL for the whole call, so nothing else in the AI worker moves meanwhile
# (docs/performance.md).
AI_OXIPNG_BYTES_PER_PIXEL = 18


def oxipng_pass(settings: Settings, source_format: str) -> bool:
    """Whether PNG output from ``settings`` gets the oxipng pass (a recipe: its first output)
    for a picture read from ``source_format`` (Pillow's name)."""
    encode = settings.encode
    return encode.format == OutputFormat.PNG and formats.oxipng_runs(encode, source_format)


# More threads for one u2netp inference stop paying somewhere past a few cores (its
# 320x320 convolutions are small); beyond that, cores are better spent on another
# inference at once. 4 is an assumption: only 2 cores were measured here.
THREADS_PER_INFERENCE = 4
# Memory one more inference at once must bring besides its scratch: room for one
# more big photo in flight (24 MP at 6 bytes a pixel), or it only waits.
AI_LANE_PHOTO_MB = 24e6 * AI_BYTES_PER_PIXEL / 2**20


@dataclass(frozen=True)
class AiPlan:
    """How an AI batch uses the machine: inferences at once, threads each, files in flight."""

    inferences: int
    threads: int
    slots: int


def plan_ai(cores: int, budget_mb: float, scratch_mb: float = AI_SCRATCH_MB_AT_320) -> AiPlan:
    """Inferences at once and threads per inference for ``cores`` and a ``budget_mb`` target.

    One inference on every core up to :data:`THREADS_PER_INFERENCE` cores; beyond,
    one more inference per that many cores, as long as each further one's scratch
    and one more big photo fit in the budget. Files in flight: one per core, and
    at least two per inference (one inferring while the other decodes or encodes).
    """
    cores = max(1, cores)
    wanted = max(1, cores // THREADS_PER_INFERENCE)
    lane_mb = scratch_mb + AI_LANE_PHOTO_MB
    fits = 1 + int(max(0.0, budget_mb - ai_fixed_mb(scratch_mb, 1) - lane_mb) // lane_mb)
    inferences = max(1, min(wanted, fits))
    threads = max(1, cores // inferences)
    return AiPlan(inferences, threads, max(cores, 2 * inferences))


def ai_fixed_mb(scratch_mb: float, inferences: int = 1) -> float:
    """What an AI batch needs before any image: processes, model, inference scratch."""
    return RUNNER_MB + HELPER_PROCESS_MB + AI_WORKER_BASE_MB + scratch_mb * inferences


def ai_budget_mb(settings: Settings, cores: int | None = None, free: float | None = None) -> float:
    """The tightest of: the AI memory target, the general memory budget, 70% of free memory.

    ``cores`` and ``free`` (MB) default to this machine's (tests simulate others).
    """
    limits = settings.limits
    target = limits.ai_memory_mb or auto_ai_memory_mb(cores or cpu_budget())
    known = [mb for mb in (target, limits.memory_budget_mb) if mb]
    free = available_mb() if free is None else free
    if free is not None:
        known.append(free * MEMORY_SHARE)
    return min(known) if known else float("inf")


def auto_ai_memory_mb(cores: int) -> float:
    """The automatic AI memory target: 450 MB on 2 cores, 150 MB more per further core.

    More cores only help if more files are in flight to keep them busy.
    """
    return AI_TARGET_MB + AI_TARGET_MB_PER_EXTRA_CORE * max(0, cores - 2)


def inference_scratch_mb(model: str) -> float:
    """One inference's scratch memory: measured for u2netp, scaled by input area otherwise.

    Bigger networks (u2net, isnet, BiRefNet) need more per pixel of input too, so
    their weights' size is added as a rough allowance.
    """
    from .background import models

    try:
        info = models.get_info(model)
    except Exception:  # an unknown model fails later with its own message
        return AI_SCRATCH_MB_AT_320
    area = (info.input_size / 320) ** 2
    return AI_SCRATCH_MB_AT_320 * area + (info.approx_mb if info.approx_mb > 10 else 0)


def _largest_pixels(jobs: Sequence[Job]) -> int:
    by_size = sorted(jobs, key=lambda j: file_size(j.source), reverse=True)[:HEADER_SAMPLES]
    return max((job_pixels(j) for j in by_size), default=0)


def job_pixels(job: Job) -> int:
    """Pixels of ``job``'s image from its header (a guess from the file size if unreadable)."""
    return job_header(job)[0]


def job_header(job: Job) -> tuple[int, bool, str]:
    """(pixels, has its own alpha, Pillow's format) from ``job``'s header; a guess if it
    cannot be read."""
    from PIL import Image

    try:
        with warnings.catch_warnings():  # a huge header is the worker's to report, not ours
            warnings.simplefilter("ignore")
            with Image.open(job.source) as im:
                alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
                return int(im.width * im.height), alpha, str(im.format)
    except Exception:  # HEIC without its plugin here, not an image: guess from the bytes
        return file_size(job.source) * 4, True, "?"


class RssSampler:
    """Peak resident memory of this process and its workers, sampled now and then."""

    EVERY_SECONDS = 0.25  # often enough to catch a big image's peak, cheap enough to ignore

    def __init__(self) -> None:
        self.peak = 0
        self.last = 0.0

    def sample(self, pids: Iterable[int]) -> None:
        now = time.monotonic()
        if now - self.last < self.EVERY_SECONDS:
            return
        self.last = now
        try:
            import psutil
        except ImportError:  # pragma: no cover
            return
        total = 0
        for pid in (os.getpid(), *pids):
            try:
                total += psutil.Process(pid).memory_info().rss
            except (psutil.Error, OSError):
                continue  # a worker that just ended
        self.peak = max(self.peak, total)

    @property
    def peak_mb(self) -> float | None:
        return round(self.peak / 2**20, 1) if self.peak else None
