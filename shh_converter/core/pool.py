"""Worker processes for the runner: spawned processes, each with a fixed number of job slots.

A plain conversion batch runs one job per worker at a time. An AI batch runs one
worker with several slots (threads): the model and its interpreter are in memory
once, one inference runs at a time (see ``background.ai``), and the other slots decode,
cut out and encode meanwhile.

Each worker has its own pipe, so the runner always knows which files a worker is
on: when a worker dies (segfault, OOM killer, a test's ``os.kill``) or overruns
the per-file timeout, that file fails with a clear message, its temp file is
removed, and a fresh worker takes the dead one's place. When a worker that was on
several files dies, nobody knows which file did it: those files are tried again,
each alone in its worker ("suspects"), so only the guilty one fails.

``spawn`` everywhere, so Linux behaves like Windows, macOS and frozen PyInstaller
apps (``freeze_support`` in ``__main__`` starts the child there). Workers' log
records travel back over the same pipe and are replayed in the main process, so
log files and stderr get them.

This is the runner's (parent's) half; what runs inside a worker process is
:mod:`.pool_worker`.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import TYPE_CHECKING, Any

from .atomic import TEMP_PREFIX
from .jobs import (
    CANCELLED,
    Job,
    JobResult,
    OutputResult,
    failed_result,
    file_size,
    skipped_output,
    summarise,
)
from .pool_worker import SETTINGS, worker_main

if TYPE_CHECKING:
    from pathlib import Path

    from .settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Running:
    """A job a worker is on, and since when."""

    job: Job
    since: float  # time.monotonic(), for the per-file timeout (from when it started)
    since_wall: float  # time.time(), to compare with file times


class Worker:
    """One spawned process and the jobs it is on (at most ``slots``)."""

    def __init__(
        self,
        ctx: Any,
        settings: Settings,
        ai_threads: int | None = None,
        slots: int = 1,
        inferences: int = 1,
    ) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        level = logging.getLogger().getEffectiveLevel()
        self.proc = ctx.Process(
            target=worker_main,
            args=(child, settings, level, ai_threads, slots, inferences),
            name="shh-worker",
            daemon=True,
        )
        self.proc.start()
        child.close()  # so a dead worker shows up as EOF on our end
        self.settings = settings  # what its next jobs are converted with
        self.slots = slots  # files at a time now (a warm worker may be given fewer)
        self.spawned_slots = slots  # its thread pool's size: 1 runs files one after another
        self.ready = False
        self.exit_asked = False
        self.used = False  # given a file at least once
        self.running: dict[int, Running] = {}  # by job index

    def use(self, settings: Settings) -> None:
        """Convert the next jobs with ``settings`` (a warm worker kept for another batch)."""
        if settings != self.settings:
            self.settings = settings
            with contextlib.suppress(OSError):  # it died: collect() notices
                self.conn.send((SETTINGS, settings))

    @property
    def jobs(self) -> list[Job]:
        return [r.job for r in self.running.values()]

    def room(self, ahead: bool = False) -> int:
        """Files it may be given now: its slots, plus one queued behind when ``ahead``.

        Only a one-slot worker queues (it starts the next file the moment the last
        is done, without a round trip to the runner); a worker with several slots
        starts every file it is given at once, so the runner's memory admission
        must see each one.
        """
        return self.slots + (1 if ahead and self.spawned_slots == 1 else 0)

    def on_files(self) -> list[Running]:
        """The files it is working on now (not the one queued behind a one-slot worker's)."""
        items = list(self.running.values())
        return items[:1] if self.spawned_slots == 1 else items

    def next_started(self) -> None:
        """A one-slot worker just finished a file: the one queued behind it starts now."""
        if self.spawned_slots == 1 and self.running:
            item = next(iter(self.running.values()))
            item.since, item.since_wall = time.monotonic(), time.time()

    def give(self, job: Job) -> None:
        self.used = True
        self.running[job.index] = Running(job, time.monotonic(), time.time())
        with contextlib.suppress(OSError):  # it died: collect() notices and fails the job
            self.conn.send(job)

    def ask_to_exit(self) -> None:
        """Ask an idle worker to finish (once); :meth:`stop` then only waits for it."""
        if not self.exit_asked:
            self.exit_asked = True
            with contextlib.suppress(OSError):
                self.conn.send(None)

    def stop(self, *, kill: bool) -> None:
        if kill and self.proc.is_alive():
            self.proc.kill()
        elif not kill:
            self.ask_to_exit()
        self.proc.join(timeout=5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(timeout=5)
        self.conn.close()


class Pool:
    """A fixed number of workers, replaced when they die or overrun."""

    MAX_START_FAILURES = 3

    def __init__(
        self,
        size: int,
        settings: Settings,
        ai_threads: int | None = None,
        slots: int = 1,
        inferences: int = 1,
    ) -> None:
        self.settings, self.ai_threads, self.inferences = settings, ai_threads, inferences
        self.slots = slots  # what each worker is started with: the most it can take
        self.batch_slots = slots  # what the current batch gives each worker
        self.ctx = multiprocessing.get_context("spawn")
        self.workers = [self._new_worker() for _ in range(size)]
        self.start_failures = 0
        self._retry: list[Job] = []  # jobs to run again: their worker died for another file
        self.suspects: set[int] = set()  # job indexes that must run alone

    @property
    def size(self) -> int:
        return len(self.workers)

    @property
    def retry(self) -> list[Job]:
        """The jobs waiting to run again (a copy: :meth:`take_retries` hands them over)."""
        return list(self._retry)

    def take_retries(self) -> list[Job]:
        """Hand over the jobs to run again (their worker died or overran on another file)."""
        taken, self._retry = self._retry, []
        return taken

    def _new_worker(self) -> Worker:
        worker = Worker(self.ctx, self.settings, self.ai_threads, self.slots, self.inferences)
        worker.slots = self.batch_slots
        return worker

    def use(self, settings: Settings, size: int, slots: int) -> None:
        """Run the next batch with ``settings`` on ``size`` workers of ``slots`` files each.

        Warm workers are kept (told the new settings); extra ones exit, missing
        ones are started. ``slots`` must not exceed what the workers were started
        with (:meth:`fits` says so).
        """
        self.settings, self.batch_slots = settings, min(slots, self.slots)
        for worker in self.workers:
            worker.use(settings)
            worker.slots = self.batch_slots
        while len(self.workers) > size:
            self.workers.pop().stop(kill=False)
        while len(self.workers) < size:
            self.workers.append(self._new_worker())

    def fits(self, ai_threads: int | None, slots: int, inferences: int) -> bool:
        """Whether these workers can run a batch of this shape (else a fresh pool is needed)."""
        same_kind = (ai_threads, inferences) == (self.ai_threads, self.inferences)
        return same_kind and slots <= self.slots and all(w.proc.is_alive() for w in self.workers)

    def idle(self, ahead: bool = False) -> list[Worker]:
        """Started workers with a free slot (``ahead``: or room for a file queued behind)."""
        return [w for w in self.workers if w.ready and len(w.running) < w.room(ahead)]

    def can_take(self, worker: Worker, job: Job) -> bool:
        """Whether ``worker`` may start ``job`` now: a suspect runs alone."""
        if job.index in self.suspects:
            return not worker.running
        return not any(i in self.suspects for i in worker.running)

    def busy(self) -> bool:
        return any(w.running for w in self.workers)

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers if w.proc.pid is not None]

    def running_names(self) -> list[str]:
        return [job.source.name for w in self.workers for job in w.jobs]

    def collect(self, timeout: float) -> list[tuple[Job, JobResult]]:
        """Wait up to ``timeout`` for messages; return finished jobs (dead workers' too)."""
        done: list[tuple[Job, JobResult]] = []
        for conn in wait([w.conn for w in self.workers], timeout):
            worker = next(w for w in self.workers if w.conn is conn)
            try:
                kind, payload = worker.conn.recv()
            except (EOFError, OSError):
                done.extend(self._died(worker))
                continue
            if kind == "ready":
                worker.ready, self.start_failures = True, 0
            elif kind == "log":
                _relog(payload)
            elif kind == "done" and payload.index in worker.running:
                done.append((worker.running.pop(payload.index).job, payload))
                worker.next_started()
        return done

    def overdue(self, seconds: float) -> list[Job]:
        """Stop workers that spent longer than ``seconds`` on a file; return those jobs.

        Other files that worker was on are not to blame: they go to :meth:`take_retries`.
        """
        now = time.monotonic()
        late_jobs = []
        for worker in list(self.workers):
            late = [r.job for r in worker.on_files() if now - r.since > seconds]
            if not late or worker.conn.poll():  # a result already waiting is not late
                continue
            for job in late:
                log.warning(
                    "%s: took longer than %g s, stopping its worker", job.source.name, seconds
                )
            self._retry.extend(job for job in worker.jobs if job not in late)
            self._replace(worker)
            late_jobs.extend(late)
        return late_jobs

    def _died(self, worker: Worker) -> list[tuple[Job, JobResult]]:
        worker.proc.join(timeout=5)
        code = worker.proc.exitcode
        # A file queued behind the current one was not the cause: it just runs elsewhere.
        jobs = [r.job for r in worker.on_files()]
        self._retry.extend(job for job in worker.jobs if job not in jobs)
        if not worker.running and not worker.ready:
            self.start_failures += 1
            if self.start_failures > self.MAX_START_FAILURES:
                msg = f"worker processes cannot start (exit code {code})"
                raise RuntimeError(msg)
        self._replace(worker)
        if len(jobs) > 1:  # which one did it? Each runs again, alone.
            log.warning(
                "a worker process stopped (exit code %s) while on %d files; each is retried alone",
                code,
                len(jobs),
            )
            self.suspects.update(job.index for job in jobs)
            self._retry.extend(jobs)
            return []
        failed = []
        for job in jobs:
            log.error("%s: worker process stopped (exit code %s)", job.source.name, code)
            message = f"the worker process stopped unexpectedly (exit code {code}) on this file"
            failed.append((job, failed_result(job, message)))
        return failed

    def _replace(self, worker: Worker) -> None:
        jobs = worker.jobs
        worker.stop(kill=True)
        for job in jobs:
            for target in job.targets:
                remove_temps_for(target.path)
        self.workers[self.workers.index(worker)] = self._new_worker()

    def end_batch(self) -> list[tuple[Job, JobResult]]:
        """End a batch but keep the idle workers warm for the next one.

        Workers still on files (a cancel, a runner error) are stopped and replaced;
        returns the results that arrived and the fate of those files (see :meth:`close`).
        """
        finished = self.collect(0)
        results: list[tuple[Job, JobResult]] = []
        for worker in list(self.workers):
            running = list(worker.running.values())
            if not running:
                continue
            self._replace(worker)  # kills it and removes its temp files
            results.extend((item.job, _discarded(item.job, item.since_wall)) for item in running)
        self._retry, self.suspects = [], set()
        return finished + results

    def close(self) -> list[tuple[Job, JobResult]]:
        """Stop every worker; return results that arrived and the fate of unfinished jobs.

        A job stopped between writing its output and reporting it still counts as
        converted: its output is whole (written by ``os.replace``) and on disk.
        """
        finished = self.collect(0)
        results = []
        for worker in self.workers:  # tell every idle worker first: they exit in parallel
            if not worker.running:
                worker.ask_to_exit()
        for worker in self.workers:
            running = list(worker.running.values())
            # Started early but never needed (nothing to convert): do not wait for its imports.
            worker.stop(kill=bool(running) or not worker.used)
            for item in running:
                for target in item.job.targets:
                    remove_temps_for(target.path)
                results.append((item.job, _discarded(item.job, item.since_wall)))
        self.workers = []
        return finished + results


def _discarded(job: Job, since: float) -> JobResult:
    """A job stopped mid-way: outputs written since it started are whole and count."""
    outputs = []
    for target in job.targets:
        try:
            out = target.path.stat()
        except OSError:
            out = None
        if target.skip_reason:
            outputs.append(skipped_output(target))
        elif out is not None and out.st_mtime >= since:
            outputs.append(
                OutputResult(target.path, "converted", bytes_out=out.st_size, name=target.path.name)
            )
        else:
            outputs.append(OutputResult(None, "failed", CANCELLED, name=target.path.name))
    base = JobResult(job.source, None, "failed", bytes_in=file_size(job.source), index=job.index)
    return summarise(base, outputs)


def remove_temps_for(output: Path) -> None:
    """Delete the temp files a stopped worker left for ``output`` (``.shh-partial-*-NAME``)."""
    try:
        entries = list(output.parent.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith("-" + output.name):
            try:
                entry.unlink()
            except OSError as exc:
                log.warning("could not remove unfinished %s: %s", entry.name, exc)


def _relog(record: dict[str, Any]) -> None:
    """Replay a worker's log record in this process (so log files and stderr get it)."""
    rec = logging.makeLogRecord(record)
    logger = logging.getLogger(rec.name)
    if logger.isEnabledFor(rec.levelno):
        logger.handle(rec)
