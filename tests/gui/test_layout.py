"""The window fits the screen: real Xvfb screens of several sizes, Tk scaling 1.5x, no cut-off.

Each case starts its own Xvfb at that screen size and runs ``layout_probe.py`` in
a child process on it: the real window at its default size, three real files
dropped (through tkdnd's own handlers), a screenshot, and every visible label,
button and check box checked: it got the width and height it asks for and lies
inside the window and the screen. Set ``SHH_GUI_SCREENSHOTS`` to keep the screenshots.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from guikit import pump_until
from support import run_probe_on_screen

pytestmark = pytest.mark.gui

PROBE = Path(__file__).with_name("layout_probe.py")
CASES = [  # (screen, Tk scaling relative to what the display reports)
    ("1024x640", 1.0),
    ("1280x800", 1.0),
    ("1366x768", 1.0),
    ("1920x1080", 1.0),
    ("1920x1080", 1.5),
]


def probe(size: str, shot: Path, *extra: str, scale: float = 1.0) -> dict[str, Any]:
    """Run the probe on a fresh Xvfb of ``size``; its JSON report."""
    return run_probe_on_screen(PROBE, size, "--scale", str(scale), "--shot", str(shot), *extra)


@pytest.fixture
def three_files(corpus: Path, tmp_path: Path) -> list[str]:
    names = ["photo one.jpg", "second.png", "third.webp"]
    sources = ["photos/sklearn_china.jpg", "png/pil123rgba.png", "webp/flower2.webp"]
    for name, src in zip(names, sources, strict=True):
        shutil.copy(corpus / src, tmp_path / name)
    return [str(tmp_path / n) for n in names]


@pytest.mark.parametrize(("size", "scale"), CASES, ids=[f"{s}@{k}x" for s, k in CASES])
@pytest.mark.parametrize("view", ["thumbs", "split"])
def test_default_size_fits_and_nothing_is_cut_off(size, scale, view, three_files, shots_dir):
    shot = shots_dir / f"layout-{size}-{scale}x-{view}.png"
    report = probe(size, shot, "--view", view, *three_files, scale=scale)
    sw, sh = (int(v) for v in size.split("x"))
    assert report["screen"] == [sw, sh]
    assert report["scale"] >= scale * 0.97
    _x, _y, aw, ah = report["work_area"]
    w, h = report["size"]
    assert w <= aw and h <= ah, f"window {w}x{h} larger than the work area {aw}x{ah}"
    assert report["place"][0] >= 0 and report["place"][1] + h <= sh
    assert not report["problems"], f"cut off, see {shot}:\n" + "\n".join(report["problems"])
    assert not report["hidden"], f"not shown: {report['hidden']}, see {shot}"
    assert report["scrolls"] == (not report["column_fits"])  # what does not fit scrolls
    shown = report["file_columns"]["shown"]
    assert "#0" in shown and "status" in shown
    if sw >= 1366:
        assert shown == ["#0", "dims", "size", "status"]


def test_size_is_remembered_per_screen_size(tmp_path):
    first = probe("1366x768", tmp_path / "a.png", "--geometry", "1000x600+20+30")
    assert first["size"] != [1000, 600]  # the default, before the user resizes
    from shh_converter.sidecars import config

    saved = config.load().get("ui.window_geometries")
    assert saved["1366x768"].startswith("1000x600"), saved
    other = probe("1024x640", tmp_path / "b.png")  # another screen: its own default
    assert other["size"] != [1000, 600] and other["size"][0] <= other["work_area"][2]
    again = probe("1366x768", tmp_path / "c.png")
    assert again["size"] == [1000, 600]


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (900, ("dims", "size", "status")),
        (400, ("size", "status")),
        (220, ("status",)),
    ],
)
def test_file_list_columns_fill_its_width_and_give_up_whole_columns(app, width, expected):
    """Nothing hidden off to the right: at any width the shown columns add up to the
    list's width, every heading shows whole, and a narrow list leaves out the
    dimensions, then the sizes, but never the name or the status."""
    import tkinter as tk
    from tkinter import ttk

    from layout_probe import table_cut_off

    from shh_converter.gui.filelist import FileList

    top = tk.Toplevel(app.root)
    box = ttk.Frame(top, width=width, height=240)
    box.pack_propagate(False)
    box.pack()
    files = FileList(box, on_select=lambda _p: None, on_remove=lambda: None, on_clear=lambda: None)
    files.pack(fill="both", expand=True)
    files.add_rows([(Path("photo.jpg"), (6028, 3391), 12_345_678)])
    pump_until(app.root, lambda: files.tree.winfo_width() > 1, what="the list shown")
    app.root.update()
    assert files.shown == expected
    shown = tuple(str(c) for c in files.tree.cget("displaycolumns"))
    assert (tuple(files.tree.cget("columns")) if shown == ("#all",) else shown) == expected
    widths = [int(files.tree.column(c, "width")) for c in ("#0", *expected)]
    assert sum(widths) == files.tree.winfo_width()
    assert not table_cut_off(files.tree)
    if width >= 900:
        assert files.tree.heading("size", "text") == "Size before → after"
    top.destroy()
