"""Memory monitor: the process tree's RSS and the system's free memory, sampled in a thread.

One :class:`MemoryMonitor` per app run (``MemoryMonitor.from_config(cfg)``):

* ``start()`` / ``stop()`` a daemon thread that samples every ``interval`` seconds
  and stops on an Event (``stop`` joins it; the shutdown routine calls ``stop``);
* a warning goes to the log when the app (this process and its workers) uses more
  than ``performance.memory_warning_threshold_mb`` (once, re-armed when it drops);
* :meth:`may_start_job` is the runner's ``memory_guard``: False holds new jobs
  while the system runs low on memory (the runner always keeps one job going, so a
  batch never stalls). The warning threshold only warns: on a big machine a batch
  may use more than it without harm;
* :meth:`fits_in_memory` / :meth:`screen` refuse an image whose decoded size
  would not fit in free memory (``screen`` marks such jobs failed before the batch);
* :meth:`current_mb` for the GUI status bar;
* :meth:`record` per finished file and :meth:`log_summary` at the end of a batch
  (average time per file, success rate, peak memory) — ``logs.EventLogger`` does both.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import threading
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psutil

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from ..core.jobs import Job, JobResult
    from .config import Config

log = logging.getLogger(__name__)

MB = 1024 * 1024
LOW_SYSTEM_MB = 512  # keep this much free for the OS and the user's other programs
DECODE_COPIES = 2  # decoded image plus one working copy at full size
MAX_BYTES_PER_PIXEL = 4 * 2 * DECODE_COPIES  # RGBA, 16-bit, decoded + working copy
REARM_RATIO = 0.9  # warn again only after usage fell below 90 % of the threshold


@dataclass(frozen=True)
class Sample:
    rss_mb: float  # this process plus all its children
    available_mb: float  # system-wide memory available to new allocations
    at: float  # time.monotonic() when taken


def tree_rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    try:
        proc = psutil.Process(pid or os.getpid())
        total = proc.memory_info().rss
        children = proc.children(recursive=True)
    except psutil.Error:
        return 0.0
    for child in children:
        try:
            total += child.memory_info().rss
        except psutil.Error:  # a worker that just exited
            continue
    return float(total / MB)


def _decoded_mb(path: Path, max_pixels: int | None = None) -> float | None:
    """Memory to decode ``path`` and keep a working copy (RGBA; 16-bit doubles it)."""
    try:
        from PIL import Image

        with contextlib.suppress(ImportError):
            import pillow_heif

            pillow_heif.register_heif_opener(thumbnails=False)
        with warnings.catch_warnings():  # the engine reports odd files; stay quiet here
            warnings.simplefilter("ignore")
            with Image.open(path) as img:
                width, height, mode = img.width, img.height, img.mode
    except Exception:  # unreadable here: the engine gives the real, specific error
        return None
    if max_pixels is not None and width * height > max_pixels:
        return None
    depth = 2 if ";16" in mode or mode in ("I", "I;16", "F") else 1
    return float(width * height * 4 * depth * DECODE_COPIES / MB)


def take_sample(pid: int | None = None) -> Sample:
    """One measurement, now."""
    available = psutil.virtual_memory().available / MB
    return Sample(tree_rss_mb(pid), available, time.monotonic())


class MemoryMonitor:
    """Samples memory in a daemon thread; gate for new jobs; per-batch statistics."""

    def __init__(
        self,
        threshold_mb: float = 1024,
        interval: float = 1.0,
        pid: int | None = None,
        low_system_mb: float = LOW_SYSTEM_MB,
    ) -> None:
        self.threshold_mb = float(threshold_mb)
        self.interval = interval
        self.pid = pid
        self.low_system_mb = low_system_mb
        self.peak_mb = 0.0
        self.warnings = 0
        self._last: Sample | None = None
        self._warned = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._times: list[float] = []
        self._ok = 0
        self._failed = 0

    @classmethod
    def from_config(cls, cfg: Config) -> MemoryMonitor:
        """A monitor using ``performance.memory_warning_threshold_mb``."""
        return cls(float(cfg.get("performance.memory_warning_threshold_mb")))

    # -- thread --------------------------------------------------------------------

    def start(self) -> MemoryMonitor:
        """Start sampling (no-op when already running)."""
        if self._thread is not None and self._thread.is_alive():
            return self
        self._stop.clear()
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="memory-monitor", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        """Stop sampling and join the thread (idempotent)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> MemoryMonitor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except Exception:  # psutil hiccup: skip one sample, never die silently in a loop
                log.debug("memory sample failed", exc_info=True)

    # -- measurements -----------------------------------------------------------------

    def sample(self) -> Sample:
        """Measure now, update the peak and warn above the threshold."""
        sample = take_sample(self.pid)
        with self._lock:
            self._last = sample
            self.peak_mb = max(self.peak_mb, sample.rss_mb)
        if sample.rss_mb > self.threshold_mb and not self._warned:
            self._warned = True
            self.warnings += 1
            log.warning(
                "memory use %.0f MB is above the warning threshold of %.0f MB "
                "(performance.memory_warning_threshold_mb)",
                sample.rss_mb,
                self.threshold_mb,
            )
        elif sample.rss_mb < self.threshold_mb * REARM_RATIO:
            self._warned = False
        return sample

    def latest(self, max_age: float | None = None) -> Sample:
        """The last sample, or a fresh one when older than ``max_age`` (two intervals).

        A sample walks the process table (milliseconds), so hot paths take the
        thread's last one.
        """
        last = self._last
        limit = 2 * self.interval if max_age is None else max_age
        if last is None or time.monotonic() - last.at > limit:
            return self.sample()
        return last

    def current_mb(self) -> float:
        """Memory the app uses now (process tree RSS), for the status bar."""
        return self.latest().rss_mb

    def may_start_job(self) -> bool:
        """The runner's ``memory_guard``: False while the system's free memory is low."""
        sample = self.latest()
        if sample.available_mb > self.low_system_mb:
            return True
        log.debug("memory low (%.0f MB free): holding new files", sample.available_mb)
        return False

    def fits_in_memory(
        self,
        width: int,
        height: int,
        channels: int = 4,
        bytes_per_channel: int = 1,
        copies: int = 3,
    ) -> bool:
        """Whether decoding a ``width`` x ``height`` image (and working copies) fits now."""
        return self.fits_mb(width * height * channels * bytes_per_channel * copies / MB)

    def screen(self, jobs: Sequence[Job], max_pixels: int | None = None) -> list[Job]:
        """Jobs whose decoded image would not fit in free memory get a clear error now.

        Only the header is read (cheap). Such a job then fails alone, with a one-line
        message, instead of pushing the machine into swap or the OOM killer; the
        runner reports it without starting a worker on it. Images over ``max_pixels``
        are left to the engine, whose "too many pixels" message is the better one.
        """
        if max_pixels is not None and self.fits_mb(max_pixels * MAX_BYTES_PER_PIXEL / MB):
            return list(jobs)  # even the largest image the engine accepts fits: skip the reads
        screened = []
        for job in jobs:
            need = None if job.error or job.skip_reason else _decoded_mb(job.source, max_pixels)
            if need is not None and not self.fits_mb(need):
                free = self.latest().available_mb
                job = dataclasses.replace(
                    job,
                    error=f"not enough free memory to open this image: it needs about "
                    f"{need:.0f} MB, {free:.0f} MB are free",
                )
                log.warning("%s: refused: %s", job.source.name, job.error)
            screened.append(job)
        return screened

    def fits_mb(self, needed_mb: float) -> bool:
        """Whether ``needed_mb`` more can be allocated now, keeping the system reserve."""
        return needed_mb < self.latest().available_mb - self.low_system_mb

    # -- per-batch statistics --------------------------------------------------------------

    def record(self, result: JobResult) -> None:
        """Count one finished file (skipped files do not count)."""
        if result.status == "skipped":
            return
        with self._lock:
            self._times.append(result.seconds)
            if result.status == "converted":
                self._ok += 1
            else:
                self._failed += 1

    def summary(self) -> dict[str, float | int | None]:
        """Average seconds per file, success rate (0-1), peak memory in MB."""
        with self._lock:
            done = self._ok + self._failed
            return {
                "files": done,
                "average_seconds": sum(self._times) / len(self._times) if self._times else None,
                "success_rate": self._ok / done if done else None,
                "peak_mb": round(self.peak_mb, 1),
            }

    def log_summary(self) -> dict[str, float | int | None]:
        """Log the batch summary and start counting afresh for the next batch."""
        stats = self.summary()
        avg, rate = stats["average_seconds"], stats["success_rate"]
        log.info(
            "batch performance: %d file(s), average %s per file, success rate %s, "
            "peak memory %.0f MB",
            stats["files"],
            f"{avg:.2f}s" if avg is not None else "n/a",
            f"{rate:.0%}" if rate is not None else "n/a",
            self.peak_mb,
        )
        with self._lock:
            self._times.clear()
            self._ok = self._failed = 0
        return stats
