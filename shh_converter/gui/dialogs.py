"""Small windows: About, crash report, update notice, failures list.

All are non-modal ``Toplevel`` windows (except the tiny confirmations from
``tkinter.messagebox``), so a crash report or an update notice never blocks the
main window. Preferences, a :class:`Dialog` too, is built in ``prefs_tabs``.
"""

from __future__ import annotations

import logging
import tkinter as tk
import webbrowser
from tkinter import ttk
from typing import TYPE_CHECKING

from .. import APP_NAME, __version__
from ..core import formats
from ..core.jobs import JobResult, was_cancelled
from ..i18n import _, ngettext
from . import cells
from .desktop import open_folder

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

log = logging.getLogger(__name__)


class Dialog(tk.Toplevel):
    """A transient, non-modal window with a message area and a button row."""

    def __init__(self, master: tk.Misc, title: str) -> None:
        super().__init__(master)
        self.title(title)
        self.transient(master.winfo_toplevel())
        self.body = ttk.Frame(self, padding=14)
        self.body.pack(fill="both", expand=True)
        self.buttons = ttk.Frame(self, padding=(14, 0, 14, 14))
        self.buttons.pack(fill="x")
        self.bind("<Escape>", lambda _e: self.destroy())
        self.after_idle(self._place)

    def _place(self) -> None:
        """Centre over the main window (window managers may still move it)."""
        owner = self.master.winfo_toplevel()
        self.update_idletasks()
        x = owner.winfo_rootx() + (owner.winfo_width() - self.winfo_reqwidth()) // 2
        y = owner.winfo_rooty() + (owner.winfo_height() - self.winfo_reqheight()) // 3
        self.geometry(f"+{max(x, 0)}+{max(y, 0)}")

    def text(
        self,
        text: str,
        font: tuple[str, int, str] | None = None,
        foreground: str | None = None,
    ) -> ttk.Label:
        label = ttk.Label(self.body, text=text, wraplength=460, justify="left")
        if font is not None:
            label.configure(font=font)
        if foreground is not None:
            label.configure(foreground=foreground)
        label.pack(anchor="w", pady=(0, 6))
        return label

    def button(self, text: str, command: Callable[[], object], accent: bool = False) -> ttk.Button:
        btn = ttk.Button(
            self.buttons, text=text, command=command, style="Accent.TButton" if accent else ""
        )
        btn.pack(side="right", padx=(6, 0))
        return btn


def about(master: tk.Misc, folders: dict[str, Path]) -> Dialog:
    d = Dialog(master, _("About {app}").format(app=APP_NAME))
    d.text(APP_NAME, font=("TkDefaultFont", 14, "bold"))
    d.text(_("Version {version}").format(version=__version__))
    kinds_made = ", ".join(_(spec.label) for spec in formats.SPECS.values())
    d.text(
        _("Converts images to web-ready {formats}, with offline background removal.").format(
            formats=kinds_made
        )
    )
    kinds = {
        "config": _("Settings"),
        "logs": _("Logs"),
        "crash_reports": _("Crash reports"),
        "models": _("Models"),
        "cache": _("Cache"),
    }
    for name, folder in folders.items():
        kind = kinds.get(name) or name.replace("_", " ").capitalize()
        d.text(_("{kind}: {folder}").format(kind=kind, folder=folder))
    d.button(_("Close"), d.destroy, accent=True)
    return d


def crash(master: tk.Misc, report: Path | None, summary: str) -> Dialog:
    """Tell the user something went wrong and where the report is; the app goes on."""
    d = Dialog(master, _("Something went wrong"))
    d.text(_("SHH Converter hit an unexpected problem. It is still running."))
    d.text(summary)
    if report is not None:
        d.text(_("A report was saved to:\n{path}").format(path=report))
        d.button(_("Open folder"), lambda: open_folder(report.parent))
    d.button(_("Close"), d.destroy, accent=True)
    return d


def update_notice(
    master: tk.Misc, version: str, url: str, notes: str, on_skip: Callable[[], None]
) -> Dialog:
    """Non-modal "a new version is out" with the release notes and a link."""
    d = Dialog(master, _("Update available"))
    d.text(
        _("{app} {version} is available (you have {current}).").format(
            app=APP_NAME, version=version, current=__version__
        )
    )
    if notes:
        box = tk.Text(d.body, width=60, height=10, wrap="word", relief="flat")
        box.insert("1.0", notes[:5000])
        box.configure(state="disabled")
        box.pack(fill="both", expand=True)

    def skip() -> None:
        on_skip()
        d.destroy()

    d.button(_("Download"), lambda: webbrowser.open(url), accent=True)
    d.button(_("Skip this version"), skip)
    d.button(_("Later"), d.destroy)
    return d


def failed_files(results: Sequence[JobResult]) -> list[JobResult]:
    """The files that failed on their own (not the ones a cancel stopped)."""
    return [r for r in results if r.status == "failed" and not was_cancelled(r)]


class FailuresDialog(Dialog):
    """The files that failed, each with its one-line reason, whole: the columns are as
    wide as their longest text and the table scrolls both ways; "Copy list" puts every
    "path: reason" line on the clipboard."""

    def __init__(self, master: tk.Misc, results: Sequence[JobResult]) -> None:
        super().__init__(master, _("Some files failed"))
        bad = failed_files(results)
        self.text(
            ngettext(
                "{n} file could not be converted:", "{n} files could not be converted:", len(bad)
            ).format(n=len(bad))
        )
        box = ttk.Frame(self.body)
        box.pack(fill="both", expand=True)
        self.tree = tree = ttk.Treeview(box, columns=("reason",), height=min(max(len(bad), 3), 12))
        tree.heading("#0", text=_("File"), anchor="w")
        tree.heading("reason", text=_("Reason"), anchor="w")
        reasons = [r.error or _("unknown error") for r in bad]
        for r, reason in zip(bad, reasons, strict=True):
            tree.insert("", "end", text=r.source.name, values=(reason,))
        cells.fit_column_to(tree, "#0", _("File"), [r.source.name for r in bad])
        cells.fit_column_to(tree, "reason", _("Reason"), reasons)
        across = ttk.Scrollbar(box, orient="horizontal", command=tree.xview)
        down = ttk.Scrollbar(box, orient="vertical", command=tree.yview)
        tree.configure(xscrollcommand=across.set, yscrollcommand=down.set)
        tree.grid(row=0, column=0, sticky="nsew")
        down.grid(row=0, column=1, sticky="ns")
        across.grid(row=1, column=0, sticky="ew")
        box.rowconfigure(0, weight=1)
        box.columnconfigure(0, weight=1)
        # As wide as the texts up to 60 % of the screen; wider lists scroll sideways.
        need = sum(int(tree.column(c, "width")) for c in ("#0", "reason"))
        width = min(need + 20, int(self.winfo_screenwidth() * 0.6))
        rows = int(tree.cget("height"))
        self.geometry(f"{max(width + 28, 420)}x{min(180 + 24 * rows, 520)}")
        self.lines = "\n".join(
            f"{r.source}: {reason}" for r, reason in zip(bad, reasons, strict=True)
        )
        self.button(_("Close"), self.destroy, accent=True)
        self.copy_btn = self.button(_("Copy list"), self._copy)

    def _copy(self) -> None:
        self.clipboard_clear()
        self.clipboard_append(self.lines)
