"""The file list: one Treeview row per input file with its size and status.

An input of a several-output recipe gets, once converted, a child row per output
(its name, dimensions, size and result) under its own row, which shows the totals.
Rows are keyed by the file's path. The controller feeds rows in chunks from a
worker thread (through the UI queue), so adding thousands of files never blocks
the window; updating a row is one ``Treeview.item`` call.
"""

from __future__ import annotations

import logging
import tkinter as tk
from tkinter import ttk
from typing import TYPE_CHECKING

from ..core.units import human_bytes
from ..i18n import _, ngettext
from . import cells, fit

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from pathlib import Path

    from ..core.jobs import OutputResult

log = logging.getLogger(__name__)

STATUS_TAGS = ("queued", "working", "done", "skipped", "failed", "cancelled")
# What a row says while it waits or runs (the tags above stay English: styles key on them).
QUEUED, WORKING = _("queued"), _("working")


# Tcl procedures that add or update many rows in one call (see FileList.add_rows); names
# and statuses are fitted to their columns there (cells.TCL's shh_fit).
_BULK = """
proc shh_rows_insert {tree rows font room} {
    foreach {id text values} $rows {
        $tree insert {} end -id $id -text [shh_fit $text $font $room] -values $values
    }
}
proc shh_rows_values {tree rows font room} {
    foreach {id values} $rows {
        set status [shh_fit [lindex $values end] $font $room]
        $tree item $id -values [lreplace $values end end $status]
    }
}
"""


# The widest text each fixed column must show whole (besides its heading).
_SAMPLES = {"dims": "88888×88888", "size": "888.8 KB → 888.8 KB"}
# What a narrow list gives up first: the preview's captions show the dimensions too.
_DROP_FIRST = ("dims", "size")
_NAME_MIN, _STATUS_MIN = 100, 80  # at Tk scaling 1 (96 dpi), the name's indent aside
_SIZE_HEADINGS = (_("Size before → after"), _("Size"))  # the short one on a narrow list


def dims_text(size: tuple[int, int] | None) -> str:
    return f"{size[0]}×{size[1]}" if size else ""


class FileList(ttk.Frame):
    """Treeview of files plus Remove/Clear buttons."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        on_select: Callable[[Path | None], None],
        on_remove: Callable[[], None],
        on_clear: Callable[[], None],
        on_action: Callable[[str], None] = lambda _name: None,
    ) -> None:
        super().__init__(master)
        self._on_select = on_select
        self._on_action = on_action  # "open", "show", "copy", "retry", "remove" (the menu's)
        self.outputs: dict[str, Path] = {}  # a row -> the output it wrote (first, for an input)
        self.iids: dict[Path, str] = {}
        self.paths: dict[str, Path] = {}
        self.sizes: dict[Path, int] = {}
        # Row texts kept here too: reading them back from Tk costs a Tcl call per row,
        # and every Tcl call gives up the GIL (slow to get back while workers are busy).
        self.values: dict[Path, list[str]] = {}
        self.children_of: dict[str, Path] = {}  # an output's row -> its input's path
        self._serial = 0  # row ids are ours ("f1", "f2", ...), so rows can be added in bulk
        self._bulk_ready = False
        self.tree = ttk.Treeview(
            self, columns=("dims", "size", "status"), selectmode="extended", height=8
        )
        self.tree.heading("#0", text=_("Name"), anchor="w")
        self.tree.heading("dims", text=_("Dimensions"), anchor="w")
        self.tree.heading("size", text=_("Size before → after"), anchor="w")
        self.tree.heading("status", text=_("Status"), anchor="w")
        for col in ("#0", "dims", "size", "status"):  # widths follow the list's (fit_columns)
            self.tree.column(col, minwidth=20, stretch=False)
        self.shown: tuple[str, ...] = ("dims", "size", "status")
        self._width = 0
        self.tree.bind("<Configure>", self.fit_columns, add=True)
        self.tree.tag_configure("failed", foreground="#d03a3a")
        self.tree.tag_configure("skipped", foreground="#9a7b16")
        self.tree.tag_configure("done", foreground="#2f8f46")
        self.tree.tag_configure("cancelled", foreground="#808080")
        scroll = ttk.Scrollbar(self, orient="vertical", command=self.tree.yview)
        self.tree.configure(yscrollcommand=scroll.set)
        buttons = ttk.Frame(self)
        self.count_label = ttk.Label(buttons, text=_("No files yet"))
        self.count_label.pack(side="left")
        self.clear_btn = ttk.Button(buttons, text=_("Clear"), command=on_clear)
        self.clear_btn.pack(side="right")
        self.remove_btn = ttk.Button(buttons, text=_("Remove"), command=on_remove)
        self.remove_btn.pack(side="right", padx=4)
        self.tree.grid(row=0, column=0, sticky="nsew")
        scroll.grid(row=0, column=1, sticky="ns")
        buttons.grid(row=1, column=0, columnspan=2, sticky="ew", pady=(4, 0))
        self.rowconfigure(0, weight=1)
        self.columnconfigure(0, weight=1)
        self.tree.bind("<<TreeviewSelect>>", self._selected)
        # Names and statuses too long for their column end in "…": the whole text shows in
        # a tooltip and in the details line, which can be selected and copied.
        self.cells = cells.CellTexts(self.tree, ("#0", "status"))
        self.details_var = tk.StringVar(self, "")
        self.details = ttk.Entry(buttons, textvariable=self.details_var, state="readonly")
        self.details_var.trace_add("write", lambda *_a: self._details_shown())
        self._menu()

    def _details_shown(self) -> None:
        """The details line takes room only while it has something to say."""
        if self.details_var.get():
            if not self.details.winfo_manager():
                self.details.pack(side="left", fill="x", expand=True, padx=8)
        elif self.details.winfo_manager():
            self.details.pack_forget()

    def _menu(self) -> None:
        """A row's menu (right click; Control-click on macOS) and double-click to open."""
        menu = self.menu = tk.Menu(self.tree, tearoff=False)
        entries = [
            ("open", _("Open")),
            ("show", _("Show in folder")),
            ("copy", _("Copy path")),
            ("retry", _("Retry")),
            ("remove", _("Remove")),
        ]
        self.menu_entries = [name for name, _label in entries]
        for name, label in entries:
            menu.add_command(label=label, command=self._action(name))
        aqua = self.tk.call("tk", "windowingsystem") == "aqua"
        for seq in ("<Button-2>", "<Control-Button-1>") if aqua else ("<Button-3>",):
            self.tree.bind(seq, self._popup, add="+")
        self.tree.bind("<Double-Button-1>", self._double, add="+")

    def _action(self, name: str) -> Callable[[], None]:
        return lambda: self._on_action(name)

    def _popup(self, event: tk.Event) -> None:
        iid = self.tree.identify_row(event.y)
        if not iid:
            return
        if iid not in self.tree.selection():
            self.tree.selection_set(iid)
        self.tree.focus(iid)
        failed = any(self.row_failed(i) for i in self.tree.selection())
        has_output = any(i in self.outputs for i in self.tree.selection())
        for name in ("open", "show"):
            self.menu.entryconfigure(
                self.menu_entries.index(name), state="normal" if has_output else "disabled"
            )
        retry = self.menu_entries.index("retry")
        self.menu.entryconfigure(retry, state="normal" if failed else "disabled")
        try:
            self.menu.tk_popup(event.x_root, event.y_root)
        finally:
            self.menu.grab_release()

    def _double(self, event: tk.Event) -> str | None:
        iid = self.tree.identify_row(event.y)
        if iid and iid in self.outputs:
            self.tree.focus(iid)
            self._on_action("open")
            return "break"
        return None

    def row_failed(self, iid: str) -> bool:
        return "failed" in self.tree.item(iid, "tags")

    def output_of(self, iid: str) -> Path | None:
        return self.outputs.get(iid)

    def source_of(self, iid: str) -> Path | None:
        return self.paths.get(iid) or self.children_of.get(iid)

    def selected_rows(self) -> list[str]:
        """The selected rows (inputs and outputs), in list order."""
        return list(self.tree.selection())

    # -- columns ---------------------------------------------------------------

    def needs(self, size_heading: str | None = None) -> dict[str, int]:
        """Pixels each column needs: its heading whole (``size_heading`` instead of the
        sizes' current one, if given), and its widest usual value."""
        measure = fit.TableMeasure(self.tree)
        scale = float(self.tk.call("tk", "scaling")) / (96 / 72)
        out = {}
        for col in ("#0", "dims", "size", "status"):
            title = str(self.tree.heading(col, "text"))
            title = size_heading if col == "size" and size_heading else title
            out[col] = measure.column(col, title, [_SAMPLES[col]] if col in _SAMPLES else [])
        out["#0"] = max(out["#0"], measure.indent + round(_NAME_MIN * scale))
        out["status"] = max(out["status"], round(_STATUS_MIN * scale))
        return out

    def fit_columns(self, _event: object = None) -> None:
        """Columns that fill the list's width exactly: never wider, so nothing is hidden
        off to the right. A narrow list first shortens the sizes' heading, then leaves
        out the dimensions, then the sizes, rather than cutting them. What is left over
        goes two thirds to the name, the rest to the status."""
        width = self.tree.winfo_width()
        if width <= 1 or width == self._width:
            return
        self._width = width
        measured = [(heading, self.needs(heading)) for heading in _SIZE_HEADINGS]
        layouts = [  # in order of preference; the last one when none fits
            (shown, heading, needs)
            for shown in (("dims", "size", "status"), ("size", "status"), ("status",))
            for heading, needs in measured
        ]

        def spare_of(layout: tuple[tuple[str, ...], str, dict[str, int]]) -> int:
            shown, _heading, needs = layout
            return width - needs["#0"] - sum(needs[c] for c in shown)

        layout = next((x for x in layouts if spare_of(x) >= 0), layouts[-1])
        shown, heading, needs = layout
        self.tree.heading("size", text=heading)
        if shown != self.shown:
            self.shown = shown
            self.tree.configure(displaycolumns=shown)
        spare = max(0, spare_of(layout))
        for col in shown:
            self.tree.column(col, width=needs[col])
        to_name = spare * 2 // 3
        self.tree.column("#0", width=needs["#0"] + to_name)
        self.tree.column("status", width=needs["status"] + spare - to_name)

    # -- rows ------------------------------------------------------------------

    def add_rows(self, rows: Iterable[tuple[Path, tuple[int, int] | None, int]]) -> int:
        """Append rows (path, pixel size, bytes); paths already listed are ignored.

        All rows go to Tk in one call (:data:`_BULK`): each Tcl call gives up the GIL,
        and getting it back from a busy scan thread costs up to the switch interval,
        so a call per row made a chunk of 100 rows stall the window ~100 ms.
        """
        added: list[tuple[str, str, tuple[str, ...]]] = []
        for path, dims, size in rows:
            if path in self.iids:
                continue
            values = [dims_text(dims), human_bytes(size), QUEUED]
            self._serial += 1
            iid = f"f{self._serial}"
            self.iids[path] = iid
            self.paths[iid] = path
            self.sizes[path] = size
            self.values[path] = values
            added.append((iid, path.name, tuple(values)))
        if added:
            for iid, name, _values in added:
                self.cells.remember(iid, "#0", name)
            self._bulk("insert", [x for row in added for x in row], "#0")
        self._count()
        return len(added)

    def _bulk(self, action: str, flat: list[object], fitted: str) -> None:
        """One Tcl call for many rows: ``insert`` (id, text, values) or ``values`` (id,
        values), the ``fitted`` column's text shortened to its width."""
        if not self._bulk_ready:
            self.tk.eval(_BULK)
            self._bulk_ready = True
        room = self.cells.room(fitted)
        self.tk.call("shh_rows_" + action, str(self.tree), tuple(flat), self.cells.font, room)

    def files(self) -> list[Path]:
        """Paths in list order."""
        return [self.paths[iid] for iid in self.tree.get_children()]

    def selected(self) -> list[Path]:
        return [self.paths[iid] for iid in self.tree.selection() if iid in self.paths]

    def remove(self, paths: Iterable[Path]) -> None:
        iids = [self.iids.pop(p) for p in paths if p in self.iids]
        for iid in iids:
            self._drop_children(iid)
            path = self.paths.pop(iid, None)
            self.values.pop(path, None)  # type: ignore[arg-type]
        if iids:
            self.cells.forget(iids)
            for iid in iids:
                self.outputs.pop(iid, None)
            self.tree.delete(*iids)
        self._count()

    def clear(self) -> None:
        self.tree.delete(*self.tree.get_children())
        self.children_of.clear()
        self.iids.clear()
        self.paths.clear()
        self.sizes.clear()
        self.values.clear()
        self.cells.clear()
        self.outputs.clear()
        self.details_var.set("")
        self._count()

    def set_status(
        self,
        path: Path,
        status: str,
        *,
        text: str | None = None,
        bytes_out: int | None = None,
        dims: tuple[int, int] | None = None,
        output: Path | None = None,
    ) -> None:
        """Update one row; ``status`` is one of :data:`STATUS_TAGS`; ``output``: the file
        it wrote (what Open, Show in folder and Copy path act on)."""
        iid = self.iids.get(path)
        if iid is None:
            return
        if output is not None:
            self.outputs[iid] = output
        elif status in ("queued", "working"):
            self.outputs.pop(iid, None)
        values = self.values[path]
        values[2] = text or {"queued": QUEUED, "working": WORKING}.get(status, status)
        if bytes_out is not None:
            values[1] = f"{human_bytes(self.sizes.get(path))} → {human_bytes(bytes_out)}"
        if dims is not None and not values[0]:
            values[0] = dims_text(dims)
        self._show_values(iid, values, (status,))
        if self.tree.focus() == iid:
            self._selected()

    def _show_values(self, iid: str, values: list[str], tags: tuple[str, ...]) -> None:
        """A row's values, its status fitted to the column (whole in ``cells``)."""
        shown = [*values[:2], self.cells.set_whole(iid, "status", values[2])]
        self.tree.item(iid, values=shown, tags=tags)

    def set_dims(self, rows: Iterable[tuple[Path, tuple[int, int] | None]]) -> None:
        """Fill in pixel sizes read after the rows were listed (only rows that lack one)."""
        changed: list[object] = []
        for path, dims in rows:
            iid, values = self.iids.get(path), self.values.get(path)
            if iid is None or values is None or dims is None or values[0]:
                continue
            values[0] = dims_text(dims)
            changed += [iid, tuple(values)]
        if changed:
            self._bulk("values", changed, "status")

    def show_outputs(self, path: Path, outputs: Sequence[OutputResult]) -> None:
        """One child row per output under ``path``'s row (replacing earlier ones)."""
        iid = self.iids.get(path)
        if iid is None:
            return
        self._drop_children(iid)
        for out in outputs:
            name = out.output.name if out.output is not None else _("(not written)")
            status = out.status if out.status != "converted" else "done"
            shown = {"done": _("done"), "skipped": _("skipped"), "failed": _("failed")}.get(
                status, status
            )
            text = f"{shown}: {out.error or out.note}" if (out.error or out.note) else shown
            size = human_bytes(out.bytes_out) if out.output is not None else ""
            tag = {"done": "done", "skipped": "skipped"}.get(status, "failed")
            child = self.tree.insert(
                iid, "end", values=[dims_text(out.size), size, ""], tags=(tag,)
            )
            self.cells.set(child, "#0", name, depth=1)
            self.cells.set(child, "status", text)
            self.children_of[child] = path
            if out.output is not None:
                self.outputs[child] = out.output

    def output_rows(self, path: Path) -> list[tuple[str, list[str]]]:
        """(name, [dims, size, status]) of ``path``'s output rows, whole (tests; Tk calls)."""
        iid = self.iids.get(path)
        if iid is None:
            return []
        rows = []
        for child in self.tree.get_children(iid):
            values = [str(v) for v in self.tree.item(child, "values")]
            values[2] = self.cells.whole(child, "status") or values[2]
            rows.append((self.cells.whole(child, "#0") or "", values))
        return rows

    def _drop_children(self, iid: str) -> None:
        kids = self.tree.get_children(iid)
        if kids:
            for child in kids:
                self.children_of.pop(child, None)
                self.outputs.pop(child, None)
            self.cells.forget(kids)
            self.tree.delete(*kids)

    def status_of(self, path: Path) -> str:
        """The row's status text (tests and the summary read it; no Tk call)."""
        return self.values[path][2]

    def reset_statuses(self, only: Iterable[Path] | None = None) -> None:
        """Rows (every one, or ``only`` these) back to "queued" before a batch; rows
        already queued cost nothing."""
        rows = self.iids if only is None else {p: self.iids[p] for p in only if p in self.iids}
        if self.children_of:
            for iid in rows.values():
                self._drop_children(iid)
        for path, iid in rows.items():
            self.outputs.pop(iid, None)
            values = self.values[path]
            fresh = human_bytes(self.sizes.get(path))
            if values[2] != QUEUED or values[1] != fresh:
                values[1], values[2] = fresh, QUEUED
                self._show_values(iid, values, ("queued",))

    def select(self, path: Path) -> None:
        """Select (and so preview) the row of ``path``, with the keyboard focus on it."""
        iid = self.iids.get(path)
        if iid is not None:
            self.tree.selection_set(iid)
            self.tree.focus(iid)

    def show(self, path: Path) -> None:
        """Scroll so the row for ``path`` is visible (the file being worked on)."""
        iid = self.iids.get(path)
        if iid is not None:
            self.tree.see(iid)

    def _count(self) -> None:
        n = len(self.iids)
        text = ngettext("{n} file", "{n} files", n).format(n=n) if n else _("No files yet")
        self.count_label.configure(text=text)

    def _selected(self, _event: object = None) -> None:
        focus = self.tree.focus() or next(iter(self.tree.selection()), "")
        self.details_var.set(cells.describe(self.cells, focus, ("#0", "status")) if focus else "")
        if _event is not None:
            self._on_select(self.paths.get(focus) or self.children_of.get(focus))

    def details_of(self, path: Path) -> str:
        """The line the details field shows for ``path``'s row: name — status, whole."""
        iid = self.iids.get(path)
        return cells.describe(self.cells, iid, ("#0", "status")) if iid else ""
