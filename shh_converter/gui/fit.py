"""Fitting the window to the screen: the work area, the size per screen, a scrolling column.

The window's size is remembered *per screen size* (``ui.window_geometries``:
``"1366x768" -> "1300x690+20+10"``), so a laptop on its own screen and on a big
monitor each get back what the user chose there. A screen seen for the first time
gets a default that fits its work area (the screen less task bar, menu bar and
the window's own title bar).
"""

from __future__ import annotations

import logging
import re
import sys
import tkinter as tk
from tkinter import font as tkfont
from tkinter import ttk
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..sidecars.config import Config

log = logging.getLogger(__name__)

PREFERRED = (1180, 800)  # at 96 dpi; scaled with Tk's scaling
MIN_SIZE = (720, 480)
GEOMETRIES_KEY = "ui.window_geometries"
_GEOMETRY = re.compile(r"(\d+)x(\d+)(?:([+-]-?\d+)([+-]-?\d+))?")


def work_area(root: tk.Misc) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the screen less task bar / menu bar and window frame.

    Windows reports its work area (``SPI_GETWORKAREA``); elsewhere Tk's
    ``wm maxsize`` (macOS: the screen less its menu bar) with room left for a
    desktop panel. Then the window's own title bar and borders are taken off.
    """
    sw, sh = root.winfo_screenwidth(), root.winfo_screenheight()
    x, y, w, h = 0, 0, sw, sh
    if sys.platform == "win32":
        area = _windows_work_area()
        if area is not None:
            x, y, w, h = area
        decoration = (16, 40)  # borders, title bar (the task bar is already out)
    else:
        max_w, max_h = (int(v) for v in root.winfo_toplevel().wm_maxsize())
        w, h = min(w, max_w), min(h, max_h)
        decoration = (16, 80)  # a desktop panel (GNOME's top bar, the Dock) and a title bar
    return x, y, max(w - decoration[0], 320), max(h - decoration[1], 240)


def _windows_work_area() -> tuple[int, int, int, int] | None:
    import ctypes
    from ctypes import wintypes

    rect = wintypes.RECT()
    try:
        user32 = ctypes.windll.user32  # type: ignore[attr-defined]
        if not user32.SystemParametersInfoW(0x0030, 0, ctypes.byref(rect), 0):  # SPI_GETWORKAREA
            return None
    except (AttributeError, OSError):
        return None
    return rect.left, rect.top, rect.right - rect.left, rect.bottom - rect.top


def scale_factor(root: tk.Misc) -> float:
    """How much bigger than at 96 dpi things are drawn (Tk scaling is pixels per point)."""
    try:
        return max(float(root.tk.call("tk", "scaling")) / (96 / 72), 1.0)
    except (tk.TclError, ValueError):
        return 1.0


def screen_key(root: tk.Misc) -> str:
    return f"{root.winfo_screenwidth()}x{root.winfo_screenheight()}"


def default_size(root: tk.Misc) -> tuple[int, int]:
    """A size that fits the work area: the preferred size, larger on big screens."""
    _x, _y, aw, ah = work_area(root)
    s = scale_factor(root)
    want_w = max(round(PREFERRED[0] * s), round(aw * 0.7))
    want_h = max(round(PREFERRED[1] * s), round(ah * 0.8))
    return min(want_w, aw), min(want_h, ah)


def min_size(root: tk.Misc) -> tuple[int, int]:
    _x, _y, aw, ah = work_area(root)
    return min(MIN_SIZE[0], aw), min(MIN_SIZE[1], ah)


def initial_geometry(root: tk.Misc, cfg: Config) -> str:
    """The remembered geometry for this screen size (kept on screen), else a default."""
    remembered = _remembered(cfg).get(screen_key(root))
    x0, y0, aw, ah = work_area(root)
    match = _GEOMETRY.fullmatch(remembered) if isinstance(remembered, str) else None
    if match is None:
        w, h = default_size(root)
        return f"{w}x{h}+{x0 + (aw - w) // 2}+{y0 + max((ah - h) // 3, 0)}"
    # What the user chose is kept up to the screen's size (a maximised window is
    # larger than the work area less the allowance the default keeps).
    sw, sh = root.winfo_screenwidth(), root.winfo_screenheight()
    w, h = min(int(match[1]), sw), min(int(match[2]), sh)
    if match[3] is None:
        return f"{w}x{h}"
    x, y = int(match[3]), int(match[4])
    if not (-w // 2 < x < sw - 50 and 0 <= y < sh - 50):  # off-screen now: drop the place
        return f"{w}x{h}"
    return f"{w}x{h}+{x}+{y}"


def remember_geometry(root: tk.Misc, cfg: Config) -> None:
    """Store the window's geometry under this screen's size (saved with the config)."""
    geometries = dict(_remembered(cfg))
    geometries[screen_key(root)] = root.winfo_toplevel().wm_geometry()
    try:
        cfg.set(GEOMETRIES_KEY, geometries)
    except (KeyError, ValueError) as exc:
        log.warning("cannot remember the window size: %s", exc)


def _remembered(cfg: Config | None) -> dict[str, Any]:
    try:
        value = cfg.get(GEOMETRIES_KEY) if cfg is not None else None
    except (KeyError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


WHEEL_EVENTS = ("<MouseWheel>", "<Button-4>", "<Button-5>")  # Windows/macOS, X11 up/down


class ScrollColumn(ttk.Frame):
    """A column whose content (``inner``) scrolls vertically when the window is too short.

    The column is always as wide as its content asks, so nothing is ever cut off
    sideways; the scroll bar appears only when needed. A widget inside that gets
    the keyboard focus is scrolled into view.

    **The wheel never changes a setting here.** Tk's comboboxes and spinboxes (and
    scales from Tk 8.7) change their value with the wheel, so scrolling down the
    column used to change whatever value passed under the pointer. Every widget
    inside gets this column's bind tag ahead of its own and its class's: the wheel
    scrolls the column and stops there. A focused value widget scrolls too (browsers
    and Qt let the focused one take the wheel; a scroll gesture that edits a value
    as it passes is the trap this avoids, and the keyboard still changes it: arrow
    keys, typing, the drop-down). Only a list that has rows out of view scrolls its
    own rows, which changes nothing either.
    """

    def __init__(self, master: tk.Misc) -> None:
        super().__init__(master)
        self.canvas = tk.Canvas(self, highlightthickness=0, bd=0, height=1)
        self.bar = ttk.Scrollbar(self, orient="vertical", command=self.canvas.yview)
        self.inner = ttk.Frame(self.canvas)
        self._window = self.canvas.create_window(0, 0, window=self.inner, anchor="nw")
        self.canvas.configure(yscrollcommand=self.bar.set)
        # pack, not grid: with grid the canvas was never mapped when the content fitted
        # at start-up (Tk 8.6.13), which left an empty settings column.
        self.canvas.pack(side="left", fill="both", expand=True)
        self.inner.bind("<Configure>", lambda _e: self._content_changed())
        self.canvas.bind("<Configure>", lambda _e: self._view_changed())
        self.bind("<<ThemeChanged>>", lambda _e: self.match_theme(), add="+")
        self.bind_all("<FocusIn>", self._focus_in, add="+")
        self.wheel_tag = f"ScrollColumnWheel{self}"
        for seq in WHEEL_EVENTS:
            self.bind_class(self.wheel_tag, seq, self._wheel)
        # Widgets come and go (the encoder's options follow the format): each one is
        # given the tag when it is mapped, before the pointer can reach it.
        self.bind_all("<Map>", self._mapped, add="+")
        for widget in (self.canvas, self.inner):
            self._take_wheel(widget)
        self.match_theme()

    def match_theme(self) -> None:
        """The canvas is a classic Tk widget: give it the theme's background."""
        colour = ttk.Style(self).lookup("TFrame", "background") or None
        if colour:
            self.canvas.configure(background=colour)

    def _content_changed(self) -> None:
        width = self.inner.winfo_reqwidth()
        self.canvas.configure(width=width, scrollregion=(0, 0, width, self.inner.winfo_reqheight()))
        self._view_changed()

    def _view_changed(self) -> None:
        height = self.canvas.winfo_height()
        self.canvas.itemconfigure(self._window, width=self.canvas.winfo_width())
        shown = bool(self.bar.winfo_manager())
        if self.inner.winfo_reqheight() > height > 1:
            if not shown:
                self.bar.pack(side="right", fill="y", padx=(4, 0), before=self.canvas)
        elif shown:
            self.bar.pack_forget()
            self.canvas.yview_moveto(0)

    @property
    def scrolls(self) -> bool:
        return bool(self.bar.winfo_manager())

    def _inside(self, widget: object) -> bool:
        return isinstance(widget, tk.Misc) and str(widget).startswith(str(self.inner))

    def _take_wheel(self, widget: tk.Misc) -> None:
        tags = widget.bindtags()
        if self.wheel_tag not in tags:
            widget.bindtags((self.wheel_tag, *tags))

    def _mapped(self, event: tk.Event) -> None:
        if self._inside(event.widget):
            self._take_wheel(event.widget)

    def _focus_in(self, event: tk.Event) -> None:
        widget = event.widget
        if not self._inside(widget) or not self.scrolls:
            return
        top = widget.winfo_rooty() - self.inner.winfo_rooty()
        bottom = top + widget.winfo_height()
        total = max(self.inner.winfo_reqheight(), 1)
        view_top = self.canvas.canvasy(0)
        view_bottom = view_top + self.canvas.winfo_height()
        if top < view_top:
            self.canvas.yview_moveto(max(top - 8, 0) / total)
        elif bottom > view_bottom:
            self.canvas.yview_moveto((bottom + 8 - self.canvas.winfo_height()) / total)

    def _wheel(self, event: tk.Event) -> str | None:
        """Scroll the column and stop the event, so no value widget sees it."""
        widget = event.widget
        if isinstance(widget, (tk.Listbox, ttk.Treeview)) and widget.yview() != (0.0, 1.0):
            return None  # a list with rows out of view scrolls them (its class binding)
        if self.scrolls:
            up = getattr(event, "num", None) == 4 or getattr(event, "delta", 0) > 0
            self.canvas.yview_scroll(-2 if up else 2, "units")
        return "break"


# -- tables -------------------------------------------------------------------------

CELL_PAD = 20  # a table cell's or heading's padding, both sides together
TREE_INDENT = 20  # Treeview's default: an item's text starts this far into column #0


class TableMeasure:
    """Pixels a Treeview's texts need, in the theme's own fonts (sv-ttk's are not Tk's)."""

    def __init__(self, tree: ttk.Treeview) -> None:
        style = ttk.Style(tree)
        self.heading = _font(tree, style.lookup("Treeview.Heading", "font") or "TkHeadingFont")
        self.cell = _font(tree, style.lookup("Treeview", "font") or "TkDefaultFont")
        self.indent = int(style.lookup("Treeview", "indent") or TREE_INDENT)

    def column(self, col: str, heading: str, cells: list[str]) -> int:
        """Width for column ``col`` showing ``heading`` and every one of ``cells`` whole."""
        lead = self.indent if col == "#0" else 0
        widest = max((self.cell.measure(t) for t in cells), default=0)
        return max(self.heading.measure(heading), lead + widest) + CELL_PAD


def _font(widget: tk.Misc, spec: object) -> tkfont.Font:
    """A theme's font: a named font (sv-ttk's) or a description such as ``Arial 10``."""
    try:
        return tkfont.nametofont(str(spec), root=widget)
    except tk.TclError:
        return tkfont.Font(widget, font=str(spec))
