"""No text cut off with no way to read it (issue 20.9): long names and statuses end in
"…" with the whole text in a tooltip (shown to the real pointer) and in a copyable
details line; the failures dialog scrolls both ways and copies its list; the preview's
error wraps; the layout probes fail on a shortened cell whose whole text is nowhere."""

from __future__ import annotations

import shutil
import tkinter as tk
from pathlib import Path
from tkinter import ttk

import pytest
from guikit import (
    add_and_wait,
    convert_and_wait,
    last_dialog,
    pump_for,
    pump_until,
    screenshot,
    xdotool,
)
from layout_probe import table_cut_off
from support import copy_photos

from shh_converter.core.jobs import JobResult
from shh_converter.gui import dialogs
from shh_converter.gui.cells import texts_of
from shh_converter.gui.dialogs import FailuresDialog

pytestmark = pytest.mark.gui

LONG_NAME = "mate_LadyBird-1600-with-a-name-far-too-long-for-any-list-column-of-this-window.jpg"


@pytest.fixture
def long_named(corpus: Path, tmp_path: Path) -> list[Path]:
    out = []
    for name in (LONG_NAME, "short.jpg"):
        shutil.copy(corpus / "photos" / "mpl_grace_hopper.jpg", tmp_path / name)
        out.append(tmp_path / name)
    return out


def test_a_long_name_ends_in_an_ellipsis_with_its_whole_text_in_a_tooltip(
    app, long_named, shots_dir
):
    app.controller.add_paths(long_named)
    files = app.window.files
    pump_until(app.root, lambda: len(files.files()) == 2, what="rows")
    app.root.update()
    iid = files.iids[long_named[0]]
    shown = str(files.tree.item(iid, "text"))
    assert shown.endswith("…") and LONG_NAME.startswith(shown[:-1]), shown
    assert files.tree.item(files.iids[long_named[1]], "text") == "short.jpg"
    assert not table_cut_off(files.tree)  # shortened, and readable elsewhere
    # The real pointer rests on the cell: the tooltip shows the whole name.
    cells = files.cells
    assert hover(app, files.tree, iid, "#0") == LONG_NAME
    screenshot(app, shots_dir, "clipped-row-tooltip", whole_screen=True)
    # Selecting the row puts the whole name and status in the details line (copyable).
    files.tree.selection_set(iid)
    files.tree.focus(iid)
    app.root.update()
    assert files.details_var.get() == f"{LONG_NAME} — queued"
    assert files.details_of(long_named[0]) == files.details_var.get()
    # A long status too: shortened in the list, whole in status_of and the details line.
    reason = "failed: " + "a reason that goes on and on " * 6
    files.set_status(long_named[0], "failed", text=reason)
    assert str(files.tree.set(iid, "status")).endswith("…")
    assert files.status_of(long_named[0]) == reason
    assert files.details_var.get() == f"{LONG_NAME} — {reason}"
    assert not table_cut_off(files.tree)
    xdotool("mousemove", "--sync", "5", "5")  # away: the tooltip goes
    pump_until(app.root, lambda: cells.tip is None, what="the tooltip gone")


def hover(app, tree, iid, column):  # type: ignore[no-untyped-def]
    """Rest the real pointer on a cell until its tooltip shows; the tooltip's text."""
    cells = texts_of(tree)
    xdotool("mousemove", "2", "2")  # off the list (no --sync: it may be there already)
    pump_until(app.root, lambda: cells.tip is None, what="no tooltip")
    tree.see(iid)
    app.root.update()
    x0, y0, width, height = tree.bbox(iid, column)
    x, y = tree.winfo_rootx() + x0 + width // 2, tree.winfo_rooty() + y0 + height // 2
    xdotool("mousemove", "--sync", str(x - 5), str(y))
    xdotool("mousemove", "--sync", str(x), str(y))
    pump_until(
        app.root,
        lambda: cells.tip is not None and cells.tip.window is not None,
        what="the tooltip",
    )
    tip = cells.tip
    pump_until(app.root, lambda: tip.window.winfo_viewable(), what="the tooltip shown")
    pump_for(app.root, 0.2)
    return tip.label.cget("text")


def test_a_long_clash_note_and_failure_reasons_are_read_whole_in_the_file_list(
    app, tmp_path, corpus, shots_dir
):  # type: ignore[no-untyped-def]
    """The rows a real batch leaves: a name clash said on the row, and files that fail."""
    first = copy_photos(tmp_path / "photos", ("mpl_grace_hopper.jpg",))[0]
    other = copy_photos(tmp_path / "orientation", ("mpl_grace_hopper.jpg",))[0]
    twin = copy_photos(tmp_path / "more" / "orientation", ("mpl_grace_hopper.jpg",))[0]
    broken = []
    for name in ("truncated_jpeg.jpg", "broken_data_stream.png"):
        broken.append(Path(shutil.copy(corpus / "corrupt" / name, first.parent / name)))
    add_and_wait(app, [first.parent, other.parent, twin.parent])
    convert_and_wait(app, first.parent / "converted")
    failures = last_dialog(app, FailuresDialog)  # over the list: the pointer must reach the rows
    assert failures is not None
    failures.destroy()
    files = app.window.files
    rows = [twin, *broken]
    whole = {path: files.status_of(path) for path in rows}
    assert (
        whole[twin].startswith("done (named mpl_grace_hopper (2).webp: ")
        and str(other) in (whole[twin])
    )
    assert all(whole[p].startswith("failed: ") for p in broken), whole
    shortened = [p for p in rows if str(files.tree.set(files.iids[p], "status")).endswith("…")]
    assert twin in shortened, "the clash note fits: the test shows nothing"
    assert not table_cut_off(files.tree)
    for path in shortened:  # each one whole in its tooltip and in the details line
        iid = files.iids[path]
        assert hover(app, files.tree, iid, "status") == whole[path]
        if path == twin:
            screenshot(app, shots_dir, "i20-rest-clash-note-tooltip", whole_screen=True)
        files.tree.selection_set(iid)
        files.tree.focus(iid)
        app.root.update()
        assert files.details_var.get() == f"{path.name} — {whole[path]}"
    xdotool("mousemove", "--sync", "5", "5")
    pump_until(app.root, lambda: files.cells.tip is None, what="the tooltip gone")


def test_the_probe_fails_on_a_cell_cut_or_shortened_with_no_other_way_to_read_it(app):
    top = tk.Toplevel(app.root)
    tree = ttk.Treeview(top, columns=("status",))
    tree.column("#0", width=120)
    tree.column("status", width=80)
    tree.pack()
    tree.insert("", "end", text="a name much too long for a column of 120 px", values=("ok",))
    tree.insert("", "end", text="short", values=("skipped: up to d…",))
    app.root.update()
    problems = table_cut_off(tree)
    assert any("a name much too long" in p and "px >" in p for p in problems), problems
    assert any("'skipped: up to d…' shortened" in p for p in problems), problems
    top.destroy()


def test_failures_dialog_scrolls_both_ways_and_copies_its_list(app, tmp_path, shots_dir):
    long_reason = (
        "cannot identify image file: the data ends after 4096 of 18 340 bytes "
        "(truncated download?), and no decoder in Pillow, pillow-heif or the AVIF plug-in "
        "reads what is there"
    )
    results = [
        JobResult(
            tmp_path / f"photo {i:02d} from the holiday in Portugal.jpg",
            None,
            "failed",
            error=f"{long_reason} [{i}]",
        )
        for i in range(30)
    ]
    results.append(JobResult(tmp_path / "fine.jpg", tmp_path / "fine.webp", "converted"))
    d = dialogs.FailuresDialog(app.root, results)
    pump_until(app.root, lambda: d.winfo_viewable(), what="the dialog")
    pump_for(app.root, 0.3)
    tree = d.tree
    assert len(tree.get_children()) == 30
    need = tree.tk.call("font", "measure", "TkDefaultFont", f"{long_reason} [29]")
    assert int(tree.column("reason", "width")) >= int(need)  # whole, never cut
    assert tree.xview()[1] < 1.0 and tree.yview()[1] < 1.0  # wider and taller: both scroll
    tree.xview_moveto(1.0)
    app.root.update()
    assert tree.xview()[1] == 1.0
    tree.xview_moveto(0.0)
    screenshot(app, shots_dir, "failures-dialog", whole_screen=True)
    d.copy_btn.invoke()
    copied = app.root.clipboard_get()
    assert copied.splitlines()[0] == f"{results[0].source}: {long_reason} [0]"
    assert len(copied.splitlines()) == 30
    d.destroy()


def test_the_preview_error_wraps_instead_of_being_cut(app):
    preview = app.window.preview
    message = "cannot decode: " + "a long explanation of what went wrong " * 8
    # A preview the start-up scheduled (30 ms debounce) would replace the message with
    # "Select a file…" when it fires: on a loaded machine, after show_failed.
    pump_until(app.root, lambda: app.controller._preview_after is None, what="no preview due")
    preview.show_failed(message)
    app.root.update()
    label = preview.after_label
    assert label.cget("text").endswith(message)
    assert 0 < int(str(label.cget("wraplength"))) <= label.winfo_width()
    assert label.winfo_reqwidth() <= label.winfo_width() + 1
