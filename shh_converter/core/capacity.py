"""How many worker processes a batch can afford, and how much memory it used.

Workers are bounded by the cores we may run on and by the memory available now:
each worker costs an interpreter with Pillow loaded plus the decoded image and
its working copies (several bytes per pixel), plus a model session when the
background is removed. The image size comes from the headers of the largest few
files (cheap: Pillow reads only the header), so a batch of 50 MP scans gets fewer
workers than a batch of thumbnails on the same machine.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from collections.abc import Iterable, Sequence

from .jobs import Job, file_size
from .settings import BackgroundMode, Settings

log = logging.getLogger(__name__)

WORKER_BASE_MB = 120  # interpreter + Pillow + codecs in a spawned process
BYTES_PER_PIXEL = 16  # decoded RGBA + resized copy + encoder buffers, measured roughly
BACKGROUND_MODEL_MB = 225  # u2netp session ~25 MB + one inference's scratch ~200 MB (measured)
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
    return psutil.virtual_memory().available / 2**20


def job_memory_mb(jobs: Sequence[Job], settings: Settings) -> float:
    """Estimated peak memory of one worker for the most demanding of ``jobs``."""
    pixels = min(_largest_pixels(jobs), settings.limits.max_pixels)
    estimate = WORKER_BASE_MB + pixels * BYTES_PER_PIXEL / 2**20
    if settings.background_removal.enabled:
        estimate += BACKGROUND_MODEL_MB
    return estimate


def worker_count(jobs: Sequence[Job], settings: Settings, requested: int | None = None) -> int:
    """Workers for ``jobs``: the request or one per core, no more than jobs or memory allow."""
    count = min(requested or cpu_budget(), cpu_budget(), max(1, len(jobs)))
    free = available_mb()
    if free is not None and jobs:
        per_job = job_memory_mb(jobs, settings)
        fits = max(1, int(free * MEMORY_SHARE // per_job))
        if fits < count:
            log.info("using %d worker(s) instead of %d: ~%.0f MB each", fits, count, per_job)
            count = fits
    if settings.background_removal.enabled and jobs and not requested:
        # Automatic choice only: an explicit --jobs is the user's to make.
        count = min(count, _background_workers(jobs, settings, free)[0])
    return max(1, count)


def ai_threads(workers: int, settings: Settings) -> int | None:
    """onnxruntime threads per worker for an AI batch (None: not an AI batch).

    The cores not taken by worker processes go to inference, so one AI worker
    still uses every core.
    """
    removal = settings.background_removal
    if not removal.enabled or removal.mode != BackgroundMode.AI:
        return None
    return max(1, cpu_budget() // max(1, workers))


def _background_workers(
    jobs: Sequence[Job], settings: Settings, free_mb: float | None
) -> tuple[int, int]:
    from .background import recommended_workers

    megapixels = min(_largest_pixels(jobs), settings.limits.max_pixels) / 1e6
    # The tighter of what the machine has free and what the user budgeted.
    limits = [settings.limits.memory_budget_mb]
    if free_mb is not None:
        limits.append(free_mb * MEMORY_SHARE)
    known = [mb for mb in limits if mb]
    free = int(min(known) * 2**20) if known else None
    return recommended_workers(settings.background_removal.mode, cpu_budget(), free, megapixels)


def _largest_pixels(jobs: Sequence[Job]) -> int:
    by_size = sorted(jobs, key=lambda j: file_size(j.source), reverse=True)[:HEADER_SAMPLES]
    return max((_pixels(j) for j in by_size), default=0)


def _pixels(job: Job) -> int:
    from PIL import Image

    try:
        with warnings.catch_warnings():  # a huge header is the worker's to report, not ours
            warnings.simplefilter("ignore")
            with Image.open(job.source) as im:
                return int(im.width * im.height)
    except Exception:  # HEIC without its plugin here, not an image: guess from the bytes
        return file_size(job.source) * 4


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
