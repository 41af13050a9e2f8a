"""The main window's layout: composes the frames, the menu bar and the shortcuts.

No logic lives here: every command calls the controller. Frames are attributes
(``drop``, ``files``, ``settings``, ``presets``, ``preview``, ``progress``) so the
controller and the tests can reach them.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from .dropzone import DropZone
from .filelist import FileList
from .preview import PreviewPane
from .progress import ProgressPanel
from .settings_panel import SettingsPanel

log = logging.getLogger(__name__)
MIN_SIZE = (960, 640)
DEFAULT_GEOMETRY = "1180x780"


class PresetBar(ttk.Frame):
    """Preset chooser with Apply / Save as… / Delete."""

    def __init__(self, master: tk.Misc, controller: Any) -> None:
        super().__init__(master, padding=(0, 0, 0, 6))
        self.c = controller
        ttk.Label(self, text="Preset").pack(side="left")
        self.var = tk.StringVar(self, "")
        self.combo = ttk.Combobox(self, textvariable=self.var, state="readonly", width=20)
        self.combo.pack(side="left", padx=6, fill="x", expand=True)
        self.combo.bind("<<ComboboxSelected>>", lambda _e: self.apply())
        self.delete_btn = ttk.Button(self, text="Delete", command=self.delete, width=7)
        self.delete_btn.pack(side="right")
        self.save_btn = ttk.Button(self, text="Save as…", command=self.save, width=9)
        self.save_btn.pack(side="right", padx=(0, 4))
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        self.combo.configure(values=self.c.prefs.preset_names())
        if select is not None:
            self.var.set(select)

    def show_matching(self, settings: object) -> None:
        """Name the preset the current settings equal (or none), as the user edits."""
        names = self.c.prefs.preset_names()
        match = next((n for n in names if self.c.prefs.preset(n) == settings), "")
        if self.var.get() != match:
            self.var.set(match)

    def apply(self, name: str | None = None) -> None:
        """Apply the named (or the selected) preset to the settings panel."""
        if name is not None:
            self.var.set(name)
        if self.var.get():
            self.c.apply_preset(self.var.get())

    def save(self) -> None:
        name = self.c.save_preset()
        if name:
            self.refresh(select=name)

    def delete(self) -> None:
        if self.c.delete_preset(self.var.get()):
            self.refresh(select="")


class MainWindow:
    """Builds the window out of frames; owns no state besides its widgets."""

    def __init__(self, root: tk.Tk, controller: Any, *, dnd: bool, allow_background: bool):
        self.root = root
        c = self.c = controller
        outer = ttk.Frame(root, padding=10)
        outer.pack(fill="both", expand=True)
        self.drop = DropZone(
            outer,
            dnd=dnd,
            on_paths=c.add_paths,
            on_add_files=c.add_files_dialog,
            on_add_folder=c.add_folder_dialog,
        )
        self.drop.grid(row=0, column=0, sticky="ew", pady=(0, 8))
        left = ttk.PanedWindow(outer, orient="vertical")
        self.files = FileList(
            left, on_select=c.on_select, on_remove=c.remove_selected, on_clear=c.clear
        )
        self.preview = PreviewPane(left, on_resize=lambda: c.schedule_preview(150))
        left.add(self.files, weight=2)
        left.add(self.preview, weight=3)  # most spare height goes to the preview
        left.grid(row=1, column=0, sticky="nsew")
        right = ttk.Frame(outer, padding=(12, 0, 0, 0))
        self.presets = PresetBar(right, c)
        self.presets.pack(fill="x")
        self.settings = SettingsPanel(
            right, on_change=c.settings_changed, allow_background=allow_background
        )
        self.settings.pack(fill="both", expand=True)
        right.grid(row=0, column=1, rowspan=2, sticky="nsew")
        self.progress = ProgressPanel(
            outer,
            on_convert=c.convert,
            on_cancel=c.cancel,
            on_choose_dest=c.choose_destination,
            on_open_dest=c.open_destination,
        )
        self.progress.grid(row=2, column=0, columnspan=2, sticky="ew")
        self.status = ttk.Label(outer, text="", anchor="w", foreground="#808080")
        self.status.grid(row=3, column=0, columnspan=2, sticky="ew", pady=(4, 0))
        outer.columnconfigure(0, weight=1)
        outer.rowconfigure(1, weight=1)
        self.drop.accept_drops(self.files.tree)
        self.failures_dialog: Any = None
        self._menu()
        self._shortcuts()

    def _menu(self) -> None:
        c = self.c
        bar = tk.Menu(self.root)
        file = tk.Menu(bar, tearoff=False)
        file.add_command(label="Add files…", accelerator="Ctrl+O", command=c.add_files_dialog)
        file.add_command(
            label="Add folder…", accelerator="Ctrl+Shift+O", command=c.add_folder_dialog
        )
        file.add_separator()
        file.add_command(label="Convert", accelerator="Ctrl+Enter", command=c.convert)
        file.add_command(label="Cancel batch", accelerator="Esc", command=c.cancel)
        file.add_command(label="Open output folder", command=c.open_destination)
        file.add_separator()
        file.add_command(label="Quit", accelerator="Ctrl+Q", command=c.request_close)
        edit = tk.Menu(bar, tearoff=False)
        edit.add_command(label="Remove selected", accelerator="Delete", command=c.remove_selected)
        edit.add_command(label="Clear list", command=c.clear)
        edit.add_separator()
        edit.add_command(label="Preferences…", accelerator="Ctrl+,", command=c.preferences)
        helpm = tk.Menu(bar, tearoff=False)
        helpm.add_command(label="Check for updates…", command=c.check_updates)
        helpm.add_command(label="Open log folder", command=c.open_log_folder)
        helpm.add_separator()
        helpm.add_command(label="About SHH Converter", command=c.about)
        bar.add_cascade(label="File", menu=file)
        bar.add_cascade(label="Edit", menu=edit)
        bar.add_cascade(label="Help", menu=helpm)
        self.root.configure(menu=bar)
        self.menubar = bar

    def _shortcuts(self) -> None:
        c, root = self.c, self.root
        keys: dict[str, Callable[[], Any]] = {
            "<Control-o>": c.add_files_dialog,
            "<Control-O>": c.add_folder_dialog,
            "<Control-Return>": c.convert,
            "<Escape>": c.cancel,
            "<Control-q>": c.request_close,
            "<Control-comma>": c.preferences,
        }
        for seq, command in keys.items():
            root.bind(seq, _shortcut(command))
        self.files.tree.bind("<Delete>", lambda _e: c.remove_selected())


def _shortcut(command: Callable[[], Any]) -> Callable[[tk.Event], str]:
    """A key binding that runs ``command`` and stops other bindings from seeing the key."""

    def handler(_event: tk.Event) -> str:
        command()
        return "break"

    return handler
