"""A native notification when a long batch ends while nobody is looking at the window.

Sent through ``desktop-notifier`` (MIT; 260 KB plus ``dbus-fast``, 2.9 MB, on
Linux; Windows uses WinRT toasts through its ``winrt-*`` packages, macOS the
Notification Center through ``rubicon-objc``): freedesktop notifications over
D-Bus on Linux. The library is asyncio-based, so it runs on an event loop in
its own daemon thread, started on the first notification (never at start-up,
never on the Tk thread). Clicking the notification brings the window up (the
click arrives on that loop and is posted to the Tk thread).

Without the library, or with no notification service (a bare Linux session, CI),
the window's own summary line is all there is: sending fails quietly (logged).
The decision is :func:`should_notify`: the batch took at least
:data:`LONG_BATCH_S`, the window is not in front, and ``ui.notify_when_done`` is on.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from .. import APP_NAME
from ..i18n import _
from .progress import summary_text

if TYPE_CHECKING:
    import asyncio
    import tkinter as tk

    from ..core.events import BatchFinished
    from ..sidecars.config import Config
    from .pump import Post

log = logging.getLogger(__name__)

LONG_BATCH_S = 5.0
SWITCH_KEY = "ui.notify_when_done"


def window_in_front(root: tk.Tk) -> bool:
    """Whether the user can see the window and it has the keyboard focus."""
    try:
        if root.state() in ("iconic", "withdrawn"):
            return False
        return root.focus_displayof() is not None
    except Exception:  # a window being destroyed: nobody is looking at it
        return False


def should_notify(elapsed: float, in_front: bool, enabled: bool) -> bool:
    """Notify only for a long batch that ended unwatched, when the user wants it."""
    return enabled and not in_front and elapsed >= LONG_BATCH_S


class Notifier:
    """Decides at the end of each batch and sends through desktop-notifier."""

    def __init__(self, root: tk.Tk, post: Post, cfg: Config) -> None:
        self.root = root
        self._post = post
        self._cfg = cfg
        self._loop: asyncio.AbstractEventLoop | None = None
        self._notifier: Any = None

    @property
    def enabled(self) -> bool:
        try:
            return bool(self._cfg.get(SWITCH_KEY))
        except (KeyError, ValueError, AttributeError):
            return True

    def batch_finished(self, done: BatchFinished, summary: str | None = None) -> bool:
        """Called on the Tk thread when a batch ends (``summary``: the window's line for
        it, which knows how many files were listed); returns whether a notification goes out."""
        notify = should_notify(done.elapsed, window_in_front(self.root), self.enabled)
        if notify:
            title = _("Batch cancelled") if done.cancelled else _("Batch finished")
            self.send(title, summary or summary_text(done))
        return notify

    def send(self, title: str, text: str) -> None:
        """Hand one notification to the library (in its own thread); never blocks Tk."""
        import asyncio  # here, not at start-up: only a long unwatched batch needs it

        loop = self._ensure_loop()
        asyncio.run_coroutine_threadsafe(self._send(title, text), loop)

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            import asyncio

            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="notifications", daemon=True).start()
            self._loop = loop
        return self._loop

    async def _send(self, title: str, text: str) -> None:
        try:
            if self._notifier is None:
                from desktop_notifier import DesktopNotifier

                self._notifier = DesktopNotifier(app_name=APP_NAME)
            await self._notifier.send(title=title, message=text, on_clicked=self._on_clicked)
        except Exception as exc:  # no library, no D-Bus session, no notification service
            log.info("no desktop notification (%s: %s)", type(exc).__name__, exc)

    def _on_clicked(self) -> None:
        self._post(self.bring_up)  # from the notifier's thread: Tk only on the Tk thread

    def bring_up(self) -> None:
        """Show the window in front (the user clicked the notification)."""
        self.root.deiconify()
        self.root.lift()
        self.root.focus_force()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
