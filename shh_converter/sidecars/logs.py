"""Logging: a rotating file in ``paths.log_dir``, console output only for the CLI.

:func:`setup` is called once at start-up (``startup.startup`` for the CLI,
``gui.app`` for the window; calling it again replaces its own handlers). Every
line has time, level, thread, logger and message, plus ``[batch <id>]`` while a
batch runs; the user's home folder is written as ``~`` (file names stay).

Per-batch logging: pass an :class:`EventLogger` (or :func:`log_event`) as, or
inside, the runner's ``on_event`` callback. It logs each conversion (file name,
result, time, memory), each background-removal attempt (file, success, time,
error) and the batch summary, and tags every line of the batch with its id.
The GUI logs user actions with :func:`log_user_action`.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import logging.handlers
import sys
import threading
import time
from typing import TYPE_CHECKING

from .. import paths
from ..core.events import BatchFinished, BatchStarted, Event, FileFinished, FileStarted

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from ..core.settings import Settings
    from .config import Config
    from .memory import MemoryMonitor

log = logging.getLogger(__name__)

LOG_FILE = "shh-converter.log"
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 5
FILE_FORMAT = "%(asctime)s %(levelname)-7s [%(threadName)s] %(name)s:%(batch)s %(message)s"
CONSOLE_FORMAT = "shh-converter: %(levelname)s: %(message)s"
MAX_CRASH_REPORTS = 5  # per batch: one bug hitting every file must not flood the folder

# The batch id of the current thread's batch; the process-wide fallback covers
# helper threads of the runner that did not inherit the context.
_batch_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("batch", default=None)
_active_batch: str | None = None
_lock = threading.Lock()
_installed: list[logging.Handler] = []  # what setup() added to the root logger


class _BatchFilter(logging.Filter):
    """Adds ``record.batch`` (" [batch <id>]" or "") to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        batch = _batch_var.get() or _active_batch
        record.batch = f" [batch {batch}]" if batch else ""
        return True


class RedactingFormatter(logging.Formatter):
    """A formatter that writes the home folder as ``~`` (message and traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "batch"):
            record.batch = ""
        return paths.redact_home(super().format(record))


def setup(
    kind: str = "cli", verbose: bool = False, cfg: Config | None = None, quiet: bool = False
) -> Path | None:
    """Install the file log (and, for ``kind="cli"``, the console log). Returns the log file.

    Debug level when ``verbose`` or the config's ``ui.enable_debug_mode``. The console
    shows warnings (errors only with ``quiet``, everything with ``verbose``) but not the
    per-file lines of this module: the CLI prints its own per-file output. A log folder
    that cannot be written does not stop the app: the file log is then skipped.
    """
    debug = verbose or _config_debug(cfg)
    root = logging.getLogger()
    for handler in [h for h in root.handlers if h in _installed]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    logging.getLogger("PIL").setLevel(logging.INFO)  # PIL's debug lines drown ours
    logging.captureWarnings(True)
    log_file = _add_file_handler(root)
    if kind == "cli":
        console = logging.StreamHandler(sys.stderr)
        console.setLevel(logging.ERROR if quiet else logging.DEBUG if verbose else logging.WARNING)
        console.setFormatter(RedactingFormatter(CONSOLE_FORMAT))
        console.addFilter(lambda record: record.name != __name__)
        _install(root, console)
    log.debug("logging set up (%s, debug=%s)", kind, debug)
    return log_file


def _config_debug(cfg: Config | None) -> bool:
    try:
        return bool(cfg.get("ui.enable_debug_mode")) if cfg is not None else False
    except (KeyError, ValueError):
        return False


class SharedRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Rotation that tolerates another process holding the file (the window and a CLI).

    On Windows an open log cannot be renamed; the stock handler then prints a
    "Logging error" traceback for every later line. This one keeps writing to the
    current file and tries to rotate again a minute later.
    """

    retry_after = 60.0
    _blocked_until = 0.0

    def shouldRollover(self, record: logging.LogRecord) -> int:
        if time.monotonic() < self._blocked_until:
            return 0
        return super().shouldRollover(record)

    def doRollover(self) -> None:
        try:
            super().doRollover()
        except OSError:
            self._blocked_until = time.monotonic() + self.retry_after
            if self.stream is None or self.stream.closed:
                self.stream = self._open()


def _add_file_handler(root: logging.Logger) -> Path | None:
    log_file = paths.log_dir / LOG_FILE
    try:
        paths.ensure(paths.log_dir)
        handler = SharedRotatingFileHandler(
            log_file,
            maxBytes=MAX_BYTES,
            backupCount=BACKUPS,
            encoding="utf-8",
            errors="backslashreplace",  # a POSIX file name that is not UTF-8 never breaks a line
        )
    except OSError as exc:
        print(f"shh-converter: cannot write the log file: {exc}", file=sys.stderr)
        return None
    handler.setFormatter(RedactingFormatter(FILE_FORMAT))
    _install(root, handler)
    return log_file


def _install(root: logging.Logger, handler: logging.Handler) -> None:
    _installed[:] = [h for h in _installed if h in root.handlers] + [handler]
    handler.addFilter(_BatchFilter())
    root.addHandler(handler)


def installed_handlers() -> list[logging.Handler]:
    """The handlers :func:`setup` installed that are still on the root logger."""
    return [h for h in logging.getLogger().handlers if h in _installed]


def flush() -> None:
    """Flush every handler (shutdown calls this before the process exits)."""
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()


# -- batch tagging -------------------------------------------------------------------


def begin_batch(batch_id: str) -> None:
    """Tag the following lines (this thread and, as a fallback, all threads) with ``batch_id``."""
    global _active_batch
    with _lock:
        _active_batch = batch_id
    _batch_var.set(batch_id)


def end_batch() -> None:
    global _active_batch
    with _lock:
        _active_batch = None
    _batch_var.set(None)


@contextlib.contextmanager
def batch_context(batch_id: str) -> Iterator[None]:
    """``with batch_context(id):`` tags the lines logged inside with the batch id."""
    token = _batch_var.set(batch_id)
    try:
        yield
    finally:
        _batch_var.reset(token)


# -- what the review asks to be logged -------------------------------------------------


def log_conversion(
    name: str,
    status: str,
    seconds: float | None,
    memory_mb: float | None,
    error: str | None = None,
) -> None:
    """One line per file: name, result and (with performance logging) time and memory."""
    perf = ""
    if seconds is not None:
        memory = f"{memory_mb:.0f} MB" if memory_mb is not None else "n/a"
        perf = f" in {seconds:.2f}s (memory {memory})"
    if status == "failed":
        log.warning("file %s: failed%s: %s", name, perf, error)
    else:
        log.info("file %s: %s%s%s", name, status, perf, f" ({error})" if error else "")


def log_background_removal(
    name: str, success: bool, seconds: float, error: str | None = None
) -> None:
    """One line per background-removal attempt: file, success, time, error."""
    if success:
        log.info("background removal %s: ok in %.2fs", name, seconds)
    else:
        log.warning("background removal %s: failed after %.2fs: %s", name, seconds, error)


def log_user_action(action: str, **details: object) -> None:
    """A user action in the GUI ("convert clicked", "preset saved"...), for support."""
    text = " ".join(f"{k}={v}" for k, v in details.items())
    log.info("user: %s%s", action, f" ({text})" if text else "")


class EventLogger:
    """Logs a batch's events; call it with each runner event (it is an ``on_event``).

    ``settings`` tells whether background removal was attempted; ``monitor`` (a
    :class:`~shh_converter.sidecars.memory.MemoryMonitor`) supplies memory figures and the
    end-of-batch summary (average time per file, success rate, peak memory).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        monitor: MemoryMonitor | None = None,
        perf: bool = True,
    ) -> None:
        self.settings, self.monitor, self.perf = settings, monitor, perf
        self.crash_reports: list[Path] = []  # reports written for bugs in this batch

    def __call__(self, event: Event) -> None:
        try:
            self._handle(event)
        except Exception:  # logging must never break a batch
            log.debug("could not log %r", event, exc_info=True)

    def _handle(self, event: Event) -> None:
        if isinstance(event, BatchStarted):
            begin_batch(event.batch_id)
            self.crash_reports = []
            log.info("batch started: %d file(s), %d worker(s)", event.total, event.workers)
        elif isinstance(event, FileStarted):
            log.debug("file %s: started", event.job.source.name)
        elif isinstance(event, FileFinished):
            self._file_finished(event)
        elif isinstance(event, BatchFinished):
            self._batch_finished(event)

    def _file_finished(self, event: FileFinished) -> None:
        result = event.result
        # At most a second old: the thread's sample may predate the workers, and a
        # fresh one per file (a walk of the process table) would slow small files.
        memory = self.monitor.latest(max_age=1.0).rss_mb if self.monitor and self.perf else None
        if self.monitor is not None:
            self.monitor.record(result)
        seconds = result.seconds if self.perf else None
        log_conversion(result.source.name, result.status, seconds, memory, result.error)
        if result.details and result.status == "failed":
            log.debug("details for %s:\n%s", result.source.name, result.details)
        if result.status == "failed" and len(self.crash_reports) < MAX_CRASH_REPORTS:
            from . import crash  # a bug or a dead worker (not a bad file) gets a report

            report = crash.report_failed_result(result, self.settings)
            if report is not None:
                self.crash_reports.append(report)
        bg = self.settings.background_removal if self.settings is not None else None
        if bg is not None and bg.enabled and result.status != "skipped":
            ok = result.status == "converted"
            log_background_removal(result.source.name, ok, result.seconds, result.error)

    def _batch_finished(self, event: BatchFinished) -> None:
        peak = f"{event.peak_rss_mb:.0f} MB" if event.peak_rss_mb is not None else "n/a"
        log.info(
            "batch finished%s in %.1fs: %d converted, %d skipped, %d failed, peak memory %s",
            " (cancelled)" if event.cancelled else "",
            event.elapsed,
            event.converted,
            event.skipped,
            event.failed,
            peak,
        )
        if event.error:
            log.error("batch runner failed: %s", event.error)
        if self.monitor is not None:
            self.monitor.log_summary()
        end_batch()


def log_event(event: Event) -> None:
    """Log one runner event with no settings or monitor (see :class:`EventLogger`)."""
    _DEFAULT(event)


_DEFAULT = EventLogger()
