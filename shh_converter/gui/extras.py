"""Menu actions that talk to the sidecars: About, logs, preferences, updates, crashes.

Each sidecar is imported lazily and may be missing in a partial build; the
action then says so instead of failing. Update checks run in a thread and hand
their answer back through the UI queue as a callable.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import paths
from ..i18n import _
from . import dialogs
from .desktop import open_folder
from .pump import run_in_thread

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

    def __init__(self, root: Any, prefs: Any, post: Any) -> None:
        self.root = root
        self.prefs = prefs
        self._post = post
        self.dialog: Any = None  # the last dialog opened (tests look at it)
        self.crash_reports: list[Path | None] = []
        self.routine: Any = None  # the shutdown routine joins the update thread

    def notice(self, title: str, text: str) -> None:
        """A one-off, non-modal message (e.g. the config was reset)."""
        d = dialogs.Dialog(self.root, title)
        d.text(text)
        d.button(_("OK"), d.destroy, accent=True)
        self.dialog = d

    def about(self) -> None:
        self.dialog = dialogs.about(self.root, paths.all_dirs())

    def open_log_folder(self) -> None:
        open_folder(paths.ensure(paths.log_dir))

    def preferences(self, tab: str = "general", then: Callable[[], None] | None = None) -> None:
        """Open Preferences on ``tab`` ("general", "models" or "watching"); ``then`` runs
        after the user's choices were saved (the window applies them)."""

        def saved() -> None:
            self.prefs.save()
            if then is not None:
                then()

        from .prefs_tabs import preferences  # its tabs load the model and watch pages

        self.dialog = preferences(
            self.root, self.prefs.cfg, PREFERENCE_KEYS, on_saved=saved, post=self._post
        )
        page = getattr(self.dialog.tabs, tab, None)
        if page is not None:
            self.dialog.tabs.notebook.select(page)

    # -- updates ---------------------------------------------------------------------

    def check_updates(self, manual: bool = True) -> None:
        """Ask in a thread; a notice (or, when asked by hand, an answer) comes back later.

        Even the import happens in the thread: ``requests`` takes ~100 ms to import,
        long enough to freeze the window visibly.
        """
        log.info("update check (%s)", "asked by the user" if manual else "at start-up")
        cfg = self.prefs.cfg

        def check() -> Any:
            from ..sidecars import updates  # worker thread: never touches Tk

            return updates.check(cfg, force=manual)

        self.update_thread = run_in_thread(
            check, partial(self._show_update, manual=manual), post=self._post, name="update-check"
        )
        if self.routine is not None:
            self.routine.track_thread(self.update_thread)

    def _show_update(self, result: Any, manual: bool) -> None:
        self.update_result = result
        available = bool(getattr(result, "update_available", False))
        if available and (manual or not getattr(result, "skipped", False)):
            self.dialog = dialogs.update_notice(
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

    def _skip(self, result: Any) -> None:
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
        self.crash_reports.append(report)
        summary = "".join(traceback.format_exception_only(exc_type, exc)).strip()
        self.dialog = dialogs.crash(self.root, report, summary)
