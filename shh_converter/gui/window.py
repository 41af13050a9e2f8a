"""The main window's layout: composes the frames, the menu bar and the shortcuts.

No logic lives here: every command calls the controller. Frames are attributes
(``drop``, ``files``, ``settings``, ``presets``, ``preview``, ``progress``) so the
controller and the tests can reach them. The settings column scrolls when the
window is short (``fit.ScrollColumn``), so small screens lose no setting.

Keyboard: every menu entry has a mnemonic (Alt+underlined letter) and lists its
shortcut; shortcuts use Command on macOS and Control elsewhere. Tab walks every
control (the focus is drawn by the theme; the compare view draws its own ring),
F6 jumps between the file list, the preview, the settings and Convert.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from tkinter import ttk
from typing import TYPE_CHECKING, Any

from ..i18n import N_, _, mnemonic
from . import watching
from .dropzone import DropZone
from .filelist import FileList
from .fit import MIN_SIZE, PREFERRED, ScrollColumn
from .outputs import OutputsPanel
from .preview import PreviewPane
from .progress import ProgressPanel
from .settings_panel import SettingsPanel

if TYPE_CHECKING:
    from .controller import Controller

log = logging.getLogger(__name__)
DEFAULT_GEOMETRY = f"{PREFERRED[0]}x{PREFERRED[1]}"
__all__ = ["DEFAULT_GEOMETRY", "MIN_SIZE", "MainWindow", "PresetBar"]


# The built-in presets' names live in core.presets (data, English: the CLI's --preset
# takes them); the window shows them through _(), so Babel extracts them from here
# (tests/test_i18n.py checks that none is missing).
PRESET_NAMES = (
    N_("Web 1600 WebP"), N_("Product cut-out"), N_("Email JPEG 1280"),
    N_("Thumbnail 400 WebP"), N_("Lossless PNG"), N_("Responsive images (srcset)"),
    N_("Favicon set"), N_("Social media sizes"),
)  # fmt: skip


class PresetBar(ttk.Frame):
    """Preset chooser with Apply / Save as… / Delete. Built-in presets are shown by their
    translated names; the user's under the names they gave."""

    def __init__(self, master: tk.Misc, controller: Controller) -> None:
        super().__init__(master, padding=(0, 0, 0, 6))
        self.c = controller
        ttk.Label(self, text=_("Preset")).pack(side="left")
        self.var = tk.StringVar(self, "")
        self.combo = ttk.Combobox(self, textvariable=self.var, state="readonly", width=20)
        self.combo.pack(side="left", padx=6, fill="x", expand=True)
        self.combo.bind("<<ComboboxSelected>>", lambda _e: self.apply())
        self.delete_btn = ttk.Button(self, text=_("Delete"), command=self.delete)
        self.delete_btn.pack(side="right")
        self.save_btn = ttk.Button(self, text=_("Save as…"), command=self.save)
        self.save_btn.pack(side="right", padx=(0, 4))
        self._names: dict[str, str] = {}  # shown -> the preset's own name
        self.refresh()

    def shown(self, name: str) -> str:
        """What the list shows for preset ``name``."""
        return _(name) if self.c.prefs.presets().is_builtin(name) else name

    @property
    def selected(self) -> str:
        """The chosen preset's own name (the key the presets and the CLI use)."""
        return self._names.get(self.var.get(), self.var.get())

    def refresh(self, select: str | None = None) -> None:
        self._names = {self.shown(n): n for n in self.c.prefs.preset_names()}
        self.combo.configure(values=list(self._names))
        if select is not None:
            self.var.set(self.shown(select) if select else "")

    def show_matching(self, settings: object) -> None:
        """Name the preset the current settings equal (or none), as the user edits."""
        names = self.c.prefs.preset_names()
        match = next((n for n in names if self.c.prefs.preset(n) == settings), "")
        shown = self.shown(match) if match else ""
        if self.var.get() != shown:
            self.var.set(shown)

    def apply(self, name: str | None = None) -> None:
        """Apply the named (or the selected) preset to the settings panel."""
        if name is not None:
            self.var.set(self.shown(name))
        if self.selected:
            self.c.apply_preset(self.selected)

    def save(self) -> None:
        name = self.c.save_preset()
        if name:
            self.refresh(select=name)

    def delete(self) -> None:
        if self.c.delete_preset(self.selected):
            self.refresh(select="")


class MainWindow:
    """Builds the window out of frames; owns no state besides its widgets."""

    def __init__(
        self, root: tk.Tk, controller: Controller, *, dnd: bool, allow_background: bool
    ) -> None:
        self.root = root
        c = self.c = controller
        aqua = root.tk.call("tk", "windowingsystem") == "aqua"
        self.mod, self.mod_text = ("Command", "Cmd+") if aqua else ("Control", "Ctrl+")
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
            left,
            on_select=c.on_select,
            on_remove=c.remove_selected,
            on_clear=c.clear,
            on_action=c.row_action,
        )
        self.preview = PreviewPane(left, on_resize=lambda: c.schedule_preview(150), post=c.ui.post)
        # Ask for few rows: on a short screen the pane shares the height with the preview
        # instead of squeezing it flat (spare height still goes to both by weight).
        self.files.tree.configure(height=4)
        left.add(self.files, weight=2)
        left.add(self.preview, weight=3)  # most spare height goes to the preview
        left.grid(row=1, column=0, sticky="nsew")
        right = ttk.Frame(outer, padding=(12, 0, 0, 0))
        self.presets = PresetBar(right, c)
        self.presets.pack(fill="x")
        self.settings_column = ScrollColumn(right)
        self.settings_column.pack(fill="both", expand=True)
        self.outputs = OutputsPanel(
            self.settings_column.inner, on_select=c.output_selected, on_change=c.settings_changed
        )
        self.outputs.pack(fill="x", pady=(0, 6))
        self.settings = SettingsPanel(
            self.settings_column.inner,
            on_change=c.settings_changed,
            allow_background=allow_background,
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
        self.status = self.progress.status_label  # memory readout (the controller's)
        outer.columnconfigure(0, weight=1)
        outer.rowconfigure(1, weight=1)
        # The whole window takes drops: tkdnd gives a drop to the nearest registered
        # widget up from the one under the pointer, and the root is the last of them.
        self.drop.accept_drops(root)
        self._menu()
        self._shortcuts()
        self._desktop_links()

    def _desktop_links(self) -> None:
        """The end-of-batch notification and the theme that follows the OS."""
        from tkinter import ttk as _ttk

        from .desktop import ThemeWatcher
        from .notify import Notifier

        c = self.c
        self.notifier = Notifier(self.root, c.ui.post, c.prefs.cfg)
        self.progress.on_finished.append(
            lambda done: self.notifier.batch_finished(done, self.progress.summary)
        )
        theme = str(_ttk.Style(self.root).theme_use())
        self.theme_watcher: ThemeWatcher | None = None
        if theme.startswith("sun-valley"):  # sv-ttk is in use: follow the OS with it
            mode = "dark" if theme.endswith("dark") else "light"
            self.theme_watcher = ThemeWatcher(self.root, c.ui.post, mode)
        self.root.bind("<Destroy>", self._destroyed, add="+")

    def _destroyed(self, event: tk.Event) -> None:
        if event.widget is self.root:
            if self.theme_watcher is not None:
                self.theme_watcher.stop()
            self.notifier.stop()

    def _key(self, letter: str) -> str:
        return f"{self.mod_text}{letter}"

    def _menu(self) -> None:
        c, k, pv = self.c, self._key, self.preview
        bar = tk.Menu(self.root)
        file = tk.Menu(bar, tearoff=False)
        file.add_command(
            **mnemonic(_("&Add files…")), accelerator=k("O"), command=c.add_files_dialog
        )
        file.add_command(
            **mnemonic(_("Add &folder…")),
            accelerator=k("Shift+O"),
            command=c.add_folder_dialog,
        )
        file.add_separator()
        file.add_command(**mnemonic(_("&Convert")), accelerator=k("Enter"), command=c.convert)
        file.add_command(**mnemonic(_("Cancel &batch")), accelerator="Esc", command=c.cancel)
        file.add_command(**mnemonic(_("&Open output folder")), command=c.open_destination)
        file.add_command(**mnemonic(_("C&hange output folder…")), command=c.choose_destination)
        watching.add_menu_items(file, c)  # Watch a folder…, Watched folders… (gui/watching.py)
        file.add_separator()
        file.add_command(**mnemonic(_("&Quit")), accelerator=k("Q"), command=c.request_close)
        edit = tk.Menu(bar, tearoff=False)
        edit.add_command(
            **mnemonic(_("&Remove selected")), accelerator="Delete", command=c.remove_selected
        )
        edit.add_command(**mnemonic(_("&Clear list")), command=c.clear)
        edit.add_separator()
        edit.add_command(**mnemonic(_("&Save preset…")), command=self.presets.save)
        edit.add_command(**mnemonic(_("&Delete preset")), command=self.presets.delete)
        edit.add_separator()
        edit.add_command(**mnemonic(_("Pr&eferences…")), accelerator=k(","), command=c.preferences)
        view = tk.Menu(bar, tearoff=False)
        view.add_radiobutton(
            **mnemonic(_("&Thumbnails")),
            accelerator=k("T"),
            value="thumbs",
            variable=pv.view_var,
            command=lambda: pv.set_view("thumbs"),
        )
        view.add_radiobutton(
            **mnemonic(_("Compare: &split")),
            accelerator=k("D"),
            value="split",
            variable=pv.view_var,
            command=lambda: pv.set_view("split"),
        )
        view.add_radiobutton(
            **mnemonic(_("Compare: side &by side")),
            accelerator=k("B"),
            value="side",
            variable=pv.view_var,
            command=lambda: pv.set_view("side"),
        )
        view.add_separator()
        view.add_command(
            **mnemonic(_("Zoom to &fit")),
            accelerator=k("0"),
            command=lambda: pv.zoom("zoom_fit"),
        )
        view.add_command(
            **mnemonic(_("&Actual size (100 %)")),
            accelerator=k("1"),
            command=lambda: pv.zoom("zoom_actual"),
        )
        view.add_command(
            **mnemonic(_("Zoom &in")), accelerator=k("+"), command=lambda: pv.zoom("zoom_in")
        )
        view.add_command(
            **mnemonic(_("Zoom &out")), accelerator=k("-"), command=lambda: pv.zoom("zoom_out")
        )
        view.add_separator()
        view.add_command(
            **mnemonic(_("&Next pane")), accelerator="F6", command=lambda: self.next_pane(+1)
        )
        helpm = tk.Menu(bar, tearoff=False)
        helpm.add_command(**mnemonic(_("&Keyboard shortcuts")), command=self.show_shortcuts)
        helpm.add_command(**mnemonic(_("Check for &updates…")), command=c.check_updates)
        helpm.add_command(**mnemonic(_("Open &log folder")), command=c.open_log_folder)
        helpm.add_separator()
        helpm.add_command(**mnemonic(_("&About SHH Converter")), command=c.about)
        bar.add_cascade(**mnemonic(_("&File")), menu=file)
        bar.add_cascade(**mnemonic(_("&Edit")), menu=edit)
        bar.add_cascade(**mnemonic(_("&View")), menu=view)
        bar.add_cascade(**mnemonic(_("&Help")), menu=helpm)
        self.root.configure(menu=bar)
        self.menubar = bar
        self.menus = {"File": file, "Edit": edit, "View": view, "Help": helpm}

    def _shortcuts(self) -> None:
        c, root, m, pv = self.c, self.root, self.mod, self.preview
        keys: dict[str, Callable[[], Any]] = {
            f"<{m}-o>": c.add_files_dialog,
            f"<{m}-O>": c.add_folder_dialog,
            f"<{m}-Return>": c.convert,
            f"<{m}-KP_Enter>": c.convert,
            "<Escape>": c.cancel,
            f"<{m}-q>": c.request_close,
            f"<{m}-comma>": c.preferences,
            f"<{m}-t>": lambda: pv.set_view("thumbs"),
            f"<{m}-d>": lambda: pv.set_view("split"),
            f"<{m}-b>": lambda: pv.set_view("side"),
            f"<{m}-Key-0>": lambda: pv.zoom("zoom_fit"),
            f"<{m}-Key-1>": lambda: pv.zoom("zoom_actual"),
            f"<{m}-plus>": lambda: pv.zoom("zoom_in"),
            f"<{m}-equal>": lambda: pv.zoom("zoom_in"),
            f"<{m}-KP_Add>": lambda: pv.zoom("zoom_in"),
            f"<{m}-minus>": lambda: pv.zoom("zoom_out"),
            f"<{m}-KP_Subtract>": lambda: pv.zoom("zoom_out"),
            "<F6>": lambda: self.next_pane(+1),
            "<Shift-F6>": lambda: self.next_pane(-1),
        }
        for seq, command in keys.items():
            root.bind(seq, _shortcut(command))
        self.shortcut_keys = keys
        self.files.tree.bind("<Delete>", lambda _e: c.remove_selected())

    def panes(self) -> list[Any]:
        """Where F6 goes, in order: file list, preview/compare, first setting, Convert."""
        preview = self.preview.compare.area if self.preview.comparing else None
        first_setting = (
            self.settings.tk_focusNext() if hasattr(self.settings, "tk_focusNext") else None
        )
        order = [self.files.tree, preview or self.preview.view_buttons["thumbs"], first_setting]
        return [w for w in (*order, self.progress.convert_btn) if w is not None]

    def next_pane(self, step: int) -> None:
        panes = self.panes()
        focused = self.root.focus_get()
        index = next((i for i, w in enumerate(panes) if w is focused), -1 if step > 0 else 0)
        panes[(index + step) % len(panes)].focus_set()

    def show_shortcuts(self) -> None:
        """A window listing every shortcut (the same ones the menus show)."""
        from . import dialogs

        d = dialogs.Dialog(self.root, _("Keyboard shortcuts"))
        for menu in self.menus.values():
            last = menu.index("end")
            for i in range(0, (last if last is not None else -1) + 1):
                if menu.type(i) in ("command", "radiobutton"):
                    accel = menu.entrycget(i, "accelerator")
                    if accel:
                        d.text(f"{accel:<14} {menu.entrycget(i, 'label')}")
        d.text(_("Compare view: + / - zoom, 0 fit, 1 100 %, arrows pan, [ ] move the divider"))
        d.text(_("Tab / Shift+Tab: next / previous control; Alt + underlined letter: menus"))
        d.button(_("Close"), d.destroy, accent=True)


def _shortcut(command: Callable[[], object]) -> Callable[[tk.Event], str]:
    """A key binding that runs ``command`` and stops other bindings from seeing the key."""

    def handler(_event: tk.Event) -> str:
        command()
        return "break"

    return handler
