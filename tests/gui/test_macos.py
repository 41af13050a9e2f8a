"""The ``::tk::mac::*`` handlers on the real window, called through Tk as macOS calls
them: documents from the Finder/Dock join the file list like a drop, the app menu's
Preferences opens the Preferences dialog, Cmd+Q closes gracefully.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guikit import last_dialog, pump_until
from PIL import Image

from shh_converter.gui import macos

if TYPE_CHECKING:
    from pathlib import Path


def _install(app: Any) -> None:
    c = app.controller
    macos.install(app.root, c.add_paths, c.preferences, c.request_close)


def test_handlers_are_registered_as_tcl_commands(app: Any) -> None:
    _install(app)
    for name in macos.HANDLERS:
        assert app.root.tk.splitlist(app.root.tk.call("info", "commands", name)) == (name,)


def test_open_document_adds_files_like_a_drop(app: Any, tmp_path: Path) -> None:
    _install(app)
    files = []
    for name in ("a b.png", "ü.jpg"):
        path = tmp_path / name
        Image.new("RGB", (40, 30), "teal").save(path)
        files.append(path)
    app.root.tk.call(macos.OPEN_DOCUMENT, *map(str, files))
    pump_until(app.root, lambda: app.window.files.files() == files, what="documents listed")


def test_show_preferences_opens_the_preferences_dialog(app: Any) -> None:
    _install(app)
    before = set(app.root.winfo_children())
    app.root.tk.call(macos.SHOW_PREFERENCES)
    pump_until(
        app.root,
        lambda: any(w.winfo_class() == "Toplevel" for w in set(app.root.winfo_children()) - before),
        what="the Preferences window",
    )
    dialog = last_dialog(app)
    assert dialog is not None
    for w in set(app.root.winfo_children()) - before:
        w.destroy()


def test_quit_closes_the_window_gracefully(app: Any) -> None:
    _install(app)
    closed: list[bool] = []
    app.root.bind("<Destroy>", lambda e: closed.append(e.widget is app.root), add="+")
    app.root.tk.call(macos.QUIT)
    assert app.controller.closer.done  # the shutdown routine ran (not an abrupt exit)
    assert True in closed
