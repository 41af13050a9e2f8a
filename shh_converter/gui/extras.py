"""Menu actions that talk to the sidecars: About, logs, preferences, updates, crashes.

Each sidecar is imported lazily and may be missing in a partial build; the
action then says so instead of failing. Update checks run in a thread and hand
their answer back through the UI queue as a callable.
"""

from __future__ import annotations

import logging
import traceback
from functools import partial
from typing import TYPE_CHECKING

from .. import paths
from ..i18n import _
from . import dialogs
from .desktop import open_folder
from .pump import Post, run_in_thread

if TYPE_CHECKING:  # requests (the update check): imported in its thread, not at start-up
    import tkinter as tk
    from collections.abc import Callable
    from pathlib import Path
    from types import TracebackType

    from ..sidecars.shutdown import Shutdown
    from ..sidecars.updates import UpdateResult
    from .prefs import Prefs

log = logging.getLogger(__name__)

PREFERENCE_KEYS = (
    ("updates.check_on_startup", _("Check for updates when the app starts")),
    ("features.background_removal_enabled", _("Background removal")),
    ("ui.show_advanced_options", _("Show advanced options")),
    ("ui.enable_debug_mode", _("Debug logging")),
    ("performance.enable_performance_logging", _("Log performance details")),
    ("ui.resume_watching", _("Resume watching folders when the app starts")),
    ("ui.notify_when_done", _("Notify when a long batch ends in the background")),
)


class Extras:
    """About, log folder, preferences, update check and the crash dialog."""

    def __init__(self, root: tk.Tk, prefs: Prefs, post: Post, routine: Shutdown) -> None:
        self.root = root
        self.prefs = prefs
        self._post = post
        self.routine = routine  # it joins the update thread

    def notice(self, title: str, text: str) -> None:
        """A one-off, non-modal message (e.g. the config was reset)."""
        d = dialogs.Dialog(self.root, title)
        d.text(text)
        d.button(_("OK"), d.destroy, accent=True)

    def about(self) -> None:
        dialogs.about(self.root, paths.all_dirs())

    def open_log_folder(self) -> None:
        open_folder(paths.ensure(paths.log_dir))

    def preferences(self, tab: str = "general", then: Callable[[], None] | None = None) -> None:
        """Open Preferences on ``tab`` ("general", "models" or "watching"); ``then`` runs
        after the user's choices were saved (the window applies them)."""

        def saved() -> None:
            self.prefs.save()
            if then is not None:
                then()

        from .prefs_tabs import PreferencesDialog  # its tabs load the model and watch pages

        dialog = PreferencesDialog(
            self.root, self.prefs.cfg, PREFERENCE_KEYS, on_saved=saved, post=self._post
        )
        page = getattr(dialog.tabs, tab, None)
        if page is not None:
            dialog.tabs.notebook.select(page)

    # -- updates ---------------------------------------------------------------------

    def check_updates(self, manual: bool = True) -> None:
        """Ask in a thread; a notice (or, when asked by hand, an answer) comes back later.

        Even the import happens in the thread: ``requests`` takes ~100 ms to import,
        long enough to freeze the window visibly.
        """
        log.info("update check (%s)", "asked by the user" if manual else "at start-up")
        cfg = self.prefs.cfg

        def check() -> UpdateResult:
            from ..sidecars import updates  # worker thread: never touches Tk

            return updates.check(cfg, force=manual)

        thread = run_in_thread(
            check, partial(self._show_update, manual=manual), post=self._post, name="update-check"
        )
        self.routine.track_thread(thread)

    def _show_update(self, result: UpdateResult, manual: bool) -> None:
        available = bool(getattr(result, "update_available", False))
        if available and (manual or not getattr(result, "skipped", False)):
            dialogs.update_notice(
                self.root,
                str(result.latest_version),
                str(getattr(result, "url", "") or ""),
                str(getattr(result, "notes", "") or ""),
                on_skip=lambda: self._skip(result),
            )
        elif manual:
            error = getattr(result, "error", None) if result is not None else _("no answer")
            text = (
                _("Could not check: {error}").format(error=error)
                if error
                else _("You have the latest version.")
            )
            self.notice(_("Updates"), text)  # non-modal, like every answer from a thread

    def _skip(self, result: UpdateResult) -> None:
        try:
            self.prefs.cfg.set("updates.skipped_version", str(result.latest_version))
            self.prefs.save()
        except (KeyError, ValueError) as exc:
            log.warning("cannot remember the skipped version: %s", exc)

    # -- crashes -----------------------------------------------------------------------

    def report_callback_exception(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        """Tk's hook for an exception in a callback: report it, tell the user, keep going."""
        report: Path | None = None
        try:
            from ..sidecars import crash

            report = crash.tk_callback_hook(exc_type, exc, tb)  # logs it too
        except Exception:  # the report itself failed: at least the log has it
            log.error("error in a window callback", exc_info=(exc_type, exc, tb))
        summary = "".join(traceback.format_exception_only(exc_type, exc)).strip()
        dialogs.crash(self.root, report, summary)
