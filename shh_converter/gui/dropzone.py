"""The drop zone: drag files and folders here, or use the "Add files…/Add folder…" buttons.

Drops arrive from tkdnd as one Tcl list string (``{/a b/c.png} /d.jpg``); it is
split with ``tk.splitlist``, never ``str.split``, so spaces, braces and non-ASCII
names survive. Without tkinterdnd2 the buttons still work and a hint says so.
"""

from __future__ import annotations

import logging
import tkinter as tk
from pathlib import Path
from tkinter import ttk
from typing import TYPE_CHECKING, Any, Protocol, cast
from urllib.parse import unquote, urlparse

from ..i18n import _, mnemonic, pgettext

if TYPE_CHECKING:
    from _tkinter import TkappType
    from collections.abc import Callable

log = logging.getLogger(__name__)
BIG_HINT = ("TkDefaultFont", 12)


class DropEvent(Protocol):
    """What tkdnd hands a drop handler (tkinterdnd2's ``DnDEvent`` has no type hints)."""

    data: str
    action: str


class DropTarget(Protocol):
    """The methods tkinterdnd2 adds to every Tk widget once its root is a ``TkinterDnD.Tk``."""

    def drop_target_register(self, *types: str) -> None: ...

    def dnd_bind(self, sequence: str, func: Callable[[DropEvent], str]) -> None: ...


def parse_drop(tk_app: TkappType, data: str) -> list[Path]:
    """Paths from a tkdnd drop string (a Tcl list; ``file://`` URIs decoded too)."""
    paths: list[Path] = []
    try:
        items = tk_app.splitlist(data)
    except tk.TclError:  # not a Tcl list (a foreign drag source): maybe one bare path
        log.warning("unusual drop data: %r", data[:200])
        return [Path(data)] if data and Path(data).exists() else []
    for item in items:
        text = str(item)
        if text.startswith("file://"):
            parsed = urlparse(text)
            text = unquote(parsed.path)
            if len(text) > 2 and text[0] == "/" and text[2] == ":":  # file:///C:/x on Windows
                text = text[1:]
        if text:
            paths.append(Path(text))
    return paths


class DropZone(ttk.Frame):
    """A framed area with a big hint and the add buttons; calls ``on_paths`` with a list."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        dnd: bool,
        on_paths: Callable[[list[Path]], None],
        on_add_files: Callable[[], None],
        on_add_folder: Callable[[], None],
    ) -> None:
        super().__init__(master, padding=8)
        self._on_paths = on_paths
        self.dnd = dnd
        hint = (
            _("Drop images or folders here")
            if dnd
            else _("Drag and drop is not available here: use the buttons")
        )
        # The buttons are packed first: pack gives room in packing order, so on a narrow
        # window the hint wraps onto two lines instead of pushing a button off ("Add f").
        self.add_folder_btn = ttk.Button(
            self, **mnemonic(pgettext("drop zone", "Add &folder…"), "text"), command=on_add_folder
        )
        self.add_folder_btn.pack(side="right", padx=2)
        self.add_files_btn = ttk.Button(
            self,
            **mnemonic(pgettext("drop zone", "&Add files…"), "text"),
            command=on_add_files,
            style="Accent.TButton",
        )
        self.add_files_btn.pack(side="right", padx=2)
        self.label = ttk.Label(self, text=hint, anchor="center", justify="center", font=BIG_HINT)
        self.label.pack(side="left", fill="both", expand=True, padx=(4, 12))
        self._wrapped = 0
        self._big = True
        self._big_font: Any = None
        self.label.bind("<Configure>", self._wrap)
        if dnd:
            self.accept_drops(self)
            self.accept_drops(self.label)

    def _wrap(self, event: tk.Event) -> None:
        """Fit the hint to the room it got: big on one line, else normal size, else wrapped.

        Only a real change is applied, so the label's new size cannot start a loop.
        """
        from tkinter import font as tkfont

        width = max(int(event.width) - 8, 80)
        text = str(self.label.cget("text"))
        if self._big_font is None:
            self._big_font = tkfont.Font(self, font=BIG_HINT)
        big = self._big_font.measure(text) <= width
        normal = tkfont.nametofont("TkDefaultFont", root=self).measure(text) <= width
        wrap = 0 if big or normal else width
        if big != self._big or abs(self._wrapped - wrap) > 4:
            self._big, self._wrapped = big, wrap
            self.label.configure(font=BIG_HINT if big else "TkDefaultFont", wraplength=wrap)

    def accept_drops(self, widget: tk.Misc) -> None:
        """Make ``widget`` accept file drops (it must come from a TkinterDnD root)."""
        if not self.dnd:
            return
        from tkinterdnd2 import DND_FILES

        target = cast("DropTarget", widget)  # tkinterdnd2 adds these methods to every widget
        target.drop_target_register(DND_FILES)
        target.dnd_bind("<<DropEnter>>", self._on_enter)
        target.dnd_bind("<<DropLeave>>", self._on_leave)
        target.dnd_bind("<<Drop>>", self.on_drop)

    def _on_enter(self, event: DropEvent) -> str:
        self._highlight(True)
        return str(event.action)

    def _on_leave(self, event: DropEvent) -> str:
        self._highlight(False)
        return str(event.action)

    def on_drop(self, event: DropEvent) -> str:
        """tkdnd's ``<<Drop>>`` handler: hand the paths on, accept as a copy."""
        self._highlight(False)
        paths = parse_drop(self.tk, event.data)
        log.debug("drop of %d item(s)", len(paths))
        if paths:
            self._on_paths(paths)
        return str(getattr(event, "action", "copy") or "copy")

    def _highlight(self, on: bool) -> None:
        self.label.configure(text=_("Release to add") if on else _("Drop images or folders here"))
