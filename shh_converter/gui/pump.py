"""The one bridge from worker threads to the Tk thread.

Workers call :meth:`UiQueue.post` (thread-safe, never touches Tk). The Tk thread
drains the queue from an ``after()`` tick, handling at most ``max_items`` messages
or ``budget_s`` seconds per tick, so a flood of events (thousands of files) never
freezes the window. The ``after`` id is kept and cancelled on :meth:`stop`.

It also measures the longest gap between two ticks: that is how long the Tk loop
was unable to run anything, i.e. the worst freeze a user could have seen.

:func:`run_in_thread` is the one way to do a piece of slow work once, off the Tk
thread, and hear its result back on it.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
import tkinter as tk
from collections.abc import Callable
from functools import partial
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

TkTask = Callable[[], object]  # a small "run this on the Tk thread", posted by a worker
Post = Callable[[TkTask], None]  # how a helper hands such a task to the UI queue
Message = TypeVar("Message")
Result = TypeVar("Result")


def run_in_thread(
    work: Callable[[], Result],
    on_done: Callable[[Result], None],
    *,
    post: Post,
    name: str,
) -> threading.Thread:
    """Run ``work()`` in a daemon thread named ``name``, then ``on_done(result)`` on the Tk
    thread (posted through ``post``, the UI queue's). Returns the started thread.

    ``work`` must not touch Tk. An exception in it is a bug: it goes to the thread's
    excepthook (the crash report) and ``on_done`` is not called, so work that can fail
    in an expected way returns a value that says so.
    """

    def run() -> None:
        post(partial(on_done, work()))

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


class UiQueue(Generic[Message]):
    """A ``queue.Queue`` drained on the Tk thread with a bounded ``after()`` loop; the
    owner's ``handler`` gets each ``Message`` (the window's: ``controller.UiMessage``)."""

    def __init__(
        self,
        root: tk.Misc,
        handler: Callable[[Message], None],
        *,
        interval_ms: int = 15,
        max_items: int = 200,
        budget_s: float = 0.012,
    ) -> None:
        self._root = root
        self._handler = handler
        self._queue: queue.Queue[Message] = queue.Queue()
        self._interval_ms = interval_ms
        self._max_items = max_items
        self._budget_s = budget_s
        self._after_id: str | None = None
        self._stopped = False
        self._last_tick = 0.0
        self.max_gap_s = 0.0  # longest time between two ticks since reset_gap()
        self.worst: list[tuple[float, float]] = []  # the 5 longest (gap, when), for diagnosis

    def post(self, message: Message) -> None:
        """Queue a message for the Tk thread. Safe from any thread."""
        self._queue.put(message)

    def start(self) -> None:
        self._stopped = False
        if self._after_id is None:
            self._last_tick = time.perf_counter()
            self._after_id = self._root.after(self._interval_ms, self._tick)

    def stop(self) -> None:
        """Stop draining; cancels the pending ``after`` so nothing runs after close."""
        self._stopped = True  # also when called by a handler inside a tick
        if self._after_id is not None:
            with contextlib.suppress(tk.TclError):
                self._root.after_cancel(self._after_id)
            self._after_id = None

    def reset_gap(self) -> None:
        self.max_gap_s = 0.0
        self.worst = []
        self._last_tick = time.perf_counter()

    def drain(self) -> int:
        """Handle queued messages within this tick's limits; returns how many."""
        deadline = time.perf_counter() + self._budget_s
        handled = 0
        while handled < self._max_items and time.perf_counter() < deadline and not self._stopped:
            try:
                message = self._queue.get_nowait()
            except queue.Empty:
                break
            handled += 1
            self._handler(message)
        return handled

    def _tick(self) -> None:
        now = time.perf_counter()
        # Measured start to start, so the time spent draining counts too; the
        # expected gap is the interval itself and the excess is a stall.
        gap = now - self._last_tick - self._interval_ms / 1000
        self.max_gap_s = max(self.max_gap_s, gap)
        if len(self.worst) < 5 or gap > self.worst[-1][0]:
            self.worst = sorted([*self.worst, (gap, now)], reverse=True)[:5]
        self._last_tick = now
        self._after_id = None
        try:
            self.drain()
        finally:
            if not self._stopped:  # a handler may have closed the window
                self._after_id = self._root.after(self._interval_ms, self._tick)
