"""Run a batch of jobs in worker processes, with cancel, progress and events.

Why our own small pool instead of ``ProcessPoolExecutor``: a worker that dies
(a segfault in a decoder, the OOM killer) breaks an executor as a whole and every
pending future with it, and a single stuck file cannot be stopped. Here each
worker is a ``spawn`` process (the same on Linux, Windows, macOS and in frozen
PyInstaller apps, where ``freeze_support`` in ``__main__`` starts it) with its own
pipe and exactly one job at a time, so the runner always knows which file a dead
or overdue worker was on: that file fails with a clear message, the worker is
replaced, and the batch goes on.

Events, in order: ``BatchStarted``; per job ``FileStarted`` -> ``FileFinished`` ->
``Progress``; ``BatchFinished`` always, from ``finally``. Jobs the planner already
settled (skipped, failed) are reported first, without work. On cancel no new job
starts; files in flight get :data:`CANCEL_GRACE_SECONDS` to finish, then their
workers are stopped and their temp files removed, so only whole outputs remain.
Jobs never started are not in ``BatchFinished.results``.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence

from . import capacity, pool
from .events import (
    BatchFinished,
    BatchStarted,
    CancelToken,
    EventCallback,
    FileFinished,
    FileStarted,
    Progress,
)
from .jobs import Job, JobResult, file_size
from .settings import Settings
from .state import LedgerBook

log = logging.getLogger(__name__)

CANCEL_GRACE_SECONDS = 1.0  # in-flight files may finish; then they are discarded whole
POLL_SECONDS = 0.2


def run_batch(
    jobs: Sequence[Job],
    settings: Settings,
    on_event: EventCallback,
    cancel: CancelToken | None = None,
    workers: int | None = None,
    memory_guard: Callable[[], bool] | None = None,
) -> BatchFinished:
    """Run ``jobs`` and return the final event (also sent to ``on_event``). Blocking.

    ``workers``: at most this many processes (default: one per core), further
    bounded by available memory. ``memory_guard()`` returning False holds back new
    jobs while at least one is running.
    """
    batch = _Batch(list(jobs), settings, on_event, cancel or CancelToken(), memory_guard)
    return batch.run(workers)


class _Batch:
    def __init__(
        self,
        jobs: list[Job],
        settings: Settings,
        on_event: EventCallback,
        cancel: CancelToken,
        memory_guard: Callable[[], bool] | None,
    ) -> None:
        self.jobs, self.settings, self.emit, self.cancel = jobs, settings, on_event, cancel
        self.memory_guard = memory_guard
        self.batch_id = uuid.uuid4().hex[:12]
        self.results: dict[int, JobResult] = {}
        self.book = LedgerBook()
        self.fingerprint = settings.fingerprint()
        self.start = time.monotonic()
        self.work_start: float | None = None
        self.worked = 0
        self.bytes_in = self.bytes_out = 0
        self.rss = capacity.RssSampler()
        self.pool: pool.Pool | None = None

    def run(self, workers: int | None) -> BatchFinished:
        error: str | None = None
        try:
            todo = [j for j in self.jobs if not (j.skip_reason or j.error)]
            count = capacity.worker_count(todo, self.settings, workers)
            self.emit(BatchStarted(self.batch_id, len(self.jobs), count))
            for job in self.jobs:
                if job.skip_reason or job.error:
                    self._settled(job)
            if todo and not self.cancel.cancelled:
                threads = capacity.ai_threads(count, self.settings)
                self.pool = pool.Pool(count, self.settings, ai_threads=threads)
                self._work(deque(todo))
        except KeyboardInterrupt:
            self.cancel.cancel()  # the caller's Ctrl-C: stop like a cancel, then re-raise
            raise
        except Exception as exc:  # a bug in the runner: report it, never hang the caller
            log.exception("batch %s failed", self.batch_id)
            error = f"internal error: {type(exc).__name__}: {exc}"
        finally:
            error = self._shut_down(error)
            final = BatchFinished(
                batch_id=self.batch_id,
                results=tuple(self.results[i] for i in sorted(self.results)),
                cancelled=self.cancel.cancelled,
                elapsed=time.monotonic() - self.start,
                error=error,
                peak_rss_mb=self.rss.peak_mb,
            )
            try:
                self.emit(final)
            except Exception:  # the caller's callback is broken; still hand back the result
                log.exception("batch %s: the BatchFinished handler failed", self.batch_id)
        return final

    def _shut_down(self, error: str | None) -> str | None:
        """Stop workers (discarding unfinished files), save ledgers; never raises."""
        try:
            if self.pool is not None:
                for job, result in self.pool.close():
                    self._finish(job, result)
            self.book.save_all()
        except Exception as exc:
            log.exception("batch %s: clean-up failed", self.batch_id)
            error = error or f"internal error: {type(exc).__name__}: {exc}"
        return error

    # -- the loop ---------------------------------------------------------------------

    def _work(self, pending: deque[Job]) -> None:
        assert self.pool is not None
        workers, timeout = self.pool, self.settings.limits.timeout_seconds
        self.work_start = time.monotonic()
        grace_until: float | None = None
        while pending or workers.busy():
            if self.cancel.cancelled and grace_until is None:
                log.info("batch %s cancelled: %d file(s) not started", self.batch_id, len(pending))
                pending.clear()
                grace_until = time.monotonic() + CANCEL_GRACE_SECONDS
            if grace_until is not None and time.monotonic() > grace_until:
                return  # _shut_down discards what is still running
            self._dispatch(pending)
            for job, result in workers.collect(POLL_SECONDS):
                self._finish(job, result)
            if timeout:
                for job in workers.overdue(timeout):
                    self._finish(job, pool.failed_result(job, f"took longer than {timeout:g} s"))
            self.rss.sample(workers.pids())

    def _dispatch(self, pending: deque[Job]) -> None:
        assert self.pool is not None
        for worker in self.pool.idle():
            if not pending:
                return
            if self.pool.busy() and self.memory_guard is not None and not self.memory_guard():
                return  # wait for memory to come back; never stalls: one job always runs
            job = pending.popleft()
            self.book.claim(job.source, job.output, self.fingerprint)
            worker.give(job)
            self.emit(FileStarted(job))

    # -- results ----------------------------------------------------------------------

    def _settled(self, job: Job) -> None:
        """Report a job the planner already decided (skipped or failed) without work."""
        self.emit(FileStarted(job))
        if job.skip_reason:
            result = JobResult(
                source=job.source,
                output=job.output,
                status="skipped",
                error=job.skip_reason,
                bytes_in=file_size(job.source),
                bytes_out=file_size(job.output),
                index=job.index,
            )
        else:
            result = pool.failed_result(job, job.error or "failed")
        self._finish(job, result, worked=False)

    def _finish(self, job: Job, result: JobResult, *, worked: bool = True) -> None:
        result = result.replace(index=job.index)
        self.results[job.index] = result
        if worked:
            self.worked += 1
        if result.status == "converted" and result.output is not None:
            self.bytes_in += result.bytes_in
            self.bytes_out += result.bytes_out
            self.book.record(job.source, result.output, self.fingerprint)
        self.emit(FileFinished(result))
        self.emit(self._progress())

    def _progress(self) -> Progress:
        now = time.monotonic()
        done = len(self.results)
        eta = None
        if self.work_start is not None and self.worked:
            # Files per second over the whole pool, so parallel workers are already counted.
            rate = self.worked / max(now - self.work_start, 1e-6)
            eta = (len(self.jobs) - done) / rate
        running = self.pool.running_names() if self.pool else []
        return Progress(
            done=done,
            total=len(self.jobs),
            bytes_in=self.bytes_in,
            bytes_out=self.bytes_out,
            elapsed=now - self.start,
            eta_seconds=eta,
            current=running[0] if running else None,
        )
