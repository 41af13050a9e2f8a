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
import threading
import time
import uuid
from collections import deque
from typing import TYPE_CHECKING

from . import capacity, destination, pool
from .events import (
    BatchFinished,
    BatchStarted,
    CancelToken,
    EventCallback,
    FileFinished,
    FileStarted,
    Progress,
)
from .jobs import CANCELLED, Job, JobResult, failed_result, settled_result
from .state import LedgerBook

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .settings import Settings

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
    jobs while at least one is running. The workers are stopped at the end; a
    front end that runs batch after batch, or wants them started before it plans,
    keeps them in a :class:`BatchRunner`.
    """
    with BatchRunner() as runner:
        return runner.run(jobs, settings, on_event, cancel, workers, memory_guard)


class BatchRunner:
    """Worker processes kept warm between batches (the window, watch mode, the CLI's early start).

    ::

        with BatchRunner() as runner:
            runner.start(settings)              # optional: spawn workers now
            runner.run(jobs, settings, on_event)  # blocking; -> BatchFinished
            runner.run(more_jobs, settings, on_event)  # the same warm workers

    ``start`` before planning: a spawned worker needs ~0.2-0.3 s to import the
    engine, which then overlaps the caller's own planning (``core.batch`` does so).
    Between batches the workers stay started, with the AI model loaded in an AI
    batch's worker. A batch whose shape differs (AI on or off, another model,
    inference threads, more files at a time than the workers were started for)
    replaces them; other settings changes are sent to the warm workers. One batch
    at a time: :meth:`run` from two threads at once raises ``RuntimeError``.
    ``close()`` (or leaving the ``with``) stops them (one never given a file is
    killed at once: nothing of it to keep); a cancelled batch stops only
    the workers that were still on files (their files are discarded whole) and
    starts fresh ones in their place.
    """

    def __init__(self) -> None:
        self._pool: pool.Pool | None = None
        self._model: str | None = None  # the AI model the pool's workers load
        self._lock = threading.Lock()  # held while a batch runs

    def __enter__(self) -> BatchRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self, settings: Settings, workers: int | None = None) -> None:
        """Spawn the workers a batch with ``settings`` would use, without waiting for them."""
        with self._lock:
            self._pool_for(capacity.batch_shape(None, settings, workers), settings)

    def run(
        self,
        jobs: Sequence[Job],
        settings: Settings,
        on_event: EventCallback,
        cancel: CancelToken | None = None,
        workers: int | None = None,
        memory_guard: Callable[[], bool] | None = None,
    ) -> BatchFinished:
        """Run one batch on the warm workers; see :func:`run_batch` for the arguments."""
        if not self._lock.acquire(blocking=False):
            msg = "this BatchRunner is already running a batch"
            raise RuntimeError(msg)
        try:
            batch = _Batch(list(jobs), settings, on_event, cancel or CancelToken(), memory_guard)
            return batch.run(workers, self._pool_for)
        finally:
            self._lock.release()

    def worker_pids(self) -> list[int]:
        """Process ids of the warm workers (for memory figures)."""
        return self._pool.pids() if self._pool is not None else []

    def close(self) -> None:
        """Stop the workers (idempotent). Never raises."""
        found, self._pool = self._pool, None
        if found is not None:
            try:
                found.close()
            except Exception:
                log.exception("stopping the worker processes failed")

    def _pool_for(self, shape: capacity.BatchShape, settings: Settings) -> pool.Pool:
        """The warm pool if it can run ``shape``, else a fresh one."""
        model = settings.background_removal.model if shape.ai_threads else None
        found = self._pool
        same_model = model == self._model
        if found and same_model and found.fits(shape.ai_threads, shape.slots, shape.inferences):
            found.use(settings, shape.processes, shape.slots)
            return found
        self.close()
        self._model = model
        self._pool = pool.Pool(
            shape.processes, settings, shape.ai_threads, shape.slots, shape.inferences
        )
        return self._pool


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

    def run(
        self,
        workers: int | None,
        pool_for: Callable[[capacity.BatchShape, Settings], pool.Pool],
    ) -> BatchFinished:
        error: str | None = None
        try:
            todo = [j for j in self.jobs if not (j.skip_reason or j.error)]
            shape = self.shape = capacity.batch_shape(todo, self.settings, workers)
            self.emit(BatchStarted(self.batch_id, len(self.jobs), shape.processes * shape.slots))
            for job in self.jobs:
                if job.skip_reason or job.error:
                    self._settled(job)
            if todo and not self.cancel.cancelled:
                self.pool = pool_for(shape, self.settings)
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
                retry = self.pool.take_retries()  # waiting for a retry when the batch ended
                for job, result in self.pool.end_batch():  # idle workers stay warm
                    if job.index in self.started:  # not one still queued behind another
                        self._finish(job, result)
                for job in retry:
                    self._cancelled(job)
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
            retry = workers.take_retries()  # their worker died or overran on another file
            if grace_until is None:
                pending.extendleft(reversed(retry))
            else:
                for job in retry:
                    self._cancelled(job)
            self._dispatch(pending)
            for job, result in workers.collect(POLL_SECONDS):
                self._finish(job, result)
            self._announce()  # a file queued behind one that finished has started
            if timeout:
                for job in workers.overdue(timeout):
                    self._finish(job, failed_result(job, f"took longer than {timeout:g} s"))
            self.rss.sample(workers.pids())

    def _dispatch(self, pending: deque[Job]) -> None:
        assert self.pool is not None
        # A file queued behind each worker's current one saves a round trip per file,
        # but only while there are more files than workers: at the end of the batch a
        # file queued behind a big one would wait while another worker sits idle.
        ahead = len(pending) > self.pool.size
        for worker in self.pool.idle(ahead):
            while pending and len(worker.running) < worker.room(ahead):
                if self.pool.busy() and self.memory_guard is not None and not self.memory_guard():
                    return  # wait for memory to come back; never stalls: one job always runs
                job = self._next_for(worker, pending)
                if job is None:
                    break  # what is left waits for this worker's files to finish
                pending.remove(job)
                for target in job.to_make:
                    self.book.claim(job.source, target.path, target.fingerprint)
                worker.give(job)
        self._announce()

    def _announce(self) -> None:
        """``FileStarted`` for each file a worker has just begun (not one queued behind)."""
        assert self.pool is not None
        for worker in self.pool.workers:
            for item in worker.on_files():
                if item.job.index not in self.started:
                    self.started.add(item.job.index)
                    self.emit(FileStarted(item.job))

    def _cancelled(self, job: Job) -> None:
        """A file the batch ended before it finished: announced ones get a result."""
        if job.index in self.started:
            self._finish(job, failed_result(job, CANCELLED))

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
        result = settled_result(job)
        self._finish(job, result, worked=False)

    def _finish(self, job: Job, result: JobResult, *, worked: bool = True) -> None:
        if job.index not in self.started:  # finished before it was seen starting
            self.started.add(job.index)
            self.emit(FileStarted(job))
        result = result.replace(index=job.index)
        self.results[job.index] = result
        if worked:
            self.worked += 1
            destination.stop_if_destination_fails(result.error, self.cancel)  # full/read-only
        if result.status == "converted":
            self.bytes_in += result.bytes_in
            self.bytes_out += result.bytes_out
        by_path = {t.path: t for t in job.targets}
        for out in result.outputs:
            target = by_path.get(out.output) if out.output is not None else None
            if out.status == "converted" and target is not None:
                self.book.record(job.source, target.path, target.fingerprint)
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
