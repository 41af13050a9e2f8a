"""The window's watch folders on a real Tk window (Xvfb) with real worker processes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from guikit import close_app, last_dialog, make_app, pump_until, screenshot
from layout_probe import table_cut_off
from PIL import Image

from shh_converter.gui import watching

pytestmark = [pytest.mark.gui, pytest.mark.timeout(180)]


def image(path: Path, colour: tuple[int, int, int] = (30, 160, 90)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (120, 90), colour).save(path)
    return path


def drop_in(tmp_path: Path, folder: Path, name: str) -> Path:
    """Write the file beside the folder, then move it in whole (as a finished copy)."""
    return Path(shutil.move(image(tmp_path / name), folder / name))


def file_menu_labels(app: Any) -> list[str]:
    bar = app.window.menubar
    cascades = [i for i in range(bar.index("end") + 1) if bar.type(i) == "cascade"]
    first = next(i for i in cascades if bar.entrycget(i, "label") == "File")
    file_menu = app.root.nametowidget(bar.entrycget(first, "menu"))
    return [
        str(file_menu.entrycget(i, "label"))
        for i in range(file_menu.index("end") + 1)
        if file_menu.type(i) == "command"
    ]


def start_watch(app: Any, tmp_path: Path) -> tuple[Path, Path, Any]:
    """(inbox, dest, its entry): the window watching a fresh ``inbox`` into ``dest``."""
    inbox, dest = tmp_path / "inbox", tmp_path / "web"
    inbox.mkdir()
    app.window.progress.dest_var.set(str(dest))
    watches = watching.current()
    assert watches is not None
    entry = watching.watch_folder_dialog(watches, folder=inbox)
    assert entry is not None
    pump_until(app.root, lambda: entry.state == "watching", timeout=30, what="the watch to start")
    return inbox, dest, entry


def test_watch_a_folder_converts_arrivals_and_lists_them_in_preferences(
    app: Any, tmp_path: Path
) -> None:
    assert "Watch a folder…" in file_menu_labels(app)
    inbox, dest, entry = start_watch(app, tmp_path)
    drop_in(tmp_path, inbox, "a.png")
    pump_until(app.root, lambda: entry.converted == 1, timeout=60, what="the conversion")
    assert (dest / inbox.name / "a.webp").is_file()  # the folder keeps its name
    assert "converted a.png" in entry.last

    app.controller.extras.preferences()
    dialog = last_dialog(app)
    page = dialog.tabs.watching
    assert page is not None
    dialog.tabs.notebook.select(page)
    app.root.update()
    rows = [page.tree.item(i) for i in page.tree.get_children()]
    first = page.tree.get_children()[0]
    assert page.cells.whole(first, "#0") == str(inbox)  # shown whole or ending in "…"
    assert str(inbox).startswith(rows[0]["text"].removesuffix("…"))
    assert page.cells.whole(first, "dest") == str(dest)
    assert rows[0]["values"][1:4] == ["watching", 1, 0]
    page.tree.selection_set(first)
    app.root.update()
    assert page.details_var.get().startswith(f"{inbox} — {dest} — ")  # copyable, whole
    assert not table_cut_off(page.tree)
    page.tree.selection_set(page.tree.get_children()[0])
    page.toggle_btn.invoke()  # Stop
    pump_until(app.root, lambda: not entry.running, timeout=30, what="the watch to stop")
    pump_until(app.root, lambda: entry.state == "stopped", what="the list to show it stopped")
    dialog.destroy()


def test_watched_folders_are_remembered_and_resumed_at_the_next_start(
    app: Any, tmp_path: Path
) -> None:
    inbox, dest, entry = start_watch(app, tmp_path)
    watches = watching.current()  # this window's; the next start makes its own
    app.prefs.cfg.set(watching.RESUME_KEY, True)
    app.prefs.save()
    close_app(app)  # the window's close stops the watch
    assert not entry.running, "closing the window left the watch running"

    drop_in(tmp_path, inbox, "while-closed.png")  # arrives while the app is not running
    again = make_app()
    try:
        resumed = watching.current()
        assert resumed is not None and resumed is not watches
        assert [(w.folder, w.dest) for w in resumed.watches] == [(inbox, dest)]
        w = resumed.watches[0]
        pump_until(again.root, lambda: w.converted == 1, timeout=60, what="the catch-up")
        assert (dest / inbox.name / "while-closed.webp").is_file()
        drop_in(tmp_path, inbox, "later.png")
        pump_until(again.root, lambda: w.converted == 2, timeout=60, what="a new arrival")
    finally:
        close_app(again)
    assert not resumed.watches[0].running


def ask(app: Any, inbox: Path, dest: Path) -> Any:
    """Start a watch of ``inbox`` (which holds images): the window asks; its question."""
    app.window.progress.dest_var.set(str(dest))
    watches = watching.current()
    assert watches is not None
    assert watching.watch_folder_dialog(watches, folder=inbox) is None, "started without asking"
    question = last_dialog(app, watching.WaitingQuestion)
    assert question is not None and question.winfo_exists()
    app.root.update()
    return question


def test_only_new_arrivals_leaves_the_waiting_images_even_after_a_restart(
    app: Any, tmp_path: Path, shots_dir: Path
) -> None:
    inbox, dest = tmp_path / "inbox", tmp_path / "web"
    image(inbox / "old1.png")
    image(inbox / "sub" / "old2.png")
    question = ask(app, inbox, dest)
    words = [w.cget("text") for w in question.body.winfo_children()]
    assert words == [
        f"2 images are already in {inbox} and not converted yet.",
        "Convert them too, or only new arrivals?",
    ]
    screenshot(app, shots_dir, "i20-rest-watch-question", whole_screen=True)
    question.new_btn.invoke()
    watches = watching.current()
    assert watches is not None and not question.winfo_exists()
    [entry] = watches.watches
    pump_until(app.root, lambda: entry.state == "watching", timeout=30, what="the watch")
    assert "2 images that were already here are left alone" in entry.last
    drop_in(tmp_path, inbox, "new.png")
    pump_until(app.root, lambda: entry.converted == 1, timeout=60, what="the new arrival")
    # The old ones were there first: not left, they would have been converted before it.
    assert sorted(p.name for p in dest.rglob("*.webp")) == ["new.webp"]
    saved = app.prefs.cfg.get(watching.FOLDERS_KEY)[0]["left"]
    assert [row[0] for row in saved] == ["old1.png", "sub/old2.png"]

    app.prefs.cfg.set(watching.RESUME_KEY, True)
    app.prefs.save()
    close_app(app)
    moved = image(tmp_path / "moved.png")
    os.utime(moved, ns=(10**18, 10**18))  # a move keeps an old date: still a new arrival
    shutil.move(moved, inbox / "moved.png")
    again = make_app()
    try:
        resumed = watching.current()
        assert resumed is not None
        [w] = resumed.watches
        assert sorted(p.name for p in w.left) == ["old1.png", "old2.png"]
        pump_until(again.root, lambda: w.converted == 1, timeout=60, what="the catch-up")
        assert sorted(p.name for p in dest.rglob("*.webp")) == ["moved.webp", "new.webp"]
    finally:
        close_app(again)


def test_convert_them_too_converts_the_waiting_images_and_cancel_starts_nothing(
    app: Any, tmp_path: Path
) -> None:
    inbox, dest = tmp_path / "inbox", tmp_path / "web"
    image(inbox / "old.png")
    ask(app, inbox, dest).cancel_btn.invoke()
    watches = watching.current()
    assert watches is not None and watches.watches == []
    question = ask(app, inbox, dest)
    assert question.body.winfo_children()[0].cget("text").startswith("1 image is already in")
    question.all_btn.invoke()
    [entry] = watches.watches
    pump_until(app.root, lambda: entry.converted == 1, timeout=60, what="the waiting image")
    assert (dest / inbox.name / "old.webp").is_file()
    assert entry.left == {} and "left" not in app.prefs.cfg.get(watching.FOLDERS_KEY)[0]


def test_a_watch_without_its_model_says_so_once_instead_of_failing_each_arrival(
    tmp_path: Path,
) -> None:
    """The window's watch checks background removal before the first file, as its batch does.

    A real watch of a real folder, with real worker processes, and the silueta
    model not installed (the test's own per-user folder has none; u2netp is bundled).
    """
    import queue
    import time

    from shh_converter.core.recipe import Recipe
    from shh_converter.core.settings import BackgroundRemoval, Settings
    from shh_converter.sidecars import config

    inbox, dest = tmp_path / "inbox", tmp_path / "web"
    for name in ("a.png", "b.png"):
        image(inbox / name)
    cut_out = Settings(background_removal=BackgroundRemoval(enabled=True, model="silueta"))
    entry = watching.FolderWatch(inbox, dest, Recipe.single(cut_out))
    posted: queue.Queue[Any] = queue.Queue()  # the window's UI queue, run here
    entry.start(posted.put, lambda: None, config.load())
    try:
        deadline = time.monotonic() + 60
        while entry.state != "stopped" and entry.failed < 2:
            assert time.monotonic() < deadline, f"the watch neither stopped nor failed: {entry}"
            try:
                posted.get(timeout=0.1)()
            except queue.Empty:
                continue
    finally:
        entry.stop()
        entry.join(30)
    assert not entry.running
    assert entry.failed == 0, f"each arrival failed on its own: {entry.last}"
    assert entry.state == "stopped"
    assert "'silueta' is not installed" in entry.last
    assert not dest.exists() or not any(dest.rglob("*.*")), "nothing is converted without it"
