"""Run by ``test_layout.py`` in a child process on a given display: open the real window,
add files, screenshot it, print what is cut off as JSON.

A child process because a Tk interpreter keeps its X connection until the process
ends, and Xlib exits the process when that display goes away: each screen size
gets its own Xvfb and its own process.

    python tests/gui/layout_probe.py --scale 1.5 --shot out.png [--view split] FILE...
"""

from __future__ import annotations

import argparse
import sys
import tkinter as tk
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from guikit import end_probe, make_app, pump_for, pump_until  # noqa: E402

TEXT_CLASSES = {"TLabel", "TButton", "TCheckbutton", "TRadiobutton", "Label", "Button"}
FRAME_CLASSES = {"TLabelframe"}


def descendants(widget: Any) -> list[Any]:
    out = []
    for child in widget.winfo_children():
        out.append(child)
        out.extend(descendants(child))
    return out


def cut_off(app: Any) -> list[str]:
    """Every visible text widget that got less than it asked for or lies outside.

    Widgets in the scrolling settings column only need their width: vertically
    they may be scrolled out of view, which is what the scroll bar is for.
    """
    root = app.root
    root.update()
    rx, ry, rw, rh = root.winfo_rootx(), root.winfo_rooty(), root.winfo_width(), root.winfo_height()
    sw, sh = root.winfo_screenwidth(), root.winfo_screenheight()
    scrolled = str(app.window.settings_column.inner)
    problems = []
    for w in descendants(root):
        cls = w.winfo_class()
        if not w.winfo_viewable() or cls not in TEXT_CLASSES | FRAME_CLASSES:
            continue
        if cls in TEXT_CLASSES and str(w.cget("image")):
            continue  # a preview picture: re-made for the pane's size when it changes
        x, y, width, height = w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()
        name = f"{cls} {str(w)[-48:]} {str(w.cget('text'))!r}"
        if cls in TEXT_CLASSES and width + 1 < w.winfo_reqwidth():
            problems.append(f"{name}: width {width} < asked {w.winfo_reqwidth()}")
        if x < rx - 1 or x + width > rx + rw + 1 or x + width > sw:
            problems.append(f"{name}: x {x}..{x + width} outside the window {rx}..{rx + rw}")
        if str(w).startswith(scrolled):
            continue
        if cls in TEXT_CLASSES and height + 1 < w.winfo_reqheight():
            problems.append(f"{name}: height {height} < asked {w.winfo_reqheight()}")
        if y < ry - 1 or y + height > ry + rh + 1 or y + height > sh:
            problems.append(f"{name}: y {y}..{y + height} outside the window {ry}..{ry + rh}")
    return problems


ELLIPSIS = "…"


def rows_of(tree: Any) -> list[tuple[Any, int]]:
    """Every row of ``tree`` with its depth (0 top level), children included."""
    out = []
    for item in tree.get_children():
        out.append((item, 0))
        out.extend((child, 1) for child in tree.get_children(item))
    return out


def table_cut_off(tree: Any) -> list[str]:
    """A table's shown columns wider together than the table (the rest hidden off to
    the right); headings or cells wider than their column (Tk cuts them silently); a
    cell shortened to "…" with no other way to read it (``gui.cells.texts_of(table)``,
    its CellTexts, must hold its whole text for the tooltip and details line)."""
    from tkinter import font as tkfont
    from tkinter import ttk

    style = ttk.Style(tree)
    fonts = {}
    for part, fallback in (("Treeview.Heading", "TkHeadingFont"), ("Treeview", "TkDefaultFont")):
        spec = str(style.lookup(part, "font") or fallback)
        try:
            fonts[part] = tkfont.nametofont(spec, root=tree)
        except tk.TclError:
            fonts[part] = tkfont.Font(tree, font=spec)
    shown = [str(c) for c in tree.cget("displaycolumns")]
    columns = ["#0", *(tree.cget("columns") if shown in (["#all"], []) else shown)]
    widths = {col: int(tree.column(col, "width")) for col in columns}
    problems = []
    room_all = tree.winfo_width()
    if sum(widths.values()) > room_all + 1:
        problems.append(f"table {str(tree)[-40:]}: columns {widths} wider than {room_all}")
    indent = int(style.lookup("Treeview", "indent") or 20)  # before a name's text
    from shh_converter.gui.cells import texts_of

    whole_texts = texts_of(tree)
    rows = rows_of(tree)
    for col in columns:
        texts = [("Treeview.Heading", str(tree.heading(col, "text")), widths[col] - 8)]
        for item, depth in rows:
            cell = str(tree.item(item, "text") if col == "#0" else tree.set(item, col))
            lead = indent * (depth + 1) if col == "#0" else 0
            texts.append(("Treeview", cell, widths[col] - 8 - lead))
            whole = whole_texts.whole(item, col) if whole_texts is not None else None
            if cell.endswith(ELLIPSIS) and (whole is None or whole == cell):
                problems.append(f"table column {col}: {cell!r} shortened, the whole text nowhere")
        for part, text, room in texts:
            need = fonts[part].measure(text)
            if need > room:
                problems.append(f"table column {col}: {text!r} {need} px > {room}")
    return problems


def drop(app: Any, files: list[str]) -> None:
    """A drop on the drop zone through tkdnd's own handlers (enter, position, drop), as
    an XDND drop from a file manager arrives; a plain call when tkdnd is not loaded."""
    zone = app.window.drop
    if not zone.dnd:
        app.controller.add_paths([Path(f) for f in files])
        return
    t, w = app.root.tk, str(zone.label)
    x = zone.label.winfo_rootx() + zone.label.winfo_width() // 2
    y = zone.label.winfo_rooty() + zone.label.winfo_height() // 2
    uri = ("text/uri-list",)
    t.call("tkdnd::generic::HandleEnter", w, "src", uri, uri, ("copy",), ())
    t.call("tkdnd::generic::SetDroppedData", tuple(files))
    t.call("tkdnd::generic::HandlePosition", w, "src", (), x, y)
    t.call("tkdnd::generic::HandleDrop", w, "src", (), x, y, 0)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--shot", type=Path, required=True)
    parser.add_argument("--view", default="thumbs")
    parser.add_argument("--geometry", default="")
    parser.add_argument("files", nargs="*", type=Path)
    args = parser.parse_args()
    original = tk.Tk.__init__

    def scaled_init(self: Any, *a: Any, **kw: Any) -> None:  # Tk scaling before any widget
        original(self, *a, **kw)
        self.tk.call("tk", "scaling", float(self.tk.call("tk", "scaling")) * args.scale)

    tk.Tk.__init__ = scaled_init  # type: ignore[method-assign]
    app = make_app()
    tk.Tk.__init__ = original  # type: ignore[method-assign]
    root = app.root
    from shh_converter.gui import fit

    report: dict[str, Any] = {
        "screen": [root.winfo_screenwidth(), root.winfo_screenheight()],
        "work_area": list(fit.work_area(root)),
        "scale": fit.scale_factor(root),
        "size": [root.winfo_width(), root.winfo_height()],
        "place": [root.winfo_rootx(), root.winfo_rooty()],
    }
    if args.files:
        drop(app, [str(f) for f in args.files])
        pump_until(root, lambda: len(app.window.files.files()) == len(args.files), what="rows")
    if args.view != "thumbs":
        app.window.preview.set_view(args.view)
    pump_for(root, 0.4)
    import subprocess

    subprocess.run(["import", "-window", root.wm_frame(), str(args.shot)], check=True, timeout=30)
    column = app.window.settings_column
    report["problems"] = cut_off(app) + table_cut_off(app.window.files.tree)
    must_show = {
        "settings": app.window.settings,
        "convert": app.window.progress.convert_btn,
        "add folder": app.window.drop.add_folder_btn,
        "status": app.window.status,
    }
    if args.view == "thumbs":  # the captions with sizes and dimensions
        must_show["before caption"] = app.window.preview.before_caption
        must_show["after caption"] = app.window.preview.after_caption
    else:
        must_show["compare view"] = app.window.preview.compare.area
        must_show["after caption"] = app.window.preview.compare.after_caption
    report["hidden"] = [name for name, w in must_show.items() if not w.winfo_viewable()]
    files = app.window.files
    report["file_columns"] = {
        "tree": files.tree.winfo_width(),
        "shown": ["#0", *files.shown],
        "widths": [int(files.tree.column(c, "width")) for c in ("#0", *files.shown)],
        "needs": files.needs(),
    }
    report["scrolls"] = column.scrolls
    report["column_fits"] = column.inner.winfo_reqheight() <= column.canvas.winfo_height()
    if args.geometry:
        root.geometry(args.geometry)
        pump_for(root, 0.3)
    return end_probe(app, report)


if __name__ == "__main__":
    sys.exit(main())
