"""Closing the window: ask during a batch, then the app's one shutdown routine.

The window stays responsive while a batch is being cancelled: closing first asks
the routine for its cheap steps (flag + cancel), waits for the batch's
``BatchFinished`` through the UI queue (or at most :data:`GRACE_MS`), and only
then runs :meth:`shutdown.Shutdown.run` (join, monitor, helper threads,
clean-ups, config save, log flush) and destroys the window. SIGINT/SIGTERM take
the same path without the question.
"""

from __future__ import annotations

import logging
import tkinter as tk
from tkinter import messagebox
from typing import TYPE_CHECKING

from ..i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..sidecars.config import Config
    from ..sidecars.shutdown import Shutdown

log = logging.getLogger(__name__)
GRACE_MS = 4000  # the routine itself still has its own 5 s deadline after this


class Closer:
    """Owns the close sequence for one window; ``routine`` is a ``shutdown.Shutdown``."""

    def __init__(
        self,
        root: tk.Tk,
        routine: Shutdown,
        config: Config,
        busy: Callable[[], bool],
        before_save: Callable[[], None],
        stop_timers: Callable[[], None],
    ) -> None:
        self.root = root
        self.routine = routine
        self._config = config  # the window's size for this screen goes into it
        self._busy = busy
        self._before_save = before_save
        self._stop_timers = stop_timers
        self.closing = False
        self.done = False
        self._grace_after: str | None = None

    def request_close(self, ask: bool = True) -> None:
        """Window close (or a signal, with ``ask=False``)."""
        if self.closing:
            return
        if self._busy():
            question = _("Cancel the batch and quit?")
            if ask and not messagebox.askyesno(_("Quit"), question, parent=self.root):
                return
            self.closing = True
            log.info("quit requested during a batch: cancelling it")
            self.routine.request()  # closing flag + cancel token
            self._grace_after = self.root.after(GRACE_MS, self.finish)
            return
        self.closing = True
        self.finish()

    def batch_finished(self) -> None:
        """The batch is over: if we were waiting to close, close now."""
        if self.closing:
            self.finish()

    def finish(self) -> None:
        """Run the shutdown routine and destroy the window (once)."""
        if self.done:
            return
        self.done = self.closing = True
        if self._grace_after is not None:
            self.root.after_cancel(self._grace_after)
        try:
            self._before_save()  # geometry and settings into the config
            from .fit import remember_geometry  # and the size for this screen size

            remember_geometry(self.root, self._config)
        except Exception:
            log.exception("could not record the window state")
        self._stop_timers()
        clean = self.routine.run()
        log.info("window closed%s", "" if clean else " (batch forced to stop)")
        self.root.destroy()

    def install_signal_handlers(self) -> bool:
        """SIGINT/SIGTERM close the window like the close button, without asking."""

        def on_signal(_signum: int) -> None:
            self.root.after(0, lambda: self.request_close(ask=False))

        return self.routine.install_signal_handlers(on_signal=on_signal)
