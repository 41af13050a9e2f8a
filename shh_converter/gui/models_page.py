"""Background-removal models in the window: Preferences → Models, and the download offer.

:class:`ModelsPage` lists every model of the registry with its size, what it is good
for and whether it is bundled, installed or not installed, with Download (progress,
cancel), and Delete. :func:`watch_model_choice` makes the settings panel's model
box offer the download (:class:`DownloadOffer`) when the user picks a model that is
not installed, instead of a batch failing later with a command to type.

Downloads run in a :class:`DownloadTask` thread (``core.background.models.download``: checksum,
resume, retries); the thread never touches Tk and reports through ``post``, the
window's UI queue, which runs the callables it is given on the Tk thread.
"""

from __future__ import annotations

import logging
import time
import tkinter as tk
from tkinter import ttk
from typing import TYPE_CHECKING

from ..core.background import models
from ..core.events import CancelToken
from ..i18n import _
from . import fit
from .dialogs import Dialog
from .provider_line import ProviderLine
from .pump import Post, run_in_thread

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.1  # at most ten progress updates a second reach the Tk queue
ACTIVE: dict[str, DownloadTask] = {}  # model name -> its running download (one each)
OFFERS: list[DownloadOffer] = []  # open offers, so one model is never offered twice at once


def purpose(name: str) -> str:
    """What the model is good for, in the user's language."""
    texts = {
        "u2netp": _("Fast and small; most product shots"),
        "silueta": _("Like u2net at a quarter of the size"),
        "u2net": _("General use; finer edges than u2netp"),
        "u2net_human_seg": _("People and portraits"),
        "isnet-general-use": _("Detailed objects; slow"),
        "isnet-anime": _("Anime and cartoon characters"),
        "birefnet-general-lite": _("Best edges (hair, fur); slowest"),
    }
    return texts.get(name) or models.get_info(name).note


def size_text(name: str) -> str:
    return _("{size} MB").format(size=f"{models.get_info(name).approx_mb:g}")


def status_text(name: str) -> str:
    """Bundled / installed / not installed (with what an interrupted download left)."""
    state = models.status(name)
    if state == models.BUNDLED:
        return _("bundled")
    if state == models.INSTALLED:
        return _("installed")
    if name in ACTIVE:
        return _("downloading…")
    partial = models.partial_bytes(name)
    if partial:
        return _("not installed ({size} MB downloaded)").format(size=f"{partial / 1e6:.1f}")
    return _("not installed")


class DownloadTask:
    """One model download in a worker thread, reporting on the Tk thread via ``post``.

    ``on_progress(done, total)`` and ``on_done(error)`` run on the Tk thread;
    ``error`` is None on success, ``""`` when cancelled, else a one-line reason.
    """

    def __init__(
        self,
        name: str,
        post: Post,
        on_progress: Callable[[int, int | None], None],
        on_done: Callable[[str | None], None],
    ) -> None:
        self.name = name
        self._post = post
        self._on_progress = on_progress
        self._on_done = on_done
        self.token = CancelToken()
        self.thread: threading.Thread | None = None
        self._last_post = 0.0

    def start(self) -> DownloadTask:
        ACTIVE[self.name] = self
        self.thread = run_in_thread(
            self._run, self._finish, post=self._post, name=f"download-{self.name}"
        )
        return self

    def cancel(self) -> None:
        self.token.cancel()

    def _progress(self, done: int, total: int | None) -> None:  # worker thread
        now = time.monotonic()
        if now - self._last_post >= PROGRESS_EVERY_S or done == total:
            self._last_post = now
            self._post(lambda: self._on_progress(done, total))

    def _run(self) -> str | None:  # worker thread: never touches Tk
        """None when downloaded, "" when cancelled, else why it failed."""
        try:
            models.download(self.name, progress=self._progress, cancel=self.token)
        except models.DownloadCancelled:
            return ""
        except models.ModelError as exc:
            return str(exc)
        except Exception as exc:  # a bug: the window must still hear the end
            log.exception("model download crashed")
            return f"internal error: {type(exc).__name__}: {exc}"
        return None

    def _finish(self, error: str | None) -> None:
        if ACTIVE.get(self.name) is self:
            del ACTIVE[self.name]
        self._on_done(error)


def progress_text(done: int, total: int | None) -> str:
    if total:
        return _("{done} of {total} MB").format(
            done=f"{done / 1e6:.1f}", total=f"{total / 1e6:.1f}"
        )
    return _("{done} MB").format(done=f"{done / 1e6:.1f}")


class ModelsPage(ttk.Frame):
    """The Models tab: the registry as a table with Download, Cancel and Delete."""

    COLUMNS = ("size", "status", "purpose")

    def __init__(self, master: tk.Misc, post: Post) -> None:
        super().__init__(master, padding=8)
        self._post = post
        self.task: DownloadTask | None = None
        self.tree = ttk.Treeview(self, columns=self.COLUMNS, height=len(models.MODELS))
        self.tree.heading("#0", text=_("Model"), anchor="w")
        self.tree.heading("size", text=_("Size"), anchor="w")
        self.tree.heading("status", text=_("Status"), anchor="w")
        self.tree.heading("purpose", text=_("Good for"), anchor="w")
        self.tree.pack(fill="both", expand=True)
        for name in models.MODELS:
            self.tree.insert("", "end", iid=name, text=name)
        self.tree.bind("<<TreeviewSelect>>", lambda _e: self.update_buttons())
        row = ttk.Frame(self, padding=(0, 8, 0, 0))
        row.pack(fill="x")
        self.download_btn = ttk.Button(row, text=_("Download"), command=self.download)
        self.download_btn.pack(side="left")
        self.cancel_btn = ttk.Button(row, text=_("Cancel"), command=self.cancel)
        self.cancel_btn.pack(side="left", padx=6)
        self.delete_btn = ttk.Button(row, text=_("Delete"), command=self.delete)
        self.delete_btn.pack(side="left")
        self.bar = ttk.Progressbar(row, mode="determinate", maximum=100, length=160)
        self.bar.pack(side="left", padx=(12, 6), fill="x", expand=True)
        self.message = ttk.Label(self, text="", anchor="w", justify="left", wraplength=640)
        self.message.pack(fill="x", pady=(6, 0))
        ProviderLine(self, post).pack(fill="x", pady=(6, 0))
        self.refresh()
        self.tree.selection_set(next(iter(models.MODELS)))

    def selected(self) -> str | None:
        chosen = self.tree.selection()
        return str(chosen[0]) if chosen else None

    def refresh(self) -> None:
        """Re-read sizes and states from disk."""
        for name in models.MODELS:
            values = (size_text(name), status_text(name), purpose(name))
            self.tree.item(name, values=values)
        self._fit_columns()
        self.update_buttons()

    def _fit_columns(self) -> None:
        """Columns as wide as their longest text, so no translation is cut off."""
        measure = fit.TableMeasure(self.tree)
        sample = _("not installed ({size} MB downloaded)").format(size="000.0")
        for col in ("#0", *self.COLUMNS):
            cells = [
                str(self.tree.item(i, "text") if col == "#0" else self.tree.set(i, col))
                for i in self.tree.get_children()
            ]
            if col == "status":
                cells.append(sample)
            width = measure.column(col, str(self.tree.heading(col, "text")), cells)
            self.tree.column(col, width=width, minwidth=width, stretch=col == "purpose")

    def update_buttons(self) -> None:
        name = self.selected()
        busy = self.task is not None
        state = models.status(name) if name else None
        self._enable(self.download_btn, not busy and state == models.NOT_INSTALLED)
        self._enable(self.cancel_btn, busy)
        deletable = name is not None and (state == models.INSTALLED or models.partial_bytes(name))
        self._enable(self.delete_btn, not busy and bool(deletable))

    @staticmethod
    def _enable(button: ttk.Button, on: bool) -> None:
        button.state(["!disabled"] if on else ["disabled"])

    def download(self, name: str | None = None) -> None:
        """Start downloading ``name`` (default: the selected model)."""
        name = name or self.selected()
        if name is None or self.task is not None:
            return
        if name in ACTIVE:
            self.message.configure(text=_("{name} is already being downloaded.").format(name=name))
            return
        self.tree.selection_set(name)
        self.bar.configure(value=0)
        self.message.configure(text=_("Downloading {name}…").format(name=name))
        self.task = DownloadTask(name, self._post, self._progress, self._done).start()
        self.refresh()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.message.configure(text=_("Cancelling…"))

    def _progress(self, done: int, total: int | None) -> None:
        if not self.winfo_exists() or self.task is None:
            return
        if total:
            self.bar.configure(value=done * 100 / total)
        text = _("Downloading {name}: {progress}").format(
            name=self.task.name, progress=progress_text(done, total)
        )
        self.message.configure(text=text)

    def _done(self, error: str | None) -> None:
        name = self.task.name if self.task is not None else ""
        self.task = None
        if not self.winfo_exists():
            return
        if error is None:
            self.bar.configure(value=100)
            text = _("{name} is installed and its checksum verified.").format(name=name)
        elif error == "":
            self.bar.configure(value=0)
            text = _("Download of {name} cancelled.").format(name=name)
        else:
            text = _("Download of {name} failed: {reason}").format(name=name, reason=error)
        self.message.configure(text=text)
        self.refresh()

    def delete(self) -> None:
        name = self.selected()
        if name is None or self.task is not None:
            return
        removed = models.delete(name)
        text = _("{name} deleted.") if removed else _("{name} has nothing to delete.")
        self.message.configure(text=text.format(name=name))
        self.refresh()


class DownloadOffer(Dialog):
    """Asks whether to download a model that is not installed, then shows the download."""

    def __init__(self, master: tk.Misc, name: str, post: Post) -> None:
        super().__init__(master, _("Model not installed"))
        self.name = name
        self._post = post
        self.task: DownloadTask | None = None
        self.result: str | None = None  # after the end: None ok, "" cancelled, else why
        question = _(
            "The background-removal model {name} ({size}) is not installed yet. Download it now?"
        ).format(name=name, size=size_text(name))
        self.label = self.text(question)
        self.text(purpose(name), foreground="#808080")
        self.bar = ttk.Progressbar(self.body, mode="determinate", maximum=100, length=360)
        self.download_btn = self.button(_("Download"), self.download, accent=True)
        self.close_btn = self.button(_("Not now"), self.close)
        self.protocol("WM_DELETE_WINDOW", self.close)
        self.bind("<Escape>", lambda _e: self.close())

    def download(self) -> None:
        if self.task is not None or self.name in ACTIVE:
            return
        self.bar.pack(fill="x", pady=(4, 0))
        self.download_btn.state(["disabled"])
        self.close_btn.configure(text=_("Cancel"))
        self.label.configure(text=_("Downloading {name}…").format(name=self.name))
        self.task = DownloadTask(self.name, self._post, self._progress, self._done).start()

    def close(self) -> None:
        """Cancel a running download, then go."""
        if self.task is not None:
            self.task.cancel()
        self.destroy()

    def _progress(self, done: int, total: int | None) -> None:
        if self.winfo_exists() and total:
            self.bar.configure(value=done * 100 / total)

    def _done(self, error: str | None) -> None:
        self.task = None
        self.result = error
        if not self.winfo_exists():
            return
        if error is None:
            self.label.configure(text=_("{name} is installed and ready.").format(name=self.name))
        else:
            reason = error or _("cancelled")
            self.label.configure(
                text=_("Download of {name} failed: {reason}").format(name=self.name, reason=reason)
            )
            self.download_btn.configure(text=_("Try again"))
            self.download_btn.state(["!disabled"])
        self.close_btn.configure(text=_("Close"))


def watch_model_choice(
    box: ttk.Combobox, master: tk.Misc, post: Post
) -> Callable[[], DownloadOffer | None]:
    """When the user picks a model in ``box`` that is not installed, offer its download.

    Only a pick by the user (``<<ComboboxSelected>>``) asks; loading remembered
    settings or a preset does not. Returns the handler (tests call it).
    """

    def chosen(_event: object = None) -> DownloadOffer | None:
        name = box.get()
        if name not in models.MODELS or models.status(name) != models.NOT_INSTALLED:
            return None
        if name in ACTIVE or any(o.winfo_exists() and o.name == name for o in OFFERS):
            return None  # already offered or downloading
        offer = DownloadOffer(master, name, post)
        OFFERS[:] = [o for o in OFFERS if o.winfo_exists()] + [offer]
        return offer

    box.bind("<<ComboboxSelected>>", chosen, add="+")
    return chosen
