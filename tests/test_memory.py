"""Memory monitor: real psutil samples, child processes counted, thread stops, gate, summary."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest

from shh_converter import config, memory
from shh_converter.core.jobs import JobResult

CHILD = (
    "import sys, time; blob = bytearray(200 * 1024 * 1024); "
    "blob[::4096] = b'x' * len(blob[::4096]); print('ready', flush=True); time.sleep(60)"
)


def _monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "memory-monitor"]


def test_thread_starts_samples_and_is_gone_after_stop() -> None:
    monitor = memory.MemoryMonitor(threshold_mb=100_000, interval=0.05)
    monitor.start()
    monitor.start()  # idempotent: still one thread
    assert len(_monitor_threads()) == 1 and monitor.running
    first = monitor.latest()
    monitor._stop.wait(0.3)  # let the thread take a few samples
    assert monitor.latest().at > first.at  # the thread really samples
    monitor.stop()
    monitor.stop()
    assert _monitor_threads() == [] and not monitor.running
    own = psutil.Process().memory_info().rss / memory.MB
    assert monitor.peak_mb >= own * 0.5


def test_process_tree_rss_includes_children() -> None:
    before = memory.tree_rss_mb()
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        child_rss = psutil.Process(child.pid).memory_info().rss / memory.MB
        with_child = memory.tree_rss_mb()
        assert child_rss > 150
        assert with_child >= before + child_rss * 0.9
    finally:
        child.kill()
        child.wait(10)


def test_warning_above_threshold_and_job_gate(caplog: pytest.LogCaptureFixture) -> None:
    low = memory.MemoryMonitor(threshold_mb=16)  # any Python process uses more
    with caplog.at_level(logging.WARNING, logger="shh_converter.memory"):
        low.sample()
        low.sample()
    warnings = [r for r in caplog.records if "warning threshold" in r.getMessage()]
    assert len(warnings) == 1 and low.warnings == 1  # once, not on every sample
    assert low.current_mb() > 16


def test_job_gate_follows_free_system_memory() -> None:
    available = memory.take_sample().available_mb
    starved = memory.MemoryMonitor(low_system_mb=available * 4)  # "needs" more than exists
    assert starved.may_start_job() is False
    roomy = memory.MemoryMonitor(low_system_mb=1)
    assert roomy.may_start_job() is True


def test_fits_in_memory_uses_available_memory() -> None:
    monitor = memory.MemoryMonitor()
    available = monitor.latest().available_mb
    assert monitor.fits_in_memory(1000, 1000)
    side = int((available * memory.MB) ** 0.5) + 1  # one channel of this already fills it
    assert not monitor.fits_in_memory(side, side, channels=1, copies=1)


def test_batch_summary(caplog: pytest.LogCaptureFixture) -> None:
    monitor = memory.MemoryMonitor()
    times = [0.5, 1.5, 2.5]
    statuses = ["converted", "converted", "failed"]
    for seconds, status in zip(times, statuses, strict=True):
        monitor.record(JobResult(Path("x.png"), None, status, seconds=seconds))  # type: ignore[arg-type]
    monitor.record(JobResult(Path("s.png"), None, "skipped", seconds=9.0))
    monitor.sample()
    stats = monitor.summary()
    assert stats["files"] == 3
    assert stats["average_seconds"] == pytest.approx(sum(times) / 3)
    assert stats["success_rate"] == pytest.approx(2 / 3)
    assert stats["peak_mb"] == pytest.approx(monitor.peak_mb, abs=0.1)
    with caplog.at_level(logging.INFO, logger="shh_converter.memory"):
        monitor.log_summary()
    assert "success rate 67%" in caplog.text
    assert monitor.summary()["files"] == 0  # counting starts afresh for the next batch


def test_threshold_from_config() -> None:
    cfg = config.load(environ={})
    cfg.set("performance.memory_warning_threshold_mb", 321)
    assert memory.MemoryMonitor.from_config(cfg).threshold_mb == 321
