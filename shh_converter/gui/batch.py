"""One batch at a time: the engine's batch entry point in a worker thread, its events shown.

The worker thread only calls ``post`` (the UI queue); :meth:`BatchSession.handle`
runs on the Tk thread and updates the file list and the progress panel; it handles
every event type of :data:`shh_converter.core.events.EVENT_TYPES` (a test holds it
to that). Whatever happens in the worker, a ``BatchFinished`` reaches the window,
so the Convert button always comes back.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import srcset
from ..core.errors import ConversionError, UsageError
from ..core.events import (
    BatchFinished,
    BatchPlanned,
    BatchStarted,
    CancelToken,
    Event,
    FileFinished,
    FileStarted,
    Progress,
)
from ..core.jobs import NOT_AN_IMAGE, Job, JobResult, was_cancelled
from ..i18n import _
from . import backend
from .filelist import QUEUED, WORKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from ..core.recipe import Recipe
    from .view import View

log = logging.getLogger(__name__)


def row_status(result: JobResult) -> tuple[str, str]:
    """(tag, text) for a finished file's row."""
    if was_cancelled(result):  # stopped by the user's cancel: not the file's failure
        return "cancelled", _("cancelled")
    if result.status == "converted":
        made = sum(o.status == "converted" for o in result.outputs)
        text = _("done: {n} outputs").format(n=made) if made > 1 else _("done")
        note = next((o.note for o in result.outputs if o.note), None)
        return "done", f"{text} ({note})" if note else text
    if result.status == "skipped":
        if result.error == NOT_AN_IMAGE:  # as listed when the folder was added
            return "skipped", _("not an image, skipped")
        if result.error:
            return "skipped", _("skipped: {reason}").format(reason=result.error)
        return "skipped", _("skipped")
    return "failed", _("failed: {reason}").format(reason=result.error or _("unknown error"))


def _key(path: Path) -> str:
    return os.path.normcase(os.path.abspath(path))


class WarmWorkers:
    """The window's worker processes, kept from one batch to the next.

    The next Convert then starts on workers that have already imported the engine
    (and loaded the AI model): ~0.2-0.3 s sooner for a plain batch, the model's
    load sooner for an AI one. Let go :attr:`idle_seconds` after the last batch,
    so a window left open does not hold their memory, and when the window closes.
    """

    def __init__(self, idle_seconds: float = 120.0) -> None:
        self.idle_seconds = idle_seconds
        self._lock = threading.Lock()
        self._runner: Any = None  # core.runner.BatchRunner, made at the first batch
        self._busy = False
        self._timer: threading.Timer | None = None

    @contextlib.contextmanager
    def lease(self) -> Iterator[Any]:
        """The runner for one batch (one at a time); its idle clock starts when it ends."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._runner is None:
                from ..core.runner import BatchRunner  # not at the window's start-up

                self._runner = BatchRunner()
            self._busy = True
            runner = self._runner
        try:
            yield runner
        finally:
            with self._lock:
                self._busy = False
                self._timer = threading.Timer(self.idle_seconds, self.release)
                self._timer.daemon = True
                self._timer.start()

    def pids(self) -> list[int]:
        """The warm workers' process ids (none once let go)."""
        with self._lock:
            return list(self._runner.worker_pids()) if self._runner is not None else []

    def release(self) -> None:
        """Stop the workers now, unless a batch is on them (then its end restarts the clock)."""
        with self._lock:
            if self._busy or self._runner is None:
                return
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            runner, self._runner = self._runner, None
        runner.close()
        log.info("warm worker processes stopped")


class BatchSession:
    """Starts, cancels and follows batches; ``view`` is the main window's frames."""

    def __init__(
        self, view: View, post: Callable[[Any], None], on_finished: Callable[[BatchFinished], None]
    ) -> None:
        self.view = view
        self._post = post
        self._on_finished = on_finished
        self.cancel_token: CancelToken | None = None
        self.thread: threading.Thread | None = None
        self.warm = WarmWorkers()
        self.last: BatchFinished | None = None
        self.cancel_requested_at: float | None = None
        self.finished_at: float | None = None
        self._paths: dict[int, Path] = {}
        self._files: list[Path] = []
        self._dest = Path()
        # Each event type the engine sends and what shows it (a test checks it is complete).
        self.handlers: dict[type, Callable[[Any], None]] = {
            BatchPlanned: lambda e: self._map_jobs(e.jobs),
            BatchStarted: lambda e: self.view.progress.start(e.total),
            FileStarted: self._file_started,
            FileFinished: self._file_finished,
            Progress: lambda e: self.view.progress.update_progress(e),
            BatchFinished: self._finish,
        }

    @property
    def running(self) -> bool:
        return self.cancel_token is not None

    def start(
        self,
        roots: list[Path],
        files: list[Path],
        dest: Path,
        recipe: Recipe,
        *,
        cfg: Any,
        monitor: Any = None,
    ) -> None:
        """Convert the listed ``files`` (found under ``roots``) into ``dest`` (Tk thread only)."""
        if self.running:
            return
        self._files = list(files)
        self._paths = {}
        self._dest = dest
        self.cancel_token = token = CancelToken()
        self.cancel_requested_at = self.finished_at = None
        self.view.files.reset_statuses(files)
        self.view.progress.start(len(files))
        names = ", ".join(p.name for p in files[:5]) + (" …" if len(files) > 5 else "")
        formats = ", ".join(o.encode.format.value for o in recipe.outputs)
        log.info("batch started: %d file(s) -> %s (%s): %s", len(files), dest, formats, names)
        self.thread = threading.Thread(
            target=self._work,
            args=(roots, files, dest, recipe, token, cfg, monitor),
            name="batch",
            daemon=True,
        )
        self.thread.start()

    def cancel(self) -> None:
        if self.cancel_token is None or self.cancel_token.cancelled:
            return
        self.cancel_requested_at = time.perf_counter()
        self.cancel_token.cancel()
        self.view.progress.cancelling()
        log.info("batch cancel requested by the user")

    def _work(
        self,
        roots: list[Path],
        files: list[Path],
        dest: Path,
        recipe: Recipe,
        token: CancelToken,
        cfg: Any,
        monitor: Any,
    ) -> None:
        """Worker thread: never touches Tk, only posts."""
        start = time.monotonic()
        try:
            dest.mkdir(parents=True, exist_ok=True)
            with self.warm.lease() as warm:
                backend.run_batch(
                    roots,
                    files,
                    dest,
                    recipe,
                    self._post,
                    token,
                    cfg=cfg,
                    monitor=monitor,
                    warm=warm,
                )
        except (ConversionError, UsageError, OSError) as exc:  # incl. a model that cannot start
            log.warning("batch could not run: %s", exc)
            self._post(
                BatchFinished("gui", (), token.cancelled, time.monotonic() - start, error=str(exc))
            )
        except Exception as exc:  # a bug: the window still gets its BatchFinished
            log.exception("batch failed")
            self._post(
                BatchFinished(
                    "gui",
                    (),
                    token.cancelled,
                    time.monotonic() - start,
                    error=f"internal error: {type(exc).__name__}: {exc}",
                )
            )

    # -- Tk thread ---------------------------------------------------------------

    def handle(self, msg: Event) -> None:
        """Show one batch event in the window."""
        self.handlers[type(msg)](msg)

    def _file_started(self, msg: FileStarted) -> None:
        path = self._path(msg.job.index, msg.job.source)
        self.view.files.set_status(path, "working")
        self.view.files.show(path)
        self.view.progress.set_current(msg.job.source.name)

    def _file_finished(self, msg: FileFinished) -> None:
        r = msg.result
        tag, text = row_status(r)
        path = self._path(r.index, r.source)
        bytes_out = r.bytes_out if r.status == "converted" else None
        self.view.files.set_status(
            path, tag, text=text, bytes_out=bytes_out, dims=r.input_size, output=r.output
        )
        if len(r.outputs) > 1:
            self.view.files.show_outputs(path, r.outputs)

    def _map_jobs(self, jobs: tuple[Job, ...]) -> None:
        """Job index -> the listed path (the planner makes sources absolute)."""
        listed = {_key(p): p for p in self._files}
        for job in jobs:
            self._paths[job.index] = listed.get(_key(job.source), job.source)

    def _path(self, index: int, source: Path) -> Path:
        return self._paths.get(index, source)

    def _html_of(self, done: BatchFinished) -> Callable[[], str] | None:
        """What *Copy HTML* copies: the ``<picture>`` of each input with several widths."""
        sets = [r for r in done.results if sum(o.output is not None for o in r.outputs) > 1]
        if not sets:
            return None
        dest = self._dest

        def make() -> str:
            found = (srcset.for_result(r, dest) for r in sets)
            return "\n\n".join(html for html in found if html)

        return make

    def _finish(self, done: BatchFinished) -> None:
        self.finished_at = time.perf_counter()
        self.last = done
        self.cancel_token = None
        finished = {self._path(r.index, r.source) for r in done.results}
        for path in self._files:  # rows the batch never reached
            if path not in finished and self.view.files.status_of(path) in (QUEUED, WORKING):
                self.view.files.set_status(
                    path,
                    "cancelled" if done.cancelled else "skipped",
                    text=_("not converted (cancelled)") if done.cancelled else _("not converted"),
                )
        self.view.progress.finish(done)
        self.view.outputs.offer_html(self._html_of(done))
        what = "cancelled" if done.cancelled else "finished"
        log.info(
            "batch %s: %d converted, %d skipped, %d failed, %d -> %d bytes in %.1f s%s",
            what,
            done.converted,
            done.skipped,
            done.failed,
            done.bytes_in,
            done.bytes_out,
            done.elapsed,
            f" (error: {done.error})" if done.error else "",
        )
        self._on_finished(done)
