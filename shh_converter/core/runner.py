"""Run a batch of jobs in worker processes, with cancel, progress and events.

Why our own small pool instead of ``ProcessPoolExecutor``: a worker that dies
(a segfault in a decoder, the OOM killer) breaks an executor as a whole and every
pending future with it, and a single stuck file cannot be stopped. Here each
worker is a ``spawn`` process (the same on Linux, Windows, macOS and in frozen
PyInstaller apps, where ``freeze_support`` in ``__main__`` starts it) with its own
pipe, so the runner always knows which files a dead or overdue worker was on: that
file fails with a clear message, the worker is replaced, and the batch goes on.
How many processes and files at a time comes from :func:`capacity.batch_shape`
(AI batches: one process, several files, started only while they fit in memory).

Events, in order: ``BatchStarted``; per job ``FileStarted`` -> ``FileFinished`` ->
``Progress``; ``BatchFinished`` always, from ``finally``. Jobs the planner already
settled (skipped, failed) are reported first, without work. On cancel no new job
starts; files in flight get :data:`CANCEL_GRACE_SECONDS` to finish, then their
workers are stopped and their temp files removed, so only whole outputs remain.
Jobs never started are not in ``BatchFinished.results``.
"""

from __future__ import annotations

import itertools
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
LOOK_AHEAD = 16  # pending files looked at for one that fits beside those in flight
MAX_PASSED_OVER = 4  # then a big file waits for room instead of drifting to the end


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
        self.shape = capacity.BatchShape(1)
        self.started: set[int] = set()  # jobs already announced (a retried job is not again)
        self.costs: dict[int, int] = {}  # by job index, from headers when needed (AI)
        self.passed_over: dict[int, int] = {}  # by job index: smaller files started first

    def run(self, workers: int | None) -> BatchFinished:
        error: str | None = None
        try:
            todo = [j for j in self.jobs if not (j.skip_reason or j.error)]
            shape = self.shape = capacity.batch_shape(todo, self.settings, workers)
            self.emit(BatchStarted(self.batch_id, len(self.jobs), shape.processes * shape.slots))
            for job in self.jobs:
                if job.skip_reason or job.error:
                    self._settled(job)
            if todo and not self.cancel.cancelled:
                self.pool = pool.Pool(shape.processes, self.settings, shape.ai_threads, shape.slots)
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
                for job in self.pool.retry:  # waiting for a retry when the batch ended
                    self._finish(job, pool.failed_result(job, "cancelled before it finished"))
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
        while pending or workers.busy() or workers.retry:
            if self.cancel.cancelled and grace_until is None:
                log.info("batch %s cancelled: %d file(s) not started", self.batch_id, len(pending))
                pending.clear()
                grace_until = time.monotonic() + CANCEL_GRACE_SECONDS
            if grace_until is not None and time.monotonic() > grace_until:
                return  # _shut_down discards what is still running
            if workers.retry:  # their worker died or overran on another file
                if grace_until is None:
                    pending.extendleft(reversed(workers.retry))
                else:  # announced already, so they get a result
                    for job in workers.retry:
                        self._finish(job, pool.failed_result(job, "cancelled before it finished"))
                workers.retry.clear()
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
            while pending and len(worker.running) < worker.slots:
                if self.pool.busy() and self.memory_guard is not None and not self.memory_guard():
                    return  # wait for memory to come back; never stalls: one job always runs
                job = self._next_for(worker, pending)
                if job is None:
                    break  # what is left waits for this worker's files to finish
                pending.remove(job)
                self.book.claim(job.source, job.output, self.fingerprint)
                worker.give(job)
                if job.index not in self.started:
                    self.started.add(job.index)
                    self.emit(FileStarted(job))

    def _next_for(self, worker: pool.Worker, pending: deque[Job]) -> Job | None:
        """The first pending job ``worker`` may start now (suspects alone, within memory)."""
        assert self.pool is not None
        in_flight = [self._cost(job) for job in worker.jobs]
        head = pending[0]
        # Only a few ahead: keeps the order and bounds the header reads per loop.
        for job in itertools.islice(pending, LOOK_AHEAD):
            if not self.pool.can_take(worker, job):
                continue
            if self.shape.fits(in_flight, self._cost(job) if in_flight else 0):
                if job is not head:
                    self.passed_over[head.index] = self.passed_over.get(head.index, 0) + 1
                return job
            if job is head and self.passed_over.get(head.index, 0) >= MAX_PASSED_OVER:
                return None  # its turn: wait until it fits rather than leave it for last
        return None

    def _cost(self, job: Job) -> int:
        """Memory ``job`` takes while in flight (AI batches; 0 when nothing is budgeted)."""
        if self.shape.room_bytes is None:
            return 0  # do not read headers
        if job.index not in self.costs:
            self.costs[job.index] = self.shape.cost(*capacity.job_header(job))
        return self.costs[job.index]

    # -- results ----------------------------------------------------------------------

    def _settled(self, job: Job) -> None:
        """Report a job the planner already decided (skipped or failed) without work."""
        self.started.add(job.index)
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
