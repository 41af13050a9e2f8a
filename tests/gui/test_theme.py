"""The theme follows the OS while the window is open: a real ``gsettings`` change
(keyfile backend in a temp folder, so nothing touches the machine's settings) is
picked up by darkdetect in the watcher's thread and switches sv-ttk on the Tk thread.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from tkinter import ttk

import pytest
from guikit import close_app, make_app, pump_until

from shh_converter.gui import desktop

pytestmark = pytest.mark.gui
SCHEMA = "org.gnome.desktop.interface"


def _gsettings(*args: str) -> None:
    subprocess.run(["gsettings", *args], check=True, timeout=10, env=os.environ.copy())


@pytest.fixture
def os_settings(tmp_path, monkeypatch):
    if not shutil.which("gsettings"):
        pytest.skip("gsettings missing: the Linux side of darkdetect cannot be driven")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("GSETTINGS_BACKEND", "keyfile")
    try:
        _gsettings("set", SCHEMA, "color-scheme", "default")
    except subprocess.CalledProcessError:
        pytest.skip(f"schema {SCHEMA} not installed (gsettings-desktop-schemas)")
    _gsettings("set", SCHEMA, "gtk-theme", "Adwaita")
    monkeypatch.setattr(desktop, "THEME_POLL_S", 0.2)


def test_theme_follows_a_live_os_change(x_display, os_settings):
    app = make_app()
    try:
        style = ttk.Style(app.root)
        assert style.theme_use() == "sun-valley-light"
        watcher = app.window.theme_watcher
        assert watcher is not None and watcher.mode == "light"
        light_bg = app.window.settings_column.canvas.cget("background")
        switches: list[str] = []  # Tk's <<ThemeChanged>>, as every widget gets it
        probe = ttk.Frame(app.root)
        probe.bind("<<ThemeChanged>>", lambda _e: switches.append(style.theme_use()))
        _gsettings("set", SCHEMA, "color-scheme", "prefer-dark")
        pump_until(app.root, lambda: watcher.mode == "dark", timeout=20, what="dark theme")
        app.root.update_idletasks()  # Tk tells the widgets at idle time
        assert style.theme_use() == "sun-valley-dark" and len(switches) == 1
        app.root.update()
        # The classic Tk canvas behind the settings followed the theme too.
        assert app.window.settings_column.canvas.cget("background") != light_bg
        _gsettings("set", SCHEMA, "color-scheme", "default")
        pump_until(app.root, lambda: watcher.mode == "light", timeout=20, what="light again")
        app.root.update_idletasks()
        assert style.theme_use() == "sun-valley-light" and len(switches) == 2
    finally:
        close_app(app)
