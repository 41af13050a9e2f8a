"""One window per user, with real processes on a real display: a second launch hands
its paths to the running window over the per-user channel and exits; a channel left
by a killed process is stale and the next launch opens a window of its own; five
launches at once end as one window listing every file (Windows "Open with" on five
selected files starts five processes). Also the real start-up's macOS document
handler (``::tk::mac::OpenDocument``, called through Tk as macOS would).
"""

from __future__ import annotations

import json
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest
from support import REPO, wait_until
from support.images import solid

from shh_converter import paths
from shh_converter.gui import instance

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gui
PROBE = REPO / "tests" / "sidecars" / "instance_probe.py"


class Window:
    """A launched app process whose stdout lines are read in a thread."""

    def __init__(self, display: str, *args: Path, **extra_env: str) -> None:
        env = dict(os.environ, DISPLAY=display, **extra_env)
        env["SHH_CONVERTER_UPDATE_URL"] = "http://127.0.0.1:9/releases/latest"  # offline
        self.proc = subprocess.Popen(
            [sys.executable, str(PROBE), *map(str, args)],
            env=env,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.listed: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, predicate, what: str, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"timed out waiting for {what}; stderr: {self.stderr_tail()}"
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line.startswith("listed "):
                self.listed = json.loads(line[len("listed ") :])
            if predicate(line):
                return

    def wait_listed(self, wanted: list[Path], timeout: float = 30.0) -> None:
        names = {str(p) for p in wanted}
        self.wait_for(lambda _l: names <= set(self.listed), f"{sorted(names)} listed", timeout)

    def stderr_tail(self) -> str:
        if self.proc.poll() is None:
            return "(still running)"
        assert self.proc.stderr is not None
        return self.proc.stderr.read()[-3000:]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the app's graceful close
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def _images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        path = folder / f"photo {i} é.png"  # a space and non-ASCII travel intact
        solid(path, (32 + i, 24), (40 * i % 255, 90, 160))
        out.append(path)
    return out


def test_a_second_launch_hands_its_paths_to_the_running_window(
    x_display: str, tmp_path: Path
) -> None:
    first_files, later_files = _images(tmp_path / "a", 1), _images(tmp_path / "b", 2)
    first = Window(x_display, *first_files)
    try:
        first.wait_listed(first_files)
        started = time.monotonic()
        second = subprocess.run(
            [sys.executable, str(PROBE), *map(str, later_files)],
            env=dict(os.environ, DISPLAY=x_display),
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
        )
        took = time.monotonic() - started
        assert second.returncode == 0, second.stderr[-2000:]
        assert "window" not in second.stdout.split(), "the second launch opened a window"
        first.wait_listed(first_files + later_files)
        assert first.proc.poll() is None
        print(f"second launch handed over and exited in {took:.2f} s")
    finally:
        first.close()
    assert first.proc.returncode == 0, first.stderr_tail()
    assert not (paths.cache_dir / instance.CHANNEL_FILE).exists(), "channel file left behind"


def test_a_channel_left_by_a_killed_window_is_stale(x_display: str, tmp_path: Path) -> None:
    files = _images(tmp_path, 1)
    crashed = Window(x_display)
    crashed.wait_for(lambda line: line == "window", "the first window")
    crashed.proc.kill()  # no clean-up at all: the channel file stays
    crashed.proc.wait(10)
    assert (paths.cache_dir / instance.CHANNEL_FILE).exists()
    started = time.monotonic()
    fresh = Window(x_display, *files)
    try:
        fresh.wait_listed(files, timeout=30)
        # The OS dropped the dead process's lock: no waiting for an answer first.
        assert time.monotonic() - started < instance.WAIT_FOR_PRIMARY
    finally:
        fresh.close()


def test_five_launches_at_once_end_as_one_window(x_display: str, tmp_path: Path) -> None:
    files = _images(tmp_path, 5)
    launches = [Window(x_display, f) for f in files]
    try:
        wait_until(
            lambda: sum(w.proc.poll() is None for w in launches) <= 1,
            90,
            "more than one window stayed open",
            interval=0.1,
        )
        survivors = [w for w in launches if w.proc.poll() is None]
        assert len(survivors) == 1
        for w in launches:
            if w is not survivors[0]:
                assert w.proc.returncode == 0, w.stderr_tail()
        survivors[0].wait_listed(files, timeout=60)
    finally:
        for w in launches:
            w.close()


def test_only_the_token_holder_gets_in(tmp_path: Path) -> None:
    """Wrong token: refused before any path is read; right token: delivered."""
    server = instance.claim_or_hand_off([])
    assert server is not None and server.port
    got: list[list[Path]] = []
    server.attach(got.append)
    channel = paths.cache_dir / instance.CHANNEL_FILE
    try:
        if os.name == "posix":
            assert channel.stat().st_mode & 0o777 == 0o600  # only the user can read the token
        real = json.loads(channel.read_text(encoding="utf-8"))
        forged = dict(real, token=secrets.token_hex(32))
        channel.write_text(json.dumps(forged), encoding="utf-8")
        assert instance.send_paths([tmp_path / "x.png"]) is False
        channel.write_text(json.dumps(real), encoding="utf-8")
        assert instance.send_paths([tmp_path / "y.png"]) is True
        wait_until(lambda: got, 5, "the paths handed over", interval=0.01)
        assert got == [[tmp_path / "y.png"]]
        # While this process holds the lock, another claim hands off instead of opening.
        assert instance.claim_or_hand_off([tmp_path / "z.png"], wait=2) is None
    finally:
        server.close()
    assert not channel.exists()


def test_files_from_the_finder_reach_the_window_through_tk_mac_open_document(
    x_display: str, tmp_path: Path
) -> None:
    """The real start-up registers ``::tk::mac::OpenDocument``; what it gets is listed."""
    files = _images(tmp_path, 2)
    window = Window(x_display, SHH_PROBE_MAC_OPEN=os.pathsep.join(map(str, files)))
    try:
        window.wait_listed(files)
    finally:
        window.close()
