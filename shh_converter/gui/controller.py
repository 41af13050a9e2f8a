"""The controller: what happens when the user does something.

The frames (drop zone, file list, settings, preview, progress) only own their
widgets and call back here; this class decides, starts worker threads, and routes
the messages that come back through the UI queue to the helper that owns them
(:class:`FileAdder`, :class:`BatchSession`, :class:`Extras`, :class:`Closer`). It
never blocks the Tk thread: folder scans, header probes, previews and batches all
run in threads.
"""

from __future__ import annotations

import logging
import tkinter as tk
from pathlib import Path
from tkinter import filedialog, messagebox, simpledialog
from typing import TYPE_CHECKING, NoReturn, TypeAlias

from ..core import destination
from ..core.events import EVENT_TYPES, BatchFinished, Event
from ..core.settings import BackgroundMode, Settings
from ..i18n import _, ngettext
from ..sidecars import shutdown
from . import desktop, dialogs
from .adding import FileAdder, FilesDone, FilesMeasured, FilesProbed
from .batch import BatchSession
from .desktop import default_destination, open_folder
from .extras import Extras
from .lifecycle import Closer
from .preview import PreviewFailed, PreviewReady, PreviewService
from .pump import TkTask, UiQueue, run_in_thread

if TYPE_CHECKING:  # psutil: imported off the Tk thread, after the window shows
    from ..core.recipe import Recipe
    from ..sidecars.memory import MemoryMonitor
    from .prefs import Prefs
    from .view import View

log = logging.getLogger(__name__)
PREVIEW_DEBOUNCE_MS = 200

# Everything that comes back to the Tk thread through the UI queue; ``handle`` takes
# each kind to the helper that owns it (mypy checks that none is left out).
UiMessage: TypeAlias = (
    FilesProbed | FilesMeasured | FilesDone | PreviewReady | PreviewFailed | Event | TkTask
)


def _unknown(msg: NoReturn) -> NoReturn:
    """Reached only by a message type ``UiMessage`` does not list (mypy says so first)."""
    msg_0 = f"the UI queue has no handler for {type(msg).__name__}"
    raise TypeError(msg_0)


class Controller:
    """Reacts to the user; ``view`` is set by the window once its frames exist."""

    def __init__(self, root: tk.Tk, prefs: Prefs, routine: shutdown.Shutdown | None = None) -> None:
        self.root = root
        self.prefs = prefs
        self.view: View = None  # type: ignore[assignment]  # set by attach(), before any event
        self.ui: UiQueue[UiMessage] = UiQueue(root, self.handle)
        self.preview = PreviewService(self.ui.post)
        self.batch: BatchSession | None = None
        self.selected: Path | None = None
        self.roots: list[Path] = []  # what was dropped or opened: folders stay folders
        self.adder = FileAdder(
            root,
            prefs,
            self.ui.post,
            lambda: self.view.files,
            self.add_paths,
            lambda: self.view.progress.destination,
        )
        self.routine = routine if routine is not None else shutdown.Shutdown()
        # Registered first, so it runs last: after every other clean-up of the window.
        self.routine.register("save the config", prefs.cfg.save)
        self.routine.register("stop the preview thread", lambda: self.preview.stop(1.0))
        self.closer = Closer(
            root, self.routine, prefs.cfg, self._busy, self._remember_window, self._stop_timers
        )
        self._preview_after: str | None = None
        self.extras = Extras(root, prefs, self.ui.post, self.routine)
        self.monitor: MemoryMonitor | None = None
        self._status_after: str | None = None

    def attach(self, view: View) -> None:
        self.view = view
        self.batch = BatchSession(view, self.ui.post, self._batch_finished)
        self.apply_preferences()
        self.routine.register("stop the warm worker processes", self.batch.warm.release)
        self.ui.start()

    def start_services(self) -> None:
        """After the window shows: the memory monitor (started in a thread) and its readout."""

        def start() -> MemoryMonitor:
            from ..sidecars.memory import MemoryMonitor  # psutil: imported off the Tk thread

            return MemoryMonitor.from_config(self.prefs.cfg).start()

        run_in_thread(start, self._monitor_ready, post=self.ui.post, name="monitor-start")

    def _monitor_ready(self, monitor: MemoryMonitor) -> None:
        if self.closing:
            monitor.stop()
            return
        self.monitor = monitor
        self.routine.register("stop the memory monitor", lambda: monitor.stop(timeout=0.5))
        self._status_tick()

    def _status_tick(self) -> None:
        self._status_after = None
        if self.closing or self.monitor is None:
            return
        self.view.status.configure(
            text=_("Memory in use: {mb} MB").format(mb=f"{self.monitor.current_mb():.0f}")
        )
        self._status_after = self.root.after(2000, self._status_tick)

    # -- messages from worker threads (Tk thread) ---------------------------------

    def handle(self, msg: UiMessage) -> None:
        if isinstance(msg, (FilesProbed, FilesMeasured, FilesDone)):
            self.adder.handle(msg)
        elif isinstance(msg, (PreviewReady, PreviewFailed)):
            self._preview_result(msg)
        elif isinstance(msg, EVENT_TYPES):
            assert self.batch is not None
            self.batch.handle(msg)
        elif callable(msg):  # a sidecar's small "run this on the Tk thread"
            msg()
        else:
            _unknown(msg)

    # -- adding and removing files ------------------------------------------------

    def add_paths(self, paths: list[Path]) -> None:
        """Queue files and folders (drops, dialogs, command-line arguments)."""
        if paths and not self.closing:
            self.view.progress.clear_news()  # "Add some images first." is old news now
            if self.view.progress.destination is None:
                self.view.progress.dest_var.set(str(self._default_dest(paths[0])))
            known = set(self.roots)
            self.roots.extend(p for p in paths if p not in known)
            self.adder.add(paths)

    def add_files_dialog(self) -> None:
        self.adder.files_dialog()

    def add_folder_dialog(self) -> None:
        self.adder.folder_dialog()

    @property
    def pending_adds(self) -> int:
        return self.adder.pending

    def _default_dest(self, first: Path) -> Path:
        return self.prefs.last_folder("output") or default_destination(first)

    def remove_selected(self) -> None:
        if self._busy():
            return
        chosen = self.view.files.selected()
        self.view.files.remove(chosen)
        log.info("removed %d file(s) from the list", len(chosen))
        if self.selected in chosen:
            self.on_select(None)

    def clear(self) -> None:
        if self._busy():
            return
        self.view.files.clear()
        self.roots.clear()
        log.info("cleared the file list")
        self.on_select(None)

    def _busy(self) -> bool:
        return self.batch is not None and self.batch.running

    # -- settings, presets, preview ----------------------------------------------

    def current_settings(self) -> Settings:
        """The selected output's settings (what the panel shows and the preview uses)."""
        return self.view.settings.get_settings()

    def current_recipe(self) -> Recipe:
        """Every output of the outputs list, with the panel's edits of the selected one."""
        self.view.outputs.update_selected(self.current_settings())
        return self.view.outputs.recipe()

    def output_selected(self, index: int) -> None:
        """The outputs list moved: the panel edits that output now."""
        self.view.settings.set_settings(self.view.outputs.selected)

    def settings_changed(self) -> None:
        if self.view is not None and getattr(self.view, "outputs", None) is not None:
            self.view.presets.show_matching(self.current_recipe())
            self.schedule_preview(PREVIEW_DEBOUNCE_MS)

    def apply_preset(self, name: str) -> None:
        recipe = self.prefs.preset(name)
        if recipe is None:
            return
        self.view.outputs.set_recipe(recipe)
        log.info("preset applied: %s", name)

    def save_preset(self) -> str | None:
        name = simpledialog.askstring(
            _("Save preset"), _("Name for these settings:"), parent=self.root
        )
        if not name:
            return None
        if not self.prefs.save_preset(name, self.current_recipe()):
            messagebox.showwarning(_("Save preset"), _("Choose another name."), parent=self.root)
            return None
        self.prefs.save()
        log.info("preset saved: %s", name)
        return name.strip()

    def delete_preset(self, name: str) -> bool:
        """Delete the user's preset ``name`` once they confirm; a built-in one cannot be."""
        if not name:
            return False
        if self.prefs.presets().is_builtin(name):
            messagebox.showinfo(
                _("Delete preset"),
                _("“{name}” is built in and cannot be deleted. Presets you save can be.").format(
                    name=name
                ),
                parent=self.root,
            )
            return False
        if not messagebox.askyesno(
            _("Delete preset"), _("Delete the preset “{name}”?").format(name=name), parent=self.root
        ):
            return False
        deleted = self.prefs.delete_preset(name)
        if deleted:
            self.prefs.save()
            log.info("preset deleted: %s", name)
        return deleted

    def on_select(self, path: Path | None) -> None:
        self.selected = path
        self.schedule_preview(30)

    def schedule_preview(self, delay_ms: int) -> None:
        """Debounce: only the last request within ``delay_ms`` starts a preview."""
        if self._preview_after is not None:
            self.root.after_cancel(self._preview_after)
        self._preview_after = self.root.after(delay_ms, self._request_preview)

    def _request_preview(self) -> None:
        self._preview_after = None
        if self.selected is None:
            self.preview.invalidate()
            self.view.preview.show_message(_("Select a file to preview it"))
            return
        settings = self.current_settings()
        removal = settings.background_removal
        self.preview.request(self.selected, settings, self.view.preview.box())
        self.view.preview.show_working(removal.enabled and removal.mode == BackgroundMode.AI)

    def _preview_result(self, msg: PreviewReady | PreviewFailed) -> None:
        if msg.generation != self.preview.generation:
            return  # stale: the user moved on
        if isinstance(msg, PreviewReady):
            self.view.preview.show(msg)
        else:
            self.view.preview.show_failed(msg.message)

    # -- batch --------------------------------------------------------------------

    def row_action(self, name: str) -> None:
        """An entry of a row's menu (or a double-click: "open") on the selected rows."""
        files = self.view.files
        rows = files.selected_rows() or [r for r in (files.tree.focus(),) if r]
        if not rows:
            return
        targets = [files.output_of(r) or files.source_of(r) for r in rows]
        paths = [p for p in targets if p is not None]
        if name == "open":
            output = files.output_of(files.tree.focus() or rows[0])
            if output is None or not desktop.open_path(output):
                self.view.progress.say(_("Could not open {file}.").format(file=output or "?"))
        elif name == "show" and paths:
            desktop.show_in_folder(paths[0])
        elif name == "copy" and paths:
            self.root.clipboard_clear()
            self.root.clipboard_append("\n".join(str(p) for p in paths))
            self.view.progress.say(
                ngettext("Copied {n} path.", "Copied {n} paths.", len(paths)).format(n=len(paths))
            )
        elif name == "retry":
            failed = [files.source_of(r) for r in rows if files.row_failed(r)]
            self.convert(only=list(dict.fromkeys(p for p in failed if p is not None)))
        elif name == "remove":
            self.remove_selected()

    def convert(self, only: list[Path] | None = None) -> None:
        """Convert the listed files (or ``only`` these of them: Retry)."""
        assert self.batch is not None
        files = only if only else self.view.files.files()
        if self.batch.running or self.closing:
            return
        if not files:
            self.view.progress.say(_("Add some images first."))
            return
        dest = self.view.progress.destination or self._default_dest(files[0])
        self.view.progress.dest_var.set(str(dest))
        problem = destination.not_a_folder(dest)
        if problem:
            self.view.progress.say(problem)
            return
        recipe = self.current_recipe()
        self.prefs.set_recipe(recipe)
        if dest.is_dir():
            self.prefs.set_last_folder("output", dest)
        # A preview still computing would only compete with the batch for the CPU.
        if self.view.preview.state_text == "working":
            self.preview.invalidate()
            self.view.preview.show_message(_("Preview paused: converting…"))
        roots = self.roots or files
        self.batch.start(
            roots, files, dest, self.with_limits(recipe), cfg=self.prefs.cfg, monitor=self.monitor
        )
        assert self.batch.cancel_token is not None
        self.routine.attach_batch(self.batch.cancel_token, self.batch.thread)

    def with_limits(self, recipe: Recipe) -> Recipe:
        """The config's safety limits (size, timeout, batch size) applied to every output."""
        from ..sidecars import config

        return recipe.with_shared(limits=config.limits_from(self.prefs.cfg))

    def cancel(self) -> None:
        if self.batch is not None:
            self.batch.cancel()

    def _batch_finished(self, done: BatchFinished) -> None:
        dest = self.view.progress.destination
        if dest is not None and dest.is_dir():
            self.prefs.set_last_folder("output", dest)
        self.routine.detach_batch()
        if self.closing:
            self.closer.batch_finished()
            return
        self.schedule_preview(30)  # it was paused for the batch
        if dialogs.failed_files(done.results):
            dialogs.FailuresDialog(self.root, done.results)

    def choose_destination(self) -> None:
        current = self.view.progress.destination
        folder = filedialog.askdirectory(
            parent=self.root,
            title=_("Save converted images to"),
            initialdir=str(current if current and current.is_dir() else Path.home()),
        )
        if folder:
            self.view.progress.dest_var.set(folder)
            self.prefs.set_last_folder("output", Path(folder))

    def open_destination(self) -> None:
        dest = self.view.progress.destination
        if dest is None or not dest.is_dir():
            self.view.progress.say(_("The destination folder does not exist yet: convert first."))
        elif not open_folder(dest):
            self.view.progress.say(
                _("Could not open {folder} in the file manager.").format(folder=dest)
            )

    # -- menu actions handled by the sidecar links --------------------------------

    def about(self) -> None:
        self.extras.about()

    def check_updates(self) -> None:
        self.extras.check_updates(manual=True)

    def open_log_folder(self) -> None:
        self.extras.open_log_folder()

    def preferences(self, tab: str = "general") -> None:
        self.extras.preferences(tab, then=self.apply_preferences)

    def apply_preferences(self) -> None:
        """What Preferences changes in the open window: the advanced encoder options."""
        self.view.settings.encoder.show_advanced(self.prefs.show_advanced)

    # -- closing (see lifecycle.Closer) ------------------------------------------

    @property
    def closing(self) -> bool:
        return self.closer.closing

    def request_close(self) -> None:
        self.closer.request_close()

    def shutdown(self) -> None:
        """Close now: the shutdown routine, then the window is destroyed."""
        self.closer.finish()

    def _remember_window(self) -> None:
        self.prefs.set_geometry(self.root.geometry())
        self.prefs.set_recipe(self.current_recipe())

    def _stop_timers(self) -> None:
        for after_id in (self._preview_after, self._status_after):
            if after_id is not None:
                self.root.after_cancel(after_id)
        self._preview_after = self._status_after = None
        self.ui.stop()
