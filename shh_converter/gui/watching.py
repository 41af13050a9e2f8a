"""Watch folders in the window: File → "Watch a folder…" for the current recipe.

Each watched folder is a :class:`FolderWatch`: a :class:`~..core.watch.Watcher`
on its own thread (never the Tk thread), converting into a destination with the
recipe (the outputs list) that was current when the watch started, through the
same sidecars as a batch (memory screen, log lines, crash reports), on worker
processes kept warm between arrivals. The thread reports only through ``post``, the window's UI
queue, which runs the callables on the Tk thread.

:class:`WatchList` holds them, remembers them in the config (``ui.watch_folders``)
and, when ``ui.resume_watching`` is on (a switch in Preferences), starts them
again at the next start. Preferences has a "Watched folders" tab
(:class:`WatchPage`) listing them with their counts, and stop/remove buttons.
Closing the window stops every watch through the shutdown routine: files in
flight finish or are discarded whole.

Starting a watch on a folder that already holds images not converted yet asks
once: convert them too, or only new arrivals. "Only new arrivals" is remembered
with the watch (``left``: each such file's path, size and modification time at
that moment, saved in the config), so a resumed watch leaves them too, while
anything that arrives later, even moved in with an old date, or a left file that
changes, is converted (:class:`~..core.watch.Watcher`'s ``leave``).

Hooks into other modules (one line each): ``window.MainWindow._menu`` calls
:func:`add_menu_items`; ``prefs_tabs.PreferenceTabs`` calls :func:`add_page`.
"""

from __future__ import annotations

import logging
import threading
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from tkinter import filedialog, ttk
from typing import Any

from ..core.checks import check_fields
from ..core.errors import UsageError
from ..core.events import FileFinished
from ..core.recipe import Recipe
from ..core.settings import Settings
from ..core.watch import (
    SourceDeleted,
    Watcher,
    WatchEvent,
    WatchOptions,
    WatchProblem,
    WatchStarted,
    WatchStopped,
)
from ..core.watch_ready import Signature
from ..i18n import _, mnemonic, ngettext
from . import cells
from .dialogs import Dialog

log = logging.getLogger(__name__)

Post = Callable[[Any], None]
FOLDERS_KEY, RESUME_KEY = "ui.watch_folders", "ui.resume_watching"
STOP_SECONDS = 4.0  # a watch's batch in flight gets this long to finish or discard at close
SHOWN_EVENTS = (FileFinished, WatchStarted, WatchStopped, WatchProblem, SourceDeleted)
_current: WatchList | None = None  # the window's list (one window per process)


def _nothing(*_args: Any) -> None:
    """Stands in for the window's callbacks until a watch is started."""


@dataclass
class FolderWatch:
    """One watched folder; its counts are read and written on the Tk thread only."""

    folder: Path
    dest: Path
    recipe: Recipe
    state: str = "stopped"  # stopped, starting, watching, stopping
    converted: int = 0
    failed: int = 0
    last: str = ""  # the latest line for people
    left: dict[Path, Signature] = field(default_factory=dict)  # "only new arrivals"
    watcher: Watcher | None = None  # made on the watch thread, by the batch door
    thread: threading.Thread | None = None
    post: Post = _nothing  # set by start(): the window's UI queue
    on_change: Callable[[], None] = _nothing
    _stop_asked: threading.Event = field(default_factory=threading.Event, repr=False)

    def say(self, line: str) -> None:
        """Show ``line`` as this watch's latest news (the tab's last column)."""
        self.last = line

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "folder": str(self.folder),
            "dest": str(self.dest),
            "recipe": self.recipe.to_dict(),
        }
        if self.left:  # relative to the folder, in "/" form: [path, size, mtime_ns]
            left = [[p.relative_to(self.folder).as_posix(), *sig] for p, sig in self.left.items()]
            data["left"] = sorted(left)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FolderWatch:
        """A remembered watch; a recipe or a ``left`` record that does not read raises."""
        raw = data.get("recipe") or {}
        outputs = tuple(check_fields(Settings, o).value for o in raw.get("outputs") or [{}])
        recipe = Recipe(outputs, raw.get("manifest")).check()
        folder = Path(str(data["folder"]))
        left = {
            folder / str(rel): (int(size), int(mtime)) for rel, size, mtime in data.get("left", [])
        }
        return cls(folder, Path(str(data["dest"])), recipe, left=left)

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def start(self, post: Post, on_change: Callable[[], None], cfg: Any) -> None:
        """Start the watch thread (Tk thread); events come back through ``post``."""
        if self.running:
            return
        self.state, self.last = "starting", self._left_note()
        self.post, self.on_change = post, on_change
        self._stop_asked.clear()
        self.watcher = None
        self.thread = threading.Thread(
            target=self._run, args=(cfg,), name=f"watch {self.folder.name}", daemon=True
        )
        self.thread.start()

    def _on_event(self, event: WatchEvent) -> None:
        """The watch thread's callback: post only."""
        if isinstance(event, WatchProblem) and event.error is not None:
            from ..sidecars import crash

            crash.write_report(event.error, {"where": "watch", "folder": str(self.folder)})
        if isinstance(event, SHOWN_EVENTS):  # not progress: the list shows counts only
            on_change = self.on_change
            self.post(lambda: self._apply(event, on_change))

    def _left_note(self) -> str:
        count = len(self.left)
        if not count:
            return ""
        text = ngettext(
            "only new arrivals: {count} image that was already here is left alone",
            "only new arrivals: {count} images that were already here are left alone",
            count,
        )
        return text.format(count=count)

    def _run(self, cfg: Any) -> None:
        """The watch thread: the engine's batch door (sidecars, warm workers) around the loop.

        Background removal that cannot start (a missing model) stops the watch at
        once with that one message, as it fails a batch, instead of failing every
        arriving file.
        """
        from ..core.batch import Session
        from ..core.errors import BackgroundRemovalError
        from ..sidecars import startup

        try:
            with (
                startup.batch_hooks(self.recipe.shared, cfg) as hooks,
                Session(self.recipe, hooks) as session,
            ):
                options = WatchOptions()
                self.watcher = session.watch(
                    [self.folder], self.dest, self._on_event, options, leave=self.left
                )
                if self._stop_asked.is_set():  # stopped before the watcher existed
                    self._on_event(WatchStopped(0, 0, 0, 0.0))
                else:
                    self.watcher.run()
        except BackgroundRemovalError as exc:
            log.warning("watch of %s cannot start: %s", self.folder, exc)
            self._on_event(WatchProblem(str(exc)))  # as the window's batch shows it
            self._on_event(WatchStopped(0, 0, 0, 0.0))
        except Exception:  # never a thread dying silently; the list shows it stopped
            log.exception("watch of %s failed", self.folder)
            self.post(lambda: self._apply(WatchStopped(0, 0, 0, 0.0), self.on_change))

    def _apply(self, event: WatchEvent, on_change: Callable[[], None]) -> None:
        """Tk thread: one event into the counts and the line shown."""
        if isinstance(event, FileFinished):
            r = event.result
            if r.status == "converted":
                self.converted += 1
                self.last = _("converted {name}").format(name=r.source.name)
            elif r.status == "failed":
                self.failed += 1
                self.last = _("failed {name}: {error}").format(name=r.source.name, error=r.error)
        elif isinstance(event, WatchStarted):
            self.state = "watching"
        elif isinstance(event, WatchStopped):
            self.state = "stopped"
        elif isinstance(event, WatchProblem):
            self.last = event.message
        elif isinstance(event, SourceDeleted):
            self.last = _("deleted {name}").format(name=event.source.name)
        on_change()

    def stop(self) -> None:
        if not self.running:
            return
        self.state = "stopping"
        self._stop_asked.set()  # before looking for the watcher: the thread checks after making it
        if self.watcher is not None:
            self.watcher.stop()

    def join(self, timeout: float) -> None:
        if self.thread is not None:
            self.thread.join(timeout)


class WatchList:
    """The window's watched folders: start, stop, remember, resume."""

    def __init__(self, root: tk.Misc, controller: Any) -> None:
        self.root, self.c = root, controller
        self.watches: list[FolderWatch] = []
        self.listeners: list[Callable[[], None]] = []
        self._load()

    @property
    def cfg(self) -> Any:
        return self.c.prefs.cfg

    def _load(self) -> None:
        try:
            saved = self.cfg.get(FOLDERS_KEY) or []
        except (KeyError, ValueError):
            saved = []
        for data in saved:
            try:
                self.watches.append(FolderWatch.from_dict(data))
            except (KeyError, TypeError, ValueError, AttributeError, UsageError) as exc:
                log.warning("ignoring a saved watched folder %r: %s", data, exc)

    def save(self) -> None:
        try:
            self.cfg.set(FOLDERS_KEY, [w.to_dict() for w in self.watches])
            self.c.prefs.save()
        except (KeyError, ValueError, OSError) as exc:
            log.warning("cannot remember the watched folders: %s", exc)

    def resume_wanted(self) -> bool:
        try:
            return bool(self.cfg.get(RESUME_KEY))
        except (KeyError, ValueError):
            return False

    def changed(self) -> None:
        for listener in list(self.listeners):
            listener()

    def watch(
        self, folder: Path, dest: Path, recipe: Recipe, left: dict[Path, Signature] | None = None
    ) -> FolderWatch:
        """Watch ``folder`` into ``dest`` with ``recipe`` (replacing an earlier watch of it).

        ``left``: files already there to leave alone while unchanged ("only new arrivals").
        """
        for old in [w for w in self.watches if w.folder == folder]:
            self.remove(old)
        entry = FolderWatch(folder, dest, recipe, left=dict(left or {}))
        self.watches.append(entry)
        self.save()
        entry.start(self.c.ui.post, self.changed, self.cfg)
        log.info("watching %s -> %s", folder, dest)
        self.changed()
        return entry

    def start(self, entry: FolderWatch) -> None:
        if entry.folder.is_dir():
            entry.start(self.c.ui.post, self.changed, self.cfg)
        else:
            entry.say(_("the folder does not exist"))
        self.changed()

    def remove(self, entry: FolderWatch) -> None:
        entry.stop()
        if entry in self.watches:
            self.watches.remove(entry)
        self.save()
        self.changed()

    def resume(self) -> None:
        """Start the remembered watches (at start-up, when the user wants it)."""
        for entry in self.watches:
            self.start(entry)

    def stop_all(self, timeout: float = STOP_SECONDS) -> None:
        """Stop every watch and wait for them (the shutdown routine's step)."""
        for entry in self.watches:
            entry.stop()
        for entry in self.watches:
            entry.join(timeout)


def current() -> WatchList | None:
    """The window's watch list, once :func:`add_menu_items` created it."""
    return _current


def add_menu_items(menu: tk.Menu, controller: Any) -> WatchList:
    """Add the File menu's watch items; create the list, register its stop, resume if wanted."""
    global _current
    root = controller.root
    watches = _current = WatchList(root, controller)
    menu.add_command(
        **mnemonic(_("&Watch a folder…")), command=lambda: watch_folder_dialog(watches)
    )
    menu.add_command(
        **mnemonic(_("Watche&d folders…")), command=lambda: controller.preferences("watching")
    )
    routine = getattr(controller, "routine", None)
    if routine is not None:
        routine.register("stop watched folders", watches.stop_all)
    if watches.resume_wanted() and watches.watches:
        root.after_idle(watches.resume)
    return watches


def watch_folder_dialog(watches: WatchList, folder: Path | None = None) -> FolderWatch | None:
    """Ask for a folder (unless given) and watch it with the window's current settings.

    When the folder already holds images not converted yet, asks first whether to
    convert them too (:func:`ask_about_waiting`) and returns
    None: the answer starts the watch.
    """
    c = watches.c
    if folder is None:
        start = c.prefs.last_folder("input")  # most likely the folder just added
        chosen = filedialog.askdirectory(
            parent=watches.root, title=_("Watch a folder"), initialdir=start, mustexist=True
        )
        if not chosen:
            return None
        folder = Path(chosen)
    dest = c.view.progress.destination or folder / "converted"
    recipe = c.with_limits(c.current_recipe())  # every output of the outputs list
    waiting = Watcher([folder], dest, recipe, _nothing).waiting()
    if waiting:
        ask_about_waiting(watches, folder, dest, recipe, waiting)
        return None
    return _begin(watches, folder, dest, recipe, {})


def _begin(
    watches: WatchList, folder: Path, dest: Path, recipe: Recipe, left: dict[Path, Signature]
) -> FolderWatch:
    entry = watches.watch(folder, dest, recipe, left)
    watches.c.view.progress.say(_("Watching {folder} → {dest}").format(folder=folder, dest=dest))
    return entry


def ask_about_waiting(
    watches: WatchList, folder: Path, dest: Path, recipe: Recipe, waiting: dict[Path, Signature]
) -> WaitingQuestion:
    """Ask once: convert the images already in ``folder`` too, or only new arrivals?"""
    question = WaitingQuestion(watches.root, folder, len(waiting))

    def answer(left: dict[Path, Signature]) -> None:
        question.destroy()
        _begin(watches, folder, dest, recipe, left)

    question.all_btn.configure(command=lambda: answer({}))
    question.new_btn.configure(command=lambda: answer(waiting))
    return question


class WaitingQuestion(Dialog):
    """Asks "N images are already in this folder": Convert them too, Only new arrivals, Cancel.

    "Only new arrivals" leaves exactly the files counted, as they are now; one that
    comes while the question is open is converted. Cancel (or closing it) starts nothing.
    """

    def __init__(self, master: tk.Misc, folder: Path, count: int) -> None:
        super().__init__(master, _("Watch a folder"))
        text = ngettext(
            "{count} image is already in {folder} and not converted yet.",
            "{count} images are already in {folder} and not converted yet.",
            count,
        )
        self.text(text.format(count=count, folder=folder))
        self.text(_("Convert them too, or only new arrivals?"))
        self.cancel_btn = self.button(_("Cancel"), self.destroy)
        self.new_btn = self.button(_("Only new arrivals"), self.destroy)
        self.all_btn = self.button(_("Convert them too"), self.destroy, accent=True)
        self.all_btn.focus_set()


def add_page(notebook: ttk.Notebook) -> WatchPage | None:
    """Preferences' "Watched folders" tab (None before the window made its list)."""
    if _current is None:
        return None
    page = WatchPage(notebook, _current)
    notebook.add(page, text=_("Watched folders"))
    return page


class WatchPage(ttk.Frame):
    """The watched folders with their state and counts; start, stop, remove."""

    COLUMNS = ("dest", "state", "converted", "failed", "last")

    def __init__(self, master: tk.Misc, watches: WatchList) -> None:
        super().__init__(master, padding=8)
        self.watches = watches
        self.tree = ttk.Treeview(self, columns=self.COLUMNS, height=6, selectmode="browse")
        headings = (
            _("Folder"),
            _("Destination"),
            _("State"),
            _("Converted"),
            _("Failed"),
            _("Latest"),
        )
        for column, text in zip(("#0", *self.COLUMNS), headings, strict=True):
            self.tree.heading(column, text=text)
        for column, width in (("state", 80), ("converted", 80), ("failed", 60)):
            self.tree.column(column, width=width, stretch=False)
        self.tree.pack(fill="both", expand=True)
        # Long paths end in "…": whole in a tooltip and in the line below (copyable).
        self.cells = cells.CellTexts(self.tree, ("#0", "dest", "last"))
        self.details_var = tk.StringVar(self, "")
        details = ttk.Entry(self, textvariable=self.details_var, state="readonly")
        details.pack(fill="x", pady=(4, 0))
        self.details = details
        self.tree.bind("<<TreeviewSelect>>", lambda _e: self._show_details(), add="+")
        buttons = ttk.Frame(self)
        buttons.pack(fill="x", pady=(6, 0))
        self.add_btn = ttk.Button(buttons, text=_("Watch a folder…"), command=self._add)
        self.add_btn.pack(side="left")
        self.toggle_btn = ttk.Button(buttons, text=_("Stop"), command=self._toggle)
        self.toggle_btn.pack(side="left", padx=6)
        self.remove_btn = ttk.Button(buttons, text=_("Remove"), command=self._remove)
        self.remove_btn.pack(side="left")
        ttk.Label(
            self,
            text=_("Each folder is converted with the outputs current when its watch began."),
            foreground="#808080",
        ).pack(anchor="w", pady=(6, 0))
        watches.listeners.append(self.refresh)
        self.bind("<Destroy>", self._forget, add="+")
        self.refresh()

    def _forget(self, event: tk.Event) -> None:
        if event.widget is self and self.refresh in self.watches.listeners:
            self.watches.listeners.remove(self.refresh)

    def refresh(self) -> None:
        """Show the list as it is now (Tk thread)."""
        selected = self.tree.selection()
        self.tree.delete(*self.tree.get_children())
        self.cells.clear()
        for i, w in enumerate(self.watches.watches):
            iid = str(i)
            self.tree.insert("", "end", iid=iid, values=("", w.state, w.converted, w.failed, ""))
            self.cells.set(iid, "#0", str(w.folder))
            self.cells.set(iid, "dest", str(w.dest))
            self.cells.set(iid, "last", str(w.last))
        if selected and self.tree.exists(selected[0]):
            self.tree.selection_set(selected)
        self._show_details()

    def _show_details(self) -> None:
        chosen = self.tree.selection()
        columns = ("#0", "dest", "last")
        self.details_var.set(cells.describe(self.cells, chosen[0], columns) if chosen else "")

    def selected(self) -> FolderWatch | None:
        chosen = self.tree.selection()
        if not chosen:
            return None
        index = int(chosen[0])
        return self.watches.watches[index] if index < len(self.watches.watches) else None

    def _add(self) -> None:
        watch_folder_dialog(self.watches)

    def _toggle(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        if entry.running:
            entry.stop()
            self.watches.changed()
        else:
            self.watches.start(entry)

    def _remove(self) -> None:
        entry = self.selected()
        if entry is not None:
            self.watches.remove(entry)
