"""The main window's layout: composes the frames, the menu bar and the shortcuts.

No logic lives here: every command calls the controller. Frames are attributes
(``drop``, ``files``, ``settings``, ``presets``, ``preview``, ``progress``) so the
controller and the tests can reach them. The settings column scrolls when the
window is short (``fit.ScrollColumn``), so small screens lose no setting.

Keyboard: every menu entry has a mnemonic (Alt+underlined letter) and lists its
shortcut; one table (``MainWindow._menu_table``) builds both the menus and the key
bindings, so a listed shortcut is always bound. Shortcuts use Command on macOS and
Control elsewhere. Tab walks every
control (the focus is drawn by the theme; the compare view draws its own ring),
F6 jumps between the file list, the preview, the settings and Convert.
"""

from __future__ import annotations

import logging
import tkinter as tk
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
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


@dataclass(frozen=True)
class Shortcut:
    """A key: what its menu item shows, and the Tk sequences bound to the same command."""

    shown: str
    sequences: tuple[str, ...]
    on_file_list: bool = False  # bound where the selection is, not on the whole window


@dataclass(frozen=True)
class MenuItem:
    """One menu entry: its label ("&" before the access key), command and shortcut;
    ``view`` makes it a radio button for the preview's view of that name."""

    label: str
    command: Callable[[], Any]
    key: Shortcut | None = None
    view: str | None = None


# None: a separator; a callable adds its own items to the menu it is given.
Entry = MenuItem | Callable[[tk.Menu], object] | None


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

    def _key(self, shown: str, *keys: str) -> Shortcut:
        """``Ctrl+shown`` (Cmd on macOS), bound as ``<Control-key>`` for each of ``keys``."""
        return Shortcut(self.mod_text + shown, tuple(f"<{self.mod}-{key}>" for key in keys))

    def _menu_table(self) -> list[tuple[str, str, list[Entry]]]:
        """Every menu and its items, each with its shortcut: the one table the menu bar
        and the key bindings are both built from. (name, translated title, entries)."""
        c, k, pv, show = self.c, self._key, self.preview, self.preview.set_view
        zoom_in = k("+", "plus", "equal", "KP_Add")
        delete = Shortcut("Delete", ("<Delete>",), on_file_list=True)
        file: list[Entry] = [
            MenuItem(_("&Add files…"), c.add_files_dialog, k("O", "o")),
            MenuItem(_("Add &folder…"), c.add_folder_dialog, k("Shift+O", "O")),
            None,
            MenuItem(_("&Convert"), c.convert, k("Enter", "Return", "KP_Enter")),
            MenuItem(_("Cancel &batch"), c.cancel, Shortcut("Esc", ("<Escape>",))),
            MenuItem(_("&Open output folder"), c.open_destination),
            MenuItem(_("C&hange output folder…"), c.choose_destination),
            # Watch a folder…, Watched folders… (gui/watching.py)
            lambda menu: watching.add_menu_items(menu, c),
            None,
            MenuItem(_("&Quit"), c.request_close, k("Q", "q")),
        ]
        edit: list[Entry] = [
            MenuItem(_("&Remove selected"), c.remove_selected, delete),
            MenuItem(_("&Clear list"), c.clear),
            None,
            MenuItem(_("&Save preset…"), self.presets.save),
            MenuItem(_("&Delete preset"), self.presets.delete),
            None,
            MenuItem(_("Pr&eferences…"), c.preferences, k(",", "comma")),
        ]
        view: list[Entry] = [
            MenuItem(_("&Thumbnails"), partial(show, "thumbs"), k("T", "t"), "thumbs"),
            MenuItem(_("Compare: &split"), partial(show, "split"), k("D", "d"), "split"),
            MenuItem(_("Compare: side &by side"), partial(show, "side"), k("B", "b"), "side"),
            None,
            MenuItem(_("Zoom to &fit"), partial(pv.zoom, "zoom_fit"), k("0", "Key-0")),
            MenuItem(_("&Actual size (100 %)"), partial(pv.zoom, "zoom_actual"), k("1", "Key-1")),
            MenuItem(_("Zoom &in"), partial(pv.zoom, "zoom_in"), zoom_in),
            MenuItem(_("Zoom &out"), partial(pv.zoom, "zoom_out"), k("-", "minus", "KP_Subtract")),
            None,
            MenuItem(_("&Next pane"), partial(self.next_pane, +1), Shortcut("F6", ("<F6>",))),
        ]
        helpm: list[Entry] = [
            MenuItem(_("&Keyboard shortcuts"), self.show_shortcuts),
            MenuItem(_("Check for &updates…"), c.check_updates),
            MenuItem(_("Open &log folder"), c.open_log_folder),
            None,
            MenuItem(_("&About SHH Converter"), c.about),
        ]
        return [
            ("File", _("&File"), file),
            ("Edit", _("&Edit"), edit),
            ("View", _("&View"), view),
            ("Help", _("&Help"), helpm),
        ]

    def _unlisted_keys(self) -> list[MenuItem]:
        """Shortcuts no menu shows (the reverse of one that does)."""
        previous = partial(self.next_pane, -1)
        return [MenuItem("", previous, Shortcut("Shift+F6", ("<Shift-F6>",)))]

    def _menu(self) -> None:
        """The menu bar and every shortcut, from :meth:`_menu_table`."""
        bar = tk.Menu(self.root)
        self.menus: dict[str, tk.Menu] = {}
        self.shortcut_keys: dict[str, Callable[[], Any]] = {}
        items: list[MenuItem] = []
        for name, title, entries in self._menu_table():
            menu = self.menus[name] = tk.Menu(bar, tearoff=False)
            for entry in entries:
                if entry is None:
                    menu.add_separator()
                elif isinstance(entry, MenuItem):
                    self._add_item(menu, entry)
                    items.append(entry)
                else:
                    entry(menu)
            bar.add_cascade(**mnemonic(title), menu=menu)
        self.root.configure(menu=bar)
        self.menubar = bar
        for item in [*items, *self._unlisted_keys()]:
            self._bind(item)

    def _add_item(self, menu: tk.Menu, item: MenuItem) -> None:
        shown = item.key.shown if item.key is not None else ""  # "": none, Tk's default
        if item.view is None:
            menu.add_command(**mnemonic(item.label), accelerator=shown, command=item.command)
        else:
            menu.add_radiobutton(
                **mnemonic(item.label),
                accelerator=shown,
                value=item.view,
                variable=self.preview.view_var,
                command=item.command,
            )

    def _bind(self, item: MenuItem) -> None:
        if item.key is None:
            return
        if item.key.on_file_list:
            for sequence in item.key.sequences:
                self.files.tree.bind(sequence, lambda _e: item.command())
            return
        for sequence in item.key.sequences:
            self.root.bind(sequence, _shortcut(item.command))
            self.shortcut_keys[sequence] = item.command

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
