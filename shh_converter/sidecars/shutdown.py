"""Graceful shutdown: one ordered, idempotent routine, finished within 5 s.

Order (architecture rule 11), each step guarded so one failure does not stop the rest:

1. set the closing flag (``shutdown.closing``): the GUI and CLI start no new work;
2. cancel the running batch (its :class:`CancelToken`): no new files start, files in
   flight finish or are discarded whole (the runner's contract);
3. join the batch thread with a timeout; after it, call the batch's ``terminate``
   (kill the workers) and note the shutdown as forced;
4. join the helper threads (the update check) briefly;
5. run the registered clean-ups in reverse order: the window registers saving the
   config first, so it runs last, after stopping the memory monitor, the watches,
   the warm workers and the preview thread;
6. flush the logs.

Call points: the GUI's window close (after "Cancel the batch and quit?") calls
:meth:`Shutdown.run` then destroys the window; ``install_signal_handlers`` makes
SIGINT/SIGTERM (and SIGBREAK on Windows) request the same. The CLI calls
:func:`forward_terminate_to_interrupt` (from ``startup``): SIGTERM takes the
CLI's Ctrl-C path (batch cancelled, exit code 130). Signal handlers can
only be installed from the main thread; elsewhere the call is a logged no-op.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from typing import TYPE_CHECKING

from . import logs

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..core.events import CancelToken

log = logging.getLogger(__name__)

DEADLINE = 5.0  # seconds for the whole routine
RESERVED = 1.0  # of which kept for the steps after joining the workers


class Shutdown:
    """The app's shutdown routine: ``run_app`` makes one and hands it to the window."""

    def __init__(self, deadline: float = DEADLINE) -> None:
        self.deadline = deadline
        self.closing = threading.Event()
        self.forced = False
        self._cleanups: list[tuple[str, Callable[[], object]]] = []
        self._threads: list[threading.Thread] = []
        self._batch: tuple[CancelToken, threading.Thread | None, Callable[[], object] | None] | None
        self._batch = None
        self._lock = threading.Lock()
        self._ran = False

    # -- what there is to stop -------------------------------------------------------

    def register(self, name: str, func: Callable[[], object]) -> Callable[[], object]:
        """Add a clean-up; clean-ups run once, newest first."""
        with self._lock:
            self._cleanups.append((name, func))
        return func

    def track_thread(self, thread: threading.Thread) -> None:
        """A helper thread (update check...) to join briefly at shutdown."""
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]

    def attach_batch(
        self,
        token: CancelToken,
        thread: threading.Thread | None = None,
        terminate: Callable[[], object] | None = None,
    ) -> None:
        """The running batch: its cancel token, the thread running it, how to force it."""
        self._batch = (token, thread, terminate)

    def detach_batch(self) -> None:
        self._batch = None

    @property
    def is_closing(self) -> bool:
        return self.closing.is_set()

    # -- the routine ---------------------------------------------------------------------

    def request(self) -> None:
        """The cheap first steps (flag + cancel); safe from a signal handler."""
        self.closing.set()
        if self._batch is not None:
            self._batch[0].cancel()

    def run(self) -> bool:
        """Shut down in order; returns True when everything stopped in time (False: forced).

        Idempotent: a second call (another signal, a second close) returns at once.
        """
        with self._lock:
            if self._ran:
                return not self.forced
            self._ran = True
        ends = time.monotonic() + self.deadline
        log.info("shutting down")
        self.request()
        self._step("join the batch", lambda: self._join_batch(ends))
        self._step("join helper threads", lambda: self._join_threads(ends))
        with self._lock:
            cleanups, self._cleanups = list(reversed(self._cleanups)), []
        for name, func in cleanups:
            self._step(name, func)
        log.info("shut down%s", " (forced)" if self.forced else "")
        logs.flush()
        return not self.forced

    def _step(self, name: str, func: Callable[[], object]) -> None:
        try:
            func()
        except Exception:
            log.exception("shutdown step failed: %s", name)

    def _join_batch(self, ends: float) -> None:
        if self._batch is None:
            return
        _token, thread, terminate = self._batch
        if thread is not None and thread is not threading.current_thread():
            thread.join(max(0.0, ends - RESERVED - time.monotonic()))
            if thread.is_alive():
                self.forced = True
                log.warning("the batch did not stop in time: forcing it")
                if terminate is not None:
                    terminate()

    def _join_threads(self, ends: float) -> None:
        for thread in self._threads:
            # Helper threads are daemons with their own timeouts: wait a little, never long.
            thread.join(max(0.0, min(0.5, ends - RESERVED - time.monotonic())))

    # -- signals ---------------------------------------------------------------------------

    def install_signal_handlers(self, on_signal: Callable[[int], None] | None = None) -> bool:
        """SIGINT/SIGTERM (SIGBREAK on Windows) request shutdown, then call ``on_signal(signum)``.

        Without ``on_signal`` the handler runs the routine and exits the process with
        code 0 (:meth:`exit`). A GUI passes a function that schedules :meth:`run` on
        its own loop. Returns False when not on the main thread (nothing installed).
        """
        if threading.current_thread() is not threading.main_thread():
            log.debug("signal handlers not installed: not the main thread")
            return False

        def handler(signum: int, _frame: object) -> None:
            log.info("signal %s received", signal.Signals(signum).name)
            if self._ran:  # a second signal while shutting down: stop now
                self.exit(0, force=True)
            self.request()
            if on_signal is not None:
                on_signal(signum)
            else:
                self.run()
                self.exit(0)

        for name in ("SIGINT", "SIGTERM", "SIGBREAK"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), handler)
        return True

    def exit(self, code: int = 0, force: bool | None = None) -> None:
        """Leave the process with ``code``; skips waiting for stuck threads when forced."""
        logs.flush()
        if self.forced if force is None else force:
            os._exit(code)  # a stuck non-daemon thread would block a normal exit
        raise SystemExit(code)


def forward_terminate_to_interrupt() -> bool:
    """CLI: SIGTERM (SIGBREAK on Windows) acts exactly like Ctrl-C.

    The CLI has one interrupt path already (``convert`` cancels the batch on the first
    Ctrl-C, stops at once on the second; exit code 130), so a terminate request takes
    the same path instead of killing the process mid-write. Main thread only.
    """
    if threading.current_thread() is not threading.main_thread():
        return False

    def handler(_signum: int, _frame: object) -> None:
        signal.raise_signal(signal.SIGINT)  # runs whichever SIGINT handler is current

    for name in ("SIGTERM", "SIGBREAK"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), handler)
    return True
