"""Shutdown: one ordered, idempotent routine; real processes stopped by real signals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest

from shh_converter import paths
from shh_converter.core.events import CancelToken
from shh_converter.sidecars import config, shutdown

if TYPE_CHECKING:
    from pathlib import Path

# A small app: a batch thread that works until cancelled, a memory monitor, a
# config with window state, three clean-ups; it waits for a signal.
APP = r"""
import sys, threading, time
from pathlib import Path
from shh_converter.sidecars import config, logs, shutdown
from shh_converter.core.events import CancelToken
from shh_converter.sidecars.memory import MemoryMonitor

out = Path(sys.argv[1]); stuck = sys.argv[2] == "stuck"
logs.setup(kind="gui")
routine = shutdown.Shutdown()
cfg = config.load(); cfg.set("ui.window_geometry", "640x480+5+5")
routine.register("save the config", cfg.save)  # first registered: saved last
monitor = MemoryMonitor(interval=0.1).start()
routine.register("stop the memory monitor", lambda: monitor.stop(timeout=0.5))
def note(text):
    with out.open("a", encoding="utf-8") as fh: fh.write(text + "\n")
for name in ("A", "B", "C"):
    routine.register("clean-up " + name, lambda n=name: note("cleanup " + n))
token = CancelToken()
def batch():
    while not token.cancelled or stuck:
        time.sleep(0.05)
    note("batch cancelled")
worker = threading.Thread(target=batch, name="batch", daemon=False)
worker.start()
routine.attach_batch(token, worker, terminate=lambda: note("terminated"))
routine.install_signal_handlers()
print("ready", flush=True)
threading.Event().wait(60)
note("signal never came")
"""


def _start(tmp_path: Path, mode: str) -> tuple[subprocess.Popen[str], Path]:
    out = tmp_path / "notes.txt"
    proc = subprocess.Popen(
        [sys.executable, "-c", APP, str(out), mode], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc, out


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_runs_the_routine_once_and_exits_0(tmp_path: Path, signum: int) -> None:
    proc, out = _start(tmp_path, "normal")
    started = time.monotonic()
    os.kill(proc.pid, signum)
    code = proc.wait(10)
    elapsed = time.monotonic() - started
    assert code == 0 and elapsed < shutdown.DEADLINE
    notes = out.read_text(encoding="utf-8").splitlines()
    assert notes == ["batch cancelled", "cleanup C", "cleanup B", "cleanup A"]
    saved = json.loads(config.config_path().read_text(encoding="utf-8"))
    assert saved["ui"]["window_geometry"] == "640x480+5+5"
    log_text = next(paths.log_dir.glob("*.log")).read_text(encoding="utf-8")
    assert "shutting down" in log_text and "shut down" in log_text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_stuck_batch_is_forced_and_exit_stays_within_deadline(tmp_path: Path) -> None:
    proc, out = _start(tmp_path, "stuck")
    started = time.monotonic()
    os.kill(proc.pid, signal.SIGTERM)
    code = proc.wait(10)
    elapsed = time.monotonic() - started
    assert code == 0 and elapsed < shutdown.DEADLINE + 0.5
    notes = out.read_text(encoding="utf-8").splitlines()
    assert notes == ["terminated", "cleanup C", "cleanup B", "cleanup A"]
    log_text = next(paths.log_dir.glob("*.log")).read_text(encoding="utf-8")
    assert "forcing it" in log_text


def test_routine_is_ordered_idempotent_and_survives_failing_steps() -> None:
    routine = shutdown.Shutdown()
    calls: list[str] = []
    token = CancelToken()
    seen_cancel: list[bool] = []
    routine.attach_batch(token)
    routine.register("first", lambda: calls.append("first"))
    routine.register("broken", lambda: 1 / 0)

    def last() -> None:
        calls.append("last")
        seen_cancel.append(token.cancelled)

    routine.register("last", last)
    cfg = config.load(environ={})
    cfg.set("ui.last_output_dir", "/tmp/out")
    routine.register("save the config", cfg.save)
    assert routine.run() is True
    assert routine.run() is True
    assert calls == ["last", "first"]  # reverse order, once, despite the failing step
    assert seen_cancel == [True] and routine.is_closing
    assert config.load(environ={}).get("ui.last_output_dir") == "/tmp/out"


def test_signal_handlers_need_the_main_thread() -> None:
    routine = shutdown.Shutdown()
    result: list[bool] = []
    thread = threading.Thread(target=lambda: result.append(routine.install_signal_handlers()))
    thread.start()
    thread.join()
    assert result == [False]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_cancels_a_cli_batch_cleanly(tmp_path: Path) -> None:
    from PIL import Image
    from support import REPO

    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    for i in range(30):
        Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(src / f"p{i:02d}.png")
    proc = subprocess.Popen(
        [sys.executable, "-m", "shh_converter", "convert", str(src), "-o", str(out), "--jobs", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("converted:"), first
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _stdout, stderr = proc.communicate(timeout=30)
    elapsed = time.monotonic() - started
    assert proc.returncode == 130, stderr
    assert elapsed < shutdown.DEADLINE
    assert "cancelling" in stderr
    out = out / src.name  # the folder given keeps its name under DEST
    written = sorted(out.glob("*.webp"))
    assert 1 <= len(written) < 30
    assert not [p for p in out.iterdir() if p.name.startswith(".shh-partial")]
    for path in written:  # every output that exists is whole
        with Image.open(path) as img:
            img.load()
            assert img.size == (700, 700)
