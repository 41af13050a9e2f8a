"""Table cells that never hide text: fitted to their column with "…", whole in a tooltip.

Tk's Treeview cuts a text that is wider than its column without a sign. A
:class:`CellTexts` keeps the whole text of each cell it is given, shows it fitted to
the column's width (ending in "…" when it had to be shortened, refitted when the
column's width changes) and shows the whole text in a tooltip while the pointer
rests on a shortened cell. ``whole(iid, column)`` gives it to a details line or a
copy command. Fitting runs in Tcl (:data:`TCL`), one call for any number of rows:
each Tcl call from Python gives up the GIL, which a busy worker thread holds.
"""

from __future__ import annotations

import tkinter as tk
import weakref
from tkinter import font as tkfont
from tkinter import ttk
from typing import TYPE_CHECKING

from .fit import TableMeasure

if TYPE_CHECKING:
    from collections.abc import Iterable

ELLIPSIS = "…"
CELL_MARGIN = 10  # a cell's own padding inside its column, both sides
TIP_DELAY_MS = 400
# Each table's CellTexts by the table's Tk path (the layout probes look them up).
_BY_TABLE: weakref.WeakValueDictionary[str, CellTexts] = weakref.WeakValueDictionary()

# shh_fit: the longest start of TEXT that fits ROOM pixels with "…" after it (binary
# search on the length), or TEXT itself when it fits. shh_refit: fit many cells.
TCL = """
proc shh_fit {text font room} {
    if {[font measure $font $text] <= $room} { return $text }
    set lo 0
    set hi [string length $text]
    while {$lo < $hi} {
        set mid [expr {($lo + $hi + 1) / 2}]
        if {[font measure $font "[string range $text 0 [expr {$mid - 1}]]\u2026"] <= $room} {
            set lo $mid
        } else {
            set hi [expr {$mid - 1}]
        }
    }
    return "[string trimright [string range $text 0 [expr {$lo - 1}]]]\u2026"
}
proc shh_refit {tree font col cells} {
    foreach {id text room} $cells {
        if {![$tree exists $id]} continue
        if {$col eq "#0"} {
            $tree item $id -text [shh_fit $text $font $room]
        } else {
            $tree set $id $col [shh_fit $text $font $room]
        }
    }
}
"""


def define_tcl(widget: tk.Misc) -> None:
    """Make the Tcl procedures known to ``widget``'s interpreter (once)."""
    if not widget.tk.call("info", "procs", "shh_fit"):
        widget.tk.eval(TCL)


def texts_of(tree: ttk.Treeview) -> CellTexts | None:
    """The whole texts kept for ``tree``'s cells (None: its cells are not fitted)."""
    return _BY_TABLE.get(str(tree))


class CellTexts:
    """The whole texts of ``tree``'s cells in ``columns``; shown fitted, whole on hover."""

    def __init__(self, tree: ttk.Treeview, columns: Iterable[str]) -> None:
        self.tree = tree
        self.columns = tuple(columns)
        self.texts: dict[tuple[str, str], tuple[str, int]] = {}  # cell -> (text, depth)
        self.measure = TableMeasure(tree)
        self.font = str(self.measure.cell)  # a named font Tcl's `font measure` takes
        self._widths: dict[str, int] = {}
        self._tip: Tooltip | None = None
        self._hover: tuple[str, str] | None = None
        define_tcl(tree)
        tree.bind("<Configure>", lambda _e: self.refit(), add="+")
        tree.bind("<Motion>", self._motion, add="+")
        tree.bind("<Leave>", lambda _e: self.hide_tip(), add="+")
        tree.bind("<ButtonPress>", lambda _e: self.hide_tip(), add="+")
        _BY_TABLE[str(tree)] = self

    # -- fitting ---------------------------------------------------------------------

    def room(self, column: str, depth: int = 0) -> int:
        """Pixels a text may take in ``column`` (a name's indent per level taken off)."""
        lead = self.measure.indent * (depth + 1) if column == "#0" else 0
        return max(int(self.tree.column(column, "width")) - CELL_MARGIN - lead, 8)

    def fitted(self, text: str, column: str, depth: int = 0) -> str:
        return str(self.tree.tk.call("shh_fit", text, self.font, self.room(column, depth)))

    def remember(self, iid: str, column: str, text: str, depth: int = 0) -> None:
        """Keep ``text`` as the whole text of a cell the caller shows (fitted) itself."""
        self.texts[(iid, column)] = (text, depth)

    def set_whole(self, iid: str, column: str, text: str, depth: int = 0) -> str:
        """Keep ``text`` and return it fitted, for a caller that shows it itself."""
        self.texts[(iid, column)] = (text, depth)
        return self.fitted(text, column, depth)

    def set(self, iid: str, column: str, text: str, depth: int = 0) -> str:
        """Show ``text`` fitted in the cell (``depth``: 1 for a child row); returns it."""
        self.texts[(iid, column)] = (text, depth)
        shown = self.fitted(text, column, depth)
        if column == "#0":
            self.tree.item(iid, text=shown)
        else:
            self.tree.set(iid, column, shown)
        return shown

    def forget(self, iids: Iterable[str]) -> None:
        gone = set(iids)
        self.texts = {k: v for k, v in self.texts.items() if k[0] not in gone}

    def clear(self) -> None:
        self.texts.clear()

    def whole(self, iid: str, column: str) -> str | None:
        kept = self.texts.get((iid, column))
        return kept[0] if kept is not None else None

    def refit(self, force: bool = False) -> None:
        """Fit every kept text again when a column's width changed (one Tcl call each)."""
        for column in self.columns:
            width = int(self.tree.column(column, "width"))
            if not force and self._widths.get(column) == width:
                continue
            self._widths[column] = width
            rooms = {0: self.room(column, 0), 1: self.room(column, 1)}
            cells: list[object] = []
            for (iid, col), (text, depth) in self.texts.items():
                if col == column:
                    cells += [iid, text, rooms[min(depth, 1)]]
            if cells:
                self.tree.tk.call("shh_refit", str(self.tree), self.font, column, tuple(cells))

    def shortened(self, iid: str, column: str) -> bool:
        whole = self.whole(iid, column)
        return whole is not None and self.shown(iid, column) != whole

    def shown(self, iid: str, column: str) -> str:
        if column == "#0":
            return str(self.tree.item(iid, "text"))
        return str(self.tree.set(iid, column))

    # -- the tooltip -----------------------------------------------------------------

    def column_at(self, x: int) -> str:
        """The column name under ``x`` (``identify_column`` numbers the shown ones)."""
        number = str(self.tree.identify_column(x)).lstrip("#")
        if not number or number == "0":
            return "#0"
        shown = [str(c) for c in self.tree.cget("displaycolumns")]
        if shown in (["#all"], []):
            shown = [str(c) for c in self.tree.cget("columns")]
        index = int(number) - 1
        return shown[index] if 0 <= index < len(shown) else ""

    def _motion(self, event: tk.Event) -> None:
        iid = self.tree.identify_row(event.y)
        column = self.column_at(event.x)
        cell = (iid, column)
        if cell == self._hover:
            return
        self.hide_tip()
        self._hover = cell
        if iid and self.shortened(iid, column):
            text = self.whole(iid, column) or ""
            self._tip = Tooltip(self.tree, text, event.x_root + 14, event.y_root + 18)

    def hide_tip(self) -> None:
        self._hover = None
        if self._tip is not None:
            self._tip.close()
            self._tip = None

    @property
    def tip(self) -> Tooltip | None:
        return self._tip


class Tooltip:
    """A small window with ``text`` near (``x``, ``y``), shown after a short rest."""

    def __init__(self, master: tk.Misc, text: str, x: int, y: int) -> None:
        self.master, self.text, self.place = master, text, (x, y)
        self.window: tk.Toplevel | None = None
        self._after: str | None = master.after(TIP_DELAY_MS, self._show)

    def _show(self) -> None:
        self._after = None
        top = self.window = tk.Toplevel(self.master)
        top.wm_overrideredirect(True)
        style = ttk.Style(top)
        background = style.lookup("TFrame", "background") or "#ffffe0"
        frame = tk.Frame(top, background="#808080", padx=1, pady=1)
        frame.pack()
        screen = top.winfo_screenwidth()
        width = min(640, max(screen // 2, 200))
        label = tk.Label(
            frame,
            text=self.text,
            justify="left",
            wraplength=width,
            background=background,
            foreground=style.lookup("TLabel", "foreground") or "#000000",
            font=tkfont.nametofont("TkDefaultFont"),
            padx=6,
            pady=3,
        )
        label.pack()
        self.label = label
        top.update_idletasks()
        x, y = self.place
        x = max(0, min(x, screen - top.winfo_reqwidth() - 4))
        y = max(0, min(y, top.winfo_screenheight() - top.winfo_reqheight() - 4))
        top.wm_geometry(f"+{x}+{y}")

    def close(self) -> None:
        if self._after is not None:
            self.master.after_cancel(self._after)
            self._after = None
        if self.window is not None:
            self.window.destroy()
            self.window = None


def fit_column_to(tree: ttk.Treeview, column: str, heading: str, texts: list[str]) -> None:
    """Make ``column`` wide enough for every one of ``texts`` (for a table that scrolls
    sideways instead of shortening, such as the failures dialog)."""
    tree.column(column, width=TableMeasure(tree).column(column, heading, texts), stretch=False)


def describe(texts: CellTexts, iid: str, columns: Iterable[str]) -> str:
    """One line with the whole texts of ``iid``'s cells in ``columns`` (for copying)."""
    parts = [texts.whole(iid, c) or texts.shown(iid, c) for c in columns]
    return " — ".join(p for p in parts if p)
