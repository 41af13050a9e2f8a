"""End-of-batch notifications: the decision with the real window, and the sending through
desktop-notifier to a real (tiny) freedesktop notification server on a private D-Bus.

The decision: a batch of at least ``notify.LONG_BATCH_S`` that ends while the
window is not in front (withdrawn here: Xvfb has no window manager to
iconify it or put another window in front) notifies, unless ``ui.notify_when_done`` is off.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from guikit import pump_until

from shh_converter.core.events import BatchFinished
from shh_converter.gui import notify

pytestmark = pytest.mark.gui
SERVER = Path(__file__).with_name("notify_server.py")


def _finished(elapsed: float) -> BatchFinished:
    return BatchFinished(batch_id="test", results=(), cancelled=False, elapsed=elapsed)


def _in_front(app) -> None:
    app.root.deiconify()
    app.root.focus_force()
    pump_until(app.root, lambda: notify.window_in_front(app.root), what="window in front")


def _behind(app) -> None:
    app.root.withdraw()  # without a window manager iconify() does nothing; this is "not seen"
    pump_until(app.root, lambda: not notify.window_in_front(app.root), what="iconified")


def test_decision_follows_length_focus_and_switch(app, monkeypatch):
    notifier = app.window.notifier
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(notifier, "send", lambda title, text: sent.append((title, text)))
    progress = app.window.progress
    decisions: list[bool] = []  # per batch: did a notification go out?

    def finish(elapsed: float) -> None:
        before = len(sent)
        progress.finish(_finished(elapsed))
        decisions.append(len(sent) > before)

    _in_front(app)
    finish(12.0)  # long, but the user is looking: nothing
    _behind(app)
    finish(1.0)  # not in front, but short: nothing
    finish(12.0)  # long and unwatched: a notification
    app.prefs.cfg.set(notify.SWITCH_KEY, False)
    finish(12.0)  # switched off in Preferences: nothing
    assert decisions == [False, False, True, False]
    from shh_converter.gui.extras import PREFERENCE_KEYS

    assert notify.SWITCH_KEY in dict(PREFERENCE_KEYS)  # the switch is in Preferences
    assert len(sent) == 1 and sent[0][0] == "Batch finished" and "0 converted" in sent[0][1]
    _in_front(app)


def test_real_batch_in_the_background_notifies(app, corpus, tmp_path, monkeypatch):
    monkeypatch.setattr(notify, "LONG_BATCH_S", 0.0)  # a real, short batch counts as long
    notifier = app.window.notifier
    sent: list[tuple[str, str]] = []
    monkeypatch.setattr(notifier, "send", lambda title, text: sent.append((title, text)))
    src = tmp_path / "in.jpg"
    shutil.copy(corpus / "photos" / "sklearn_china.jpg", src)
    app.controller.add_paths([src])
    pump_until(app.root, lambda: app.controller.pending_adds == 0, what="listed")
    app.window.progress.dest_var.set(str(tmp_path / "out"))
    ended: list[BatchFinished] = []
    app.window.progress.on_finished.append(ended.append)  # after the notifier's listener
    _behind(app)
    app.controller.convert()
    pump_until(app.root, lambda: ended, timeout=120, what="batch end")
    assert len(ended) == 1 and len(sent) == 1 and sent[0][1].startswith("Done: ")
    _in_front(app)


@pytest.fixture
def session_bus(monkeypatch):
    if not shutil.which("dbus-daemon"):
        pytest.skip("dbus-daemon missing (apt-get install dbus): sending not tested")
    daemon = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert daemon.stdout is not None
    address = daemon.stdout.readline().strip()
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    server = subprocess.Popen(
        [sys.executable, str(SERVER)], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    assert server.stdout is not None and server.stdout.readline().strip() == "ready"
    yield server
    server.kill()
    daemon.kill()
    server.wait(10)
    daemon.wait(10)


def test_sent_through_the_library_and_a_click_brings_the_window_up(app, session_bus, caplog):
    caplog.set_level(logging.INFO, logger=notify.__name__)
    _behind(app)
    progress = app.window.progress
    progress.finish(_finished(30.0))
    line = session_bus.stdout.readline()  # the server got it over D-Bus
    got = json.loads(line)
    assert got["app"] == "SHH Converter" and got["title"] == "Batch finished"
    assert "0 converted" in got["body"] and "default" in got["actions"]
    # The server "clicks" it: desktop-notifier's callback -> UI queue -> window up.
    pump_until(app.root, lambda: app.root.state() == "normal", timeout=20, what="window up")
    assert not [r for r in caplog.records if r.getMessage().startswith("no desktop notification")]
