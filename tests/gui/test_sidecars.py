"""The window with its sidecars: remembered state, updates, crash reports, logs, entry point."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from guikit import close_app, last_dialog, make_app, pump_for, pump_until
from support import wait_until
from support.web import QuietHandler, local_server

from shh_converter import __version__, paths
from shh_converter.sidecars import config, crash

pytestmark = pytest.mark.gui
REPO = Path(__file__).resolve().parents[2]


def test_window_remembers_geometry_folders_and_settings(x_display, corpus, tmp_path):
    app = make_app()
    try:
        app.root.geometry("1000x700+30+40")
        app.window.presets.apply("Email JPEG 1280")
        app.window.settings.v["quality"].set(67)
        out = tmp_path / "dest"
        out.mkdir()
        app.prefs.set_last_folder("output", out)
        pump_for(app.root, 0.2)
        app.controller.shutdown()
    finally:
        close_app(app)
    saved = json.loads(config.config_path().read_text(encoding="utf-8"))
    assert saved["ui"]["window_geometry"].startswith("1000x700")
    again = make_app()
    try:
        s = again.window.settings.get_settings()
        assert s.encode.format.value == "jpeg" and s.encode.quality == 67
        assert again.root.winfo_width() == 1000 and again.root.winfo_height() == 700
        assert again.prefs.last_folder("output") == out
    finally:
        close_app(again)


class _Releases(QuietHandler):
    def do_GET(self) -> None:
        self.send_json(
            {
                "tag_name": "v99.0.0",
                "html_url": "http://127.0.0.1/rel",
                "body": "Faster *everything*.",
            }
        )


@pytest.fixture
def release_server(monkeypatch):
    with local_server(_Releases) as server:
        port = server.server_port
        monkeypatch.setenv("SHH_CONVERTER_UPDATE_URL", f"http://127.0.0.1:{port}/latest")
        yield server


def test_update_notice_is_non_modal(app, release_server, shots_dir):
    app.controller.check_updates()
    pump_until(app.root, lambda: last_dialog(app), what="update answer")
    dialog = last_dialog(app)
    assert dialog.title() == "Update available"
    texts = " ".join(
        str(w.cget("text")) for w in dialog.body.winfo_children() if "Label" in w.winfo_class()
    )
    assert "99.0.0" in texts and __version__ in texts
    assert dialog.grab_current() is None  # nothing grabbed: the main window still works
    app.window.settings.v["quality"].set(41)
    assert app.window.settings.get_settings().encode.quality == 41
    skip = next(b for b in dialog.buttons.winfo_children() if b.cget("text") == "Skip this version")
    skip.invoke()
    assert config.load().get("updates.skipped_version") == "99.0.0"


def test_callback_error_writes_a_crash_report_named_in_the_dialog(app):
    def boom() -> None:
        msg = "crash report test"
        raise ValueError(msg)

    app.root.after(0, boom)
    pump_until(app.root, lambda: app.callback_errors, what="callback error")
    app.callback_errors.clear()
    report = crash.reports()[0]  # newest first
    assert report is not None and report.parent == paths.crash_dir and report.is_file()
    data = json.loads(report.read_text(encoding="utf-8"))
    assert "crash report test" in json.dumps(data)
    texts = [w.cget("text") for w in last_dialog(app).body.winfo_children()]
    assert any(str(report) in t for t in texts)
    buttons = [b.cget("text") for b in last_dialog(app).buttons.winfo_children()]
    assert "Open folder" in buttons


def test_corrupt_config_is_reported_once(x_display):
    paths.ensure(paths.config_dir)
    config.config_path().write_text("{ not json", encoding="utf-8")
    app = make_app()
    try:
        pump_until(app.root, lambda: last_dialog(app) is not None, what="notice")
        assert last_dialog(app).title() == "Settings"
    finally:
        close_app(app)


def test_preferences_dialog_saves_flags(app):
    app.controller.preferences()
    dialog = last_dialog(app)
    checks = {
        c.cget("text"): c
        for c in dialog.tabs.general.winfo_children()  # the General tab (gui/prefs_tabs.py)
        if c.winfo_class() == "TCheckbutton"
    }
    checks["Check for updates when the app starts"].invoke()  # on by default -> off
    save = next(b for b in dialog.buttons.winfo_children() if b.cget("text") == "Save")
    save.invoke()
    assert config.load().get("updates.check_on_startup") is False


def test_user_actions_are_logged(app, corpus, tmp_path, caplog):
    caplog.set_level("INFO", logger="shh_converter.gui")
    src = corpus / "photos" / "mpl_grace_hopper.jpg"
    app.controller.add_paths([src])
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="files")
    app.window.progress.dest_var.set(str(tmp_path / "o"))
    app.controller.convert()
    pump_until(app.root, lambda: not app.controller.batch.running, timeout=60, what="batch")
    text = caplog.text
    assert "adding 1 item(s): mpl_grace_hopper.jpg" in text
    assert "batch started: 1 file(s)" in text and "batch finished: 1 converted" in text


def test_entry_point_opens_the_window_with_the_paths_queued(x_display, corpus, tmp_path, shots_dir):
    """``python -m shh_converter FILE`` as users start it: a real process, a real window."""
    src = corpus / "names" / "цветок фото.jpg"
    env = {**os.environ, "SHH_CONVERTER_UPDATE_URL": "http://127.0.0.1:9/"}
    proc = subprocess.Popen([sys.executable, "-m", "shh_converter", str(src)], cwd=REPO, env=env)
    try:
        found = subprocess.run(
            ["xdotool", "search", "--sync", "--onlyvisible", "--name", "^SHH Converter$"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        wid = found.stdout.split()[0]
        props = subprocess.run(["xprop", "-id", wid], capture_output=True, text=True, timeout=10)
        assert "XdndAware" in props.stdout  # tkdnd is live in the real app
        log_file = paths.log_dir / "shh-converter.log"

        def log_text() -> str:
            return log_file.read_text(encoding="utf-8") if log_file.exists() else ""

        wait_until(lambda: "files added: 1 found" in log_text(), 20, "the log's files added")
        text = log_text()
        assert "adding 1 item(s): цветок фото.jpg" in text and "files added: 1 found" in text
        out = shots_dir / "05-entry-point.png"
        subprocess.run(["import", "-window", wid, str(out)], check=True, timeout=30)
        # SIGTERM closes the window through the shutdown routine: exit 0, state saved.
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0 and time.monotonic() - t0 < 5
        saved = json.loads(config.config_path().read_text(encoding="utf-8"))
        assert saved["ui"]["window_geometry"]
        assert "shut down" in log_file.read_text(encoding="utf-8")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_manual_update_check_without_a_server_says_why(app):
    """The release URL points at a closed local port: a plain, non-modal answer."""
    app.controller.check_updates()
    pump_until(app.root, lambda: last_dialog(app), what="update answer")
    dialog = last_dialog(app)
    assert dialog.title() == "Updates" and dialog.grab_current() is None
    texts = [w.cget("text") for w in dialog.body.winfo_children()]
    assert texts[0].startswith("Could not check: ")
