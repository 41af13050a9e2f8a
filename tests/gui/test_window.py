"""The real window on Xvfb: start-up, adding files (drop, buttons, real XDND), presets, flags."""

from __future__ import annotations

import shutil
import types
from typing import TYPE_CHECKING

import pytest
from guikit import (
    centre_of,
    close_app,
    last_dialog,
    make_app,
    pump_for,
    pump_until,
    screenshot,
    xdnd_drag,
)

from shh_converter.core.presets import BUILTIN
from shh_converter.core.settings import OutputFormat, ResizeMode
from shh_converter.gui import controller as controller_mod
from shh_converter.sidecars import config

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gui

ODD_NAMES = ["photo with space.jpg", "{braced} name.png", "ünï cödé 日本.webp", "dollar $ [x].jpg"]
SOURCES = [
    "photos/mpl_grace_hopper.jpg",
    "png/pil123rgba.png",
    "webp/flower2.webp",
    "photos/sklearn_china.jpg",
]


@pytest.fixture
def odd_files(corpus: Path, tmp_path: Path) -> list[Path]:
    """Real images under names that break naive drop parsing."""
    folder = tmp_path / "in put {x}"
    folder.mkdir()
    out = []
    for name, src in zip(ODD_NAMES, SOURCES, strict=False):
        shutil.copy(corpus / src, folder / name)
        out.append(folder / name)
    return out


def _drop(app, data: str) -> str:
    event = types.SimpleNamespace(data=data, action="copy", widget=app.window.drop.label)
    return app.window.drop.on_drop(event)


def _wait_rows(app, n: int) -> None:
    files = app.window.files
    pump_until(
        app.root,
        lambda: app.controller.pending_adds == 0 and len(files.files()) >= n,
        what=f"{n} rows",
    )


def test_window_title_size_and_first_screenshot(app, shots_dir):
    root = app.root
    assert root.title() == "SHH Converter"
    assert root.minsize() == (720, 480)  # fits a 1024x640 screen's work area (test_layout.py)
    assert root.winfo_width() >= 960 and root.winfo_height() >= 640
    assert app.window.drop.dnd, "tkdnd should load from tkinterdnd2 under Xvfb"
    assert app.window.files.count_label.cget("text") == "No files yet"
    screenshot(app, shots_dir, "01-window")


def test_drop_handler_with_realistic_strings(app, odd_files, tmp_path):
    names = [str(p) for p in odd_files]
    data = app.root.tk.call("list", *names)  # exactly how tkdnd hands a drop over
    assert _drop(app, data) == "copy"
    _wait_rows(app, 4)
    assert app.window.files.files() == odd_files
    # A hand-written drop string as file managers produce it: braces around spaced names.
    app.controller.clear()
    plain = tmp_path / "a b" / "c d.jpg"
    plain.parent.mkdir()
    shutil.copy(odd_files[0], plain)
    assert _drop(app, "{{{}}} {}".format(plain, tmp_path / "missing.jpg")) == "copy"
    _wait_rows(app, 2)
    assert app.window.files.files() == [plain, tmp_path / "missing.jpg"]
    # The engine's discovery (as in the CLI): a missing input is a row with its reason.
    assert app.window.files.status_of(tmp_path / "missing.jpg") == "failed: file not found"
    assert _drop(app, "{unbalanced") == "copy"  # garbage is ignored, not a crash


def test_drop_folder_expands_recursively_and_shows_dimensions(app, odd_files):
    _drop(app, app.root.tk.call("list", str(odd_files[0].parent)))
    _wait_rows(app, 4)
    files = app.window.files
    assert sorted(files.files()) == sorted(odd_files)
    tree = files.tree
    dims = {tree.item(i, "text"): tree.set(i, "dims") for i in tree.get_children()}
    assert dims["photo with space.jpg"] == "512×600"
    assert all(tree.set(i, "status") == "queued" for i in tree.get_children())


def test_add_buttons_and_ctrl_o_use_the_file_dialogs(app, odd_files, monkeypatch):
    """The system dialogs are the one thing patched: they cannot be driven here."""
    asked = []
    monkeypatch.setattr(
        controller_mod.filedialog,
        "askopenfilenames",
        lambda **kw: asked.append(kw) or tuple(map(str, odd_files[:2])),
    )
    monkeypatch.setattr(
        controller_mod.filedialog,
        "askdirectory",
        lambda **kw: asked.append(kw) or str(odd_files[0].parent),
    )
    app.window.drop.add_files_btn.invoke()
    _wait_rows(app, 2)
    assert app.window.files.files() == odd_files[:2]
    app.window.drop.add_folder_btn.invoke()
    _wait_rows(app, 4)
    assert sorted(app.window.files.files()) == sorted(odd_files)
    assert app.prefs.last_folder("input") == odd_files[0].parent
    app.controller.clear()
    app.root.focus_force()
    app.root.update()
    app.window.files.tree.focus_set()
    app.window.files.tree.event_generate("<Control-o>")
    _wait_rows(app, 2)
    assert len(asked) == 3


def test_remove_and_clear(app, odd_files):
    _drop(app, app.root.tk.call("list", *map(str, odd_files)))
    _wait_rows(app, 4)
    files = app.window.files
    files.tree.selection_set(files.iids[odd_files[1]])
    app.window.files.remove_btn.invoke()
    assert files.files() == [odd_files[0], *odd_files[2:]]
    files.clear_btn.invoke()
    assert files.files() == [] and files.count_label.cget("text") == "No files yet"


def test_real_xdnd_drag_from_another_x_client(app, odd_files):
    """A GTK window drags the files onto ours through the X server (as a file manager does)."""
    label = app.window.drop.label
    x, y = label.winfo_rootx() + 30, label.winfo_rooty() + 10
    xdnd_drag(app, odd_files, x, y, lambda: len(app.window.files.files()) == 4)
    assert app.window.files.files() == odd_files


@pytest.mark.parametrize("where", ["centre", "preview", "settings"])
def test_drops_anywhere_on_the_window(app, odd_files, where):
    """The whole window takes drops (issue 20.11); a folder stays a folder for the engine."""
    root, w = app.root, app.window
    if where == "centre":
        x, y = (
            root.winfo_rootx() + root.winfo_width() // 2,
            root.winfo_rooty() + root.winfo_height() // 2,
        )
    else:
        x, y = centre_of(w.preview if where == "preview" else w.settings_column.canvas)
    hit = root.winfo_containing(x, y)
    assert hit is not None and hit not in (w.drop, w.drop.label, w.files.tree)
    folder, loose = odd_files[0].parent, odd_files[1]
    xdnd_drag(app, [folder, loose], x, y, lambda: len(w.files.files()) == 4)
    assert sorted(w.files.files()) == sorted(odd_files)
    assert app.controller.roots == [folder, loose]  # handed on as dropped


def test_presets_switch_and_disable_what_does_not_apply(app, monkeypatch):
    panel, bar = app.window.settings, app.window.presets
    bar.apply("Email JPEG 1280")
    s = panel.get_settings()
    assert s.encode.format == OutputFormat.JPEG and s.encode.quality == 80
    assert s.resize.mode == ResizeMode.MAX_SIDE and s.resize.size == 1280
    assert panel.format_box.get() == "JPEG" and panel.size_spin.get() == "1280"
    assert panel.quality_scale.instate(["!disabled"]) and panel.lossless_check.instate(["disabled"])
    assert panel.width_spin.instate(["disabled"])
    bar.apply("Lossless PNG")
    assert panel.get_settings() == BUILTIN["Lossless PNG"].outputs[0]
    assert panel.quality_scale.instate(["disabled"])
    bar.apply("Product cut-out")
    s = panel.get_settings()
    assert s.background_removal.enabled and s.background_removal.trim
    assert panel.model_box.instate(["!disabled"]) and panel.bg_check.winfo_ismapped()
    # Save the current settings under a new name, switch away, come back, delete it.
    panel.v["quality"].set(55)
    monkeypatch.setattr(controller_mod.simpledialog, "askstring", lambda *a, **k: "My cut-outs")
    bar.save_btn.invoke()
    assert "My cut-outs" in bar.combo.cget("values")
    bar.apply("Web 1600 WebP")
    assert panel.get_settings().encode.quality == 82
    bar.apply("My cut-outs")
    assert panel.get_settings().encode.quality == 55
    asked = []
    monkeypatch.setattr(
        controller_mod.messagebox, "askyesno", lambda *a, **k: asked.append(a) or True
    )
    bar.delete_btn.invoke()
    assert asked and "My cut-outs" in asked[0][1]  # the user's own: asked first
    assert "My cut-outs" not in bar.combo.cget("values")
    assert app.prefs.preset("My cut-outs") is None


def test_lossless_webp_disables_quality(app):
    panel = app.window.settings
    panel.v["format"].set("WebP")
    panel.v["lossless"].set(True)
    assert panel.quality_scale.instate(["disabled"])
    panel.v["lossless"].set(False)
    assert panel.quality_scale.instate(["!disabled"])


def test_background_removal_hidden_when_the_flag_is_off(x_display):
    cfg = config.load()
    cfg.set("features.background_removal_enabled", False)
    cfg.save()
    app = make_app(cfg)
    try:
        panel = app.window.settings
        assert not panel.bg_frame.winfo_ismapped()
        app.window.presets.apply("Product cut-out")
        assert panel.get_settings().background_removal.enabled is False
    finally:
        close_app(app)


def test_callback_error_shows_crash_dialog_and_app_goes_on(app):
    def boom() -> None:
        msg = "deliberate test failure"
        raise RuntimeError(msg)

    app.root.after(0, boom)
    pump_until(app.root, lambda: app.callback_errors, what="the callback error")
    dialog = last_dialog(app)
    assert dialog is not None and dialog.winfo_exists() and dialog.title() == "Something went wrong"
    texts = [w.cget("text") for w in dialog.body.winfo_children()]
    assert any("deliberate test failure" in t for t in texts)
    app.callback_errors.clear()  # expected here; the fixture fails on any other
    app.window.settings.v["quality"].set(50)  # still responsive
    pump_for(app.root, 0.3)
    assert app.window.settings.get_settings().encode.quality == 50


def test_about_dialog_names_the_version(app):
    from shh_converter import __version__

    app.controller.about()
    dialog = last_dialog(app)
    texts = [w.cget("text") for w in dialog.body.winfo_children()]
    assert f"Version {__version__}" in texts


def test_thousands_of_rows_keep_the_loop_responsive(app, corpus, tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    blob = (corpus / "photos" / "debian_emblem-debian_256.png").read_bytes()
    for i in range(3000):  # distinct files: discovery takes hard links to one file once
        (folder / f"img{i:04d}.png").write_bytes(blob)
    # What keeps the loop responsive is that rows arrive in bounded pieces over many
    # ticks, never all in one callback; the stall itself is measured by bench_gui.py.
    from shh_converter.gui.adding import PROBE_CHUNK

    ui, tree = app.controller.ui, app.window.files.tree
    per_tick = ui._max_items * PROBE_CHUNK
    growth: list[int] = []
    real_drain = ui.drain

    def counting_drain() -> int:
        before = len(tree.get_children())
        handled = real_drain()
        growth.append(len(tree.get_children()) - before)
        return handled

    ui.drain = counting_drain
    app.controller.add_paths([folder])
    _wait_rows(app, 3000)
    assert len(tree.get_children()) == 3000
    steps = [g for g in growth if g]
    assert max(steps) <= per_tick and len(steps) >= 3000 // per_tick, steps


def test_without_tkdnd_the_buttons_still_work(x_display, odd_files, monkeypatch):
    """A plain Tk root (tkinterdnd2 missing or its Tcl part failing): buttons and a hint."""
    import tkinter as tk

    from shh_converter.gui.app import App

    root = tk.Tk()
    app = App(root, dnd=False)
    app.callback_errors = []
    try:
        root.update()
        assert not app.window.drop.dnd
        assert "use the buttons" in app.window.drop.label.cget("text")
        names = tuple(map(str, odd_files))
        monkeypatch.setattr(controller_mod.filedialog, "askopenfilenames", lambda **kw: names)
        app.window.drop.add_files_btn.invoke()
        _wait_rows(app, 4)
        assert app.window.files.files() == odd_files
    finally:
        close_app(app)


def test_fill_colour_from_the_colour_chooser(app, monkeypatch):
    from shh_converter.gui import settings_panel

    panel = app.window.settings
    monkeypatch.setattr(
        settings_panel.colorchooser, "askcolor", lambda *a, **k: ((18, 52, 86), "#123456")
    )
    panel.color_btn.invoke()
    assert panel.get_settings().background == (18, 52, 86)
    assert panel.color_swatch.cget("background") == "#123456"
    panel.clear_color_btn.invoke()
    assert panel.get_settings().background is None


def test_make_root_without_tkinterdnd2(x_display, monkeypatch):
    import sys

    from shh_converter.gui.app import make_root

    monkeypatch.setitem(sys.modules, "tkinterdnd2", None)  # "not installed"
    root, dnd = make_root()
    try:
        assert dnd is False and root.winfo_exists()
    finally:
        root.destroy()


def test_open_folder_before_converting_says_why(app, tmp_path):
    app.window.progress.dest_var.set(str(tmp_path / "not yet"))
    app.window.progress.open_btn.invoke()
    assert "does not exist yet" in app.window.progress.summary_label.cget("text")
