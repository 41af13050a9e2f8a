"""The worker process's half of the pool: what runs inside each spawned worker.

:func:`worker_main` is the body of every worker process that :mod:`.pool` (the
runner's half) starts: it converts the jobs it is sent over its pipe, up to its
number of slots at a time, and sends back its results and its log records over
the same pipe, so the runner always knows which files it is on. Kept apart
from the parent's half so what runs in which process is plain from the file.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from .jobs import Job
    from .settings import Settings


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


def return_big_blocks_to_the_os() -> None:
    """glibc (Linux) only: serve image-sized blocks from mmap, never from the heap.

    glibc raises its mmap threshold after big blocks are freed and gives each
    thread its own heap, so an AI worker (threads for files, onnxruntime's own)
    keeps freed image buffers resident (measured: +30-60 MB RSS on the benchmark's
    AI batch). A fixed threshold turns that off. Windows' and macOS's allocators
    already return big blocks; elsewhere this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, libc's among them
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):  # musl or another libc without mallopt
        return


M_MMAP_THRESHOLD = -3  # glibc's mallopt() parameter number
MMAP_THRESHOLD_BYTES = 4 * 2**20


SETTINGS = "settings"  # message tag: the settings for the jobs that follow


def worker_main(
    conn: Connection,
    settings: Settings,
    log_level: int,
    ai_threads: int | None = None,
    slots: int = 1,
    inferences: int = 1,
) -> None:
    """Body of a worker process: convert the jobs it is sent, up to ``slots`` at a time.

    Messages from the runner: a :class:`Job`; ``(SETTINGS, settings)`` for the
    jobs after it (a warm worker kept for the next batch); ``None``: exit.
    """
    if ai_threads:  # read by background.ai when the first model session is made
        from .background.ai import INFERENCES_ENV, THREADS_ENV

        os.environ[THREADS_ENV] = str(ai_threads)
        os.environ[INFERENCES_ENV] = str(inferences)
    # Ctrl-C reaches the whole process group; the runner decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    handler = _PipeLogHandler(conn)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(log_level)
    logging.captureWarnings(True)  # Pillow's UserWarnings become log records, not stray stderr
    _capture_native_stderr()
    if ai_threads or slots > 1:
        return_big_blocks_to_the_os()
    from .convert import convert_job  # the heavy imports happen here, once per worker

    if ai_threads:  # an AI batch: load the model while the first files are decoded
        from .background.ai import warm_up

        warm_up(settings.background_removal.model)
    with contextlib.suppress(OSError):  # the runner went away: recv() below notices
        handler.send(("ready", os.getpid()))

    def convert_and_report(job: Job, settings: Settings) -> None:
        with contextlib.suppress(OSError):  # the runner went away: the output is whole anyway
            handler.send(("done", convert_job(job, settings)))

    jobs = ThreadPoolExecutor(slots, thread_name_prefix="job") if slots > 1 else None
    try:
        while (message := conn.recv()) is not None:
            if isinstance(message, tuple) and message[0] == SETTINGS:
                settings = message[1]
            elif jobs is None:
                convert_and_report(message, settings)
            else:  # the runner sends a job only when a slot is free, so it starts at once
                jobs.submit(convert_and_report, message, settings)
    except (EOFError, OSError):
        return  # the runner went away (closed, or killed): its output is whole anyway
    finally:
        if jobs is not None:
            jobs.shutdown(wait=True)
