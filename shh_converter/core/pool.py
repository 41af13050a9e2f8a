"""Worker processes for the runner: one spawned process per worker, one job at a time.

Each worker has its own pipe, so the runner always knows which file a worker is on:
when a worker dies (segfault, OOM killer, a test's ``os.kill``) or overruns the
per-file timeout, that file fails with a clear message, its temp file is removed,
and a fresh worker takes the dead one's place. ``spawn`` everywhere, so Linux
behaves like Windows, macOS and frozen PyInstaller apps (``freeze_support`` in
``__main__`` starts the child there). Workers' log records travel back over the
same pipe and are replayed in the main process, so log files and stderr get them.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from .atomic import TEMP_PREFIX
from .jobs import Job, JobResult, file_size
from .settings import Settings

log = logging.getLogger(__name__)


def failed_result(job: Job, message: str) -> JobResult:
    """A failed result for ``job`` that wrote nothing."""
    return JobResult(
        source=job.source,
        output=None,
        status="failed",
        error=message,
        bytes_in=file_size(job.source),
        index=job.index,
    )


class Worker:
    """One spawned process and the job it is on (at most one)."""

    def __init__(self, ctx: Any, settings: Settings, ai_threads: int | None = None) -> None:
        self.conn, child = ctx.Pipe(duplex=True)
        level = logging.getLogger().getEffectiveLevel()
        self.proc = ctx.Process(
            target=worker_main,
            args=(child, settings, level, ai_threads),
            name="shh-worker",
            daemon=True,
        )
        self.proc.start()
        child.close()  # so a dead worker shows up as EOF on our end
        self.ready = False
        self.exit_asked = False
        self.job: Job | None = None
        self.since = 0.0
        self.since_wall = 0.0  # to compare with file times

    def give(self, job: Job) -> None:
        self.job, self.since, self.since_wall = job, time.monotonic(), time.time()
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

    def __init__(self, size: int, settings: Settings, ai_threads: int | None = None) -> None:
        self.size, self.settings, self.ai_threads = size, settings, ai_threads
        self.ctx = multiprocessing.get_context("spawn")
        self.workers = [Worker(self.ctx, settings, ai_threads) for _ in range(size)]
        self.start_failures = 0

    def idle(self) -> list[Worker]:
        return [w for w in self.workers if w.ready and w.job is None]

    def busy(self) -> bool:
        return any(w.job is not None for w in self.workers)

    def pids(self) -> list[int]:
        return [w.proc.pid for w in self.workers if w.proc.pid is not None]

    def running_names(self) -> list[str]:
        return [w.job.source.name for w in self.workers if w.job is not None]

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
            elif kind == "done" and worker.job is not None:
                done.append((worker.job, payload))
                worker.job = None
        return done

    def overdue(self, seconds: float) -> list[Job]:
        """Stop workers that spent longer than ``seconds`` on their file; return those jobs."""
        now = time.monotonic()
        late = [
            w
            for w in self.workers  # a result already waiting in the pipe is not late
            if w.job is not None and now - w.since > seconds and not w.conn.poll()
        ]
        jobs = []
        for worker in late:
            job = worker.job
            assert job is not None
            log.warning("%s: took longer than %g s, stopping its worker", job.source.name, seconds)
            self._replace(worker)
            jobs.append(job)
        return jobs

    def _died(self, worker: Worker) -> list[tuple[Job, JobResult]]:
        worker.proc.join(timeout=5)
        code = worker.proc.exitcode
        job = worker.job
        if job is None and not worker.ready:
            self.start_failures += 1
            if self.start_failures > self.MAX_START_FAILURES:
                raise RuntimeError(f"worker processes cannot start (exit code {code})")
        self._replace(worker)
        if job is None:
            return []
        log.error("%s: worker process stopped (exit code %s)", job.source.name, code)
        message = f"the worker process stopped unexpectedly (exit code {code}) on this file"
        return [(job, failed_result(job, message))]

    def _replace(self, worker: Worker) -> None:
        job = worker.job
        worker.stop(kill=True)
        if job is not None:
            remove_temps_for(job.output)
        self.workers[self.workers.index(worker)] = Worker(self.ctx, self.settings, self.ai_threads)

    def close(self) -> list[tuple[Job, JobResult]]:
        """Stop every worker; return results that arrived and the fate of unfinished jobs.

        A job stopped between writing its output and reporting it still counts as
        converted: its output is whole (written by ``os.replace``) and on disk.
        """
        finished = self.collect(0)
        results = []
        for worker in self.workers:  # tell every idle worker first: they exit in parallel
            if worker.job is None:
                worker.ask_to_exit()
        for worker in self.workers:
            job = worker.job
            worker.stop(kill=job is not None)
            if job is not None:
                remove_temps_for(job.output)
                results.append((job, _discarded(job, worker.since_wall)))
        self.workers = []
        return finished + results


def _discarded(job: Job, since: float) -> JobResult:
    try:
        out = job.output.stat()
    except OSError:
        return failed_result(job, "cancelled before it finished")
    if out.st_mtime < since:
        return failed_result(job, "cancelled before it finished")
    done = failed_result(job, "")
    return done.replace(status="converted", error=None, output=job.output, bytes_out=out.st_size)


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


class _PipeLogHandler(logging.Handler):
    """In a worker: send log records to the runner over the job pipe.

    The handler's lock also guards the worker's own sends (:meth:`send`), since the
    native-stderr thread logs while the main thread may be sending a result.
    """

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        self.conn = conn

    def send(self, message: tuple[str, Any]) -> None:
        self.acquire()
        try:
            self.conn.send(message)
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            data = dict(record.__dict__, msg=record.getMessage(), args=None, exc_info=None)
            self.conn.send(("log", data))  # emit() already runs under the handler's lock
        except Exception:
            self.handleError(record)


def _capture_native_stderr() -> None:
    """C libraries (libtiff) write warnings straight to fd 2; make them DEBUG log lines.

    Otherwise a batch over odd TIFFs floods the terminal even with ``--quiet``.
    """
    try:
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, 2)
        os.close(write_fd)
    except OSError:  # no usable fd 2 (a windowed app): nothing to capture
        return
    native = logging.getLogger("shh_converter.native")

    def pump() -> None:
        with os.fdopen(read_fd, "r", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                native.debug("%s", line.rstrip())

    threading.Thread(target=pump, name="native-stderr", daemon=True).start()


def worker_main(
    conn: Connection, settings: Settings, log_level: int, ai_threads: int | None = None
) -> None:
    """Body of a worker process: convert the jobs it is sent, one at a time."""
    if ai_threads:  # read by bg_ai when the first model session is made
        from .bg_ai import THREADS_ENV

        os.environ[THREADS_ENV] = str(ai_threads)
    # Ctrl-C reaches the whole process group; the runner decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler = _PipeLogHandler(conn)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level)
    logging.captureWarnings(True)  # Pillow's UserWarnings become log records, not stray stderr
    _capture_native_stderr()
    from .convert import convert_job  # the heavy imports happen here, once per worker

    try:
        handler.send(("ready", os.getpid()))
        while (job := conn.recv()) is not None:
            handler.send(("done", convert_job(job, settings)))
    except (EOFError, OSError):
        return  # the runner went away (closed, or killed): its output is whole anyway
