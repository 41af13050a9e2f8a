"""Bottom of the window: destination, Convert/Cancel, progress and the batch summary."""

from __future__ import annotations

import logging
import tkinter as tk
from pathlib import Path
from tkinter import ttk
from typing import TYPE_CHECKING

from ..core.jobs import was_cancelled
from ..core.units import human_bytes
from ..i18n import _, mnemonic

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..core.events import BatchFinished, Progress

log = logging.getLogger(__name__)


def format_eta(seconds: float | None) -> str:
    """``75`` -> ``1 min 15 s left``; empty when unknown."""
    if seconds is None:
        return ""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return _("{seconds} s left").format(seconds=seconds)
    return _("{minutes} min {seconds} s left").format(
        minutes=seconds // 60, seconds=f"{seconds % 60:02d}"
    )


def finished_count(done: BatchFinished) -> int:
    """How many files the batch finished: the ones a cancel stopped mid-way did not."""
    return sum(not was_cancelled(r) for r in done.results)


def summary_text(done: BatchFinished, total: int | None = None) -> str:
    """One line: counts, and bytes saved with the percentage. A cancelled batch says
    after how many of the ``total`` files; the files it stopped are not failures."""
    stopped = len(done.results) - finished_count(done)
    parts = [
        _("{n} converted").format(n=done.converted),
        _("{n} skipped").format(n=done.skipped),
        _("{n} failed").format(n=done.failed - stopped),
    ]
    counts = ", ".join(parts)
    if done.cancelled:
        total = max(total or 0, len(done.results))
        text = _("Cancelled after {done} of {total}: {counts}").format(
            done=finished_count(done), total=total, counts=counts
        )
    else:
        text = _("Done: {counts}").format(counts=counts)
    if done.bytes_in:
        saved = done.bytes_in - done.bytes_out
        change = _("{size} saved ({percent})") if saved >= 0 else _("{size} added ({percent})")
        percent = f"{abs(saved) / done.bytes_in:.0%}"
        text += " · " + change.format(size=human_bytes(abs(saved)), percent=percent)
    if done.error:
        text += " · " + _("stopped by an error: {error}").format(error=done.error)
    if done.ai_notes:  # the reasons (long, the engine's English) are in the log
        text += " · " + _("AI ran on the CPU, not on the GPU asked for (see the log)")
    return text


class ProgressPanel(ttk.Frame):
    """Destination picker, Convert/Cancel buttons, progress bar and status lines."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        on_convert: Callable[[], None],
        on_cancel: Callable[[], None],
        on_choose_dest: Callable[[], None],
        on_open_dest: Callable[[], None],
    ) -> None:
        super().__init__(master, padding=(0, 6, 0, 0))
        self.dest_var = tk.StringVar(self, "")
        dest = ttk.Frame(self)
        ttk.Label(dest, text=_("Save to")).pack(side="left")
        self.dest_entry = ttk.Entry(dest, textvariable=self.dest_var)
        self.dest_entry.pack(side="left", fill="x", expand=True, padx=6)
        self.choose_btn = ttk.Button(dest, text=_("Change…"), command=on_choose_dest)
        self.choose_btn.pack(side="left")
        self.open_btn = ttk.Button(dest, text=_("Open folder"), command=on_open_dest)
        self.open_btn.pack(side="left", padx=(6, 0))
        dest.grid(row=0, column=0, columnspan=3, sticky="ew", pady=(0, 6))

        self.bar = ttk.Progressbar(self, mode="determinate", maximum=1)
        self.bar.grid(row=1, column=0, sticky="ew")
        self.cancel_btn = ttk.Button(self, text=_("Cancel"), command=on_cancel)
        self.cancel_btn.grid(row=1, column=1, padx=(8, 0))
        self.convert_btn = ttk.Button(
            self, **mnemonic(_("&Convert"), "text"), command=on_convert, style="Accent.TButton"
        )
        self.convert_btn.grid(row=1, column=2, padx=(8, 0))
        status = ttk.Frame(self)
        self.count_label = ttk.Label(status, text="")
        self.count_label.pack(side="left")
        self.current_label = ttk.Label(status, text="")
        self.current_label.pack(side="left", padx=12)
        self.eta_label = ttk.Label(status, text="")
        self.eta_label.pack(side="right")
        status.grid(row=2, column=0, columnspan=3, sticky="ew", pady=(4, 0))
        self.status_row = status
        status.grid_remove()  # empty until the first batch: one line less on short screens
        self.summary_label = ttk.Label(self, text=_("Add images, choose settings, press Convert."))
        self.summary_label.grid(row=3, column=0, sticky="w", pady=(2, 0))
        # The memory readout shares the summary's line (columns 1-2): one line less on
        # short screens. The window sets its text.
        self.status_label = ttk.Label(self, text="", anchor="e", foreground="#808080")
        self.status_label.grid(row=3, column=1, columnspan=2, sticky="e", pady=(2, 0))
        self.columnconfigure(0, weight=1)
        self._news = False
        self.set_running(False)
        # Called with the BatchFinished after the panel shows it (the notifier listens).
        self.on_finished: list[Callable[[BatchFinished], object]] = []

    @property
    def summary(self) -> str:
        """The line under the progress bar (the last batch's summary once one ended)."""
        return str(self.summary_label.cget("text"))

    @property
    def destination(self) -> Path | None:
        text = self.dest_var.get().strip()
        return Path(text).expanduser() if text else None

    def say(self, text: str) -> None:
        """One line of news for the user under the progress bar (until the next thing
        happens: :meth:`clear_news`)."""
        self.summary_label.configure(text=text)
        self._news = True

    def clear_news(self) -> None:
        """The user did something: a line said about an earlier state goes (not a batch's
        summary, which stays until the next batch)."""
        if self._news:
            self._news = False
            self.summary_label.configure(text=_("Add images, choose settings, press Convert."))

    def set_running(self, running: bool) -> None:
        self.cancel_btn.state(["!disabled"] if running else ["disabled"])
        self.convert_btn.state(["disabled"] if running else ["!disabled"])
        self.choose_btn.state(["disabled"] if running else ["!disabled"])

    def start(self, total: int) -> None:
        self.status_row.grid()
        self._total = total
        self.bar.configure(maximum=max(total, 1), value=0)
        self.count_label.configure(text=_("{done} of {total}").format(done=0, total=total))
        self.current_label.configure(text=_("Preparing…"))
        self.eta_label.configure(text="")
        self.summary_label.configure(text=_("Converting…"))
        self.set_running(True)

    def set_current(self, name: str) -> None:
        self.current_label.configure(text=name)

    def update_progress(self, p: Progress) -> None:
        self.bar.configure(maximum=max(p.total, 1), value=p.done)
        self.count_label.configure(text=_("{done} of {total}").format(done=p.done, total=p.total))
        self.eta_label.configure(text=format_eta(p.eta_seconds))
        if p.current:
            self.current_label.configure(text=p.current)

    def cancelling(self) -> None:
        self.current_label.configure(text=_("Cancelling…"))
        self.cancel_btn.state(["disabled"])

    def finish(self, done: BatchFinished) -> None:
        self.set_running(False)
        self.current_label.configure(text="")
        self.eta_label.configure(text=_("{seconds} s").format(seconds=f"{done.elapsed:.1f}"))
        total = max(getattr(self, "_total", 0), len(done.results))
        finished = finished_count(done)  # as the summary counts: a stopped file is not done
        self.bar.configure(maximum=max(total, 1), value=finished)
        self.count_label.configure(text=_("{done} of {total}").format(done=finished, total=total))
        self.summary_label.configure(text=summary_text(done, total))
        for listener in self.on_finished:
            try:
                listener(done)
            except Exception:  # a notification problem must not break the batch's end
                log.exception("end-of-batch listener failed")
