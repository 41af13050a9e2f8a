""" "Latest request wins": one daemon thread serving a one-slot mailbox.

The preview and the compare view ask for work faster than it can be done (every
click, every drag of a slider); only the newest request matters. :meth:`LatestWins.put`
replaces whatever is still waiting, so the thread goes from the request it is working
on straight to the newest one. Cancelling the running one is the caller's business
(a ``CancelToken`` in the item), since only the caller knows what "outdated" means.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Generic, TypeVar

from .desktop import lower_this_thread_priority

if TYPE_CHECKING:
    from collections.abc import Callable

log = logging.getLogger(__name__)

Item = TypeVar("Item")


class LatestWins(Generic[Item]):
    """Runs ``work(item)`` on its own thread for the newest item put; older ones are dropped."""

    def __init__(self, name: str, work: Callable[[Item], None], *, low_priority: bool) -> None:
        self._work = work
        self._low = low_priority
        self._cond = threading.Condition()
        self._pending: Item | None = None
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
        self._thread.start()

    def put(self, item: Item) -> None:
        """Ask for ``item``; one still waiting is replaced (never run)."""
        with self._cond:
            self._pending = item
            self._cond.notify()

    def clear(self) -> None:
        """Drop the waiting item, if any (the running one finishes)."""
        with self._cond:
            self._pending = None

    def stop(self, timeout: float | None = None) -> None:
        """End the thread after its current item; wait up to ``timeout`` s when given."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if timeout is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        if self._low:  # below normal, so heavy work (and the pools it starts) never starves Tk
            lower_this_thread_priority()
        while True:
            with self._cond:
                while self._pending is None and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                item, self._pending = self._pending, None
            if item is None:  # items are never None: None is the empty slot
                continue
            try:
                self._work(item)
            except Exception:  # a bug: logged; the caller shows its own failure
                log.exception("%s worker failed", self._thread.name)
