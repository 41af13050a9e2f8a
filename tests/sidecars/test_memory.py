"""Memory monitor: real psutil samples, child processes counted, thread stops, gate, summary."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from pathlib import Path

import psutil
import pytest
from support import wait_until

from shh_converter.core.jobs import JobResult
from shh_converter.sidecars import config, memory

CHILD = (
    "import sys, time; blob = bytearray(200 * 1024 * 1024); "
    "blob[::4096] = b'x' * len(blob[::4096]); print('ready', flush=True); time.sleep(60)"
)


def _monitor_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "memory-monitor"]


def test_thread_starts_samples_and_is_gone_after_stop() -> None:
    # Other tests (a window torn down early) may leave their own monitors running:
    # count only the threads this monitor adds.
    others = set(_monitor_threads())
    monitor = memory.MemoryMonitor(threshold_mb=100_000, interval=0.05)
    monitor.start()
    monitor.start()  # idempotent: still one thread
    mine = [t for t in _monitor_threads() if t not in others]
    assert len(mine) == 1 and mine[0].is_alive() and monitor.running
    first = monitor._last
    wait_until(lambda: monitor._last is not first, 5, "the thread's next sample", interval=0.01)
    assert monitor._last is not first  # the thread really samples
    monitor.stop()
    monitor.stop()
    assert not mine[0].is_alive() and mine[0] not in _monitor_threads() and not monitor.running
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
    with caplog.at_level(logging.WARNING, logger="shh_converter.sidecars.memory"):
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
    with caplog.at_level(logging.INFO, logger="shh_converter.sidecars.memory"):
        monitor.log_summary()
    assert "success rate 67%" in caplog.text
    assert monitor.summary()["files"] == 0  # counting starts afresh for the next batch


def test_threshold_from_config() -> None:
    cfg = config.load(environ={})
    cfg.set("performance.memory_warning_threshold_mb", 321)
    assert memory.MemoryMonitor.from_config(cfg).threshold_mb == 321


def test_screen_refuses_an_image_that_would_not_fit(tmp_path: Path) -> None:
    from PIL import Image

    from shh_converter.core import plan, runner
    from shh_converter.core.settings import Settings

    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (10, 10), "red").save(src / "small.png")
    Image.new("RGB", (4000, 4000), "blue").save(src / "big.png")  # ~122 MB decoded + copy
    monitor = memory.MemoryMonitor(interval=3600)  # one sample for the whole test
    monitor.low_system_mb = monitor.sample().available_mb - 100  # "100 MB free"
    settings = Settings()
    jobs = monitor.screen(plan.plan_batch([src], tmp_path / "out", settings).jobs)
    errors = {j.source.name: j.error for j in jobs}
    assert errors["small.png"] is None
    assert errors["big.png"] and "not enough free memory" in errors["big.png"]
    finished = runner.run_batch(jobs, settings, lambda event: None, workers=1)
    by_name = {r.source.name: r for r in finished.results}
    assert by_name["small.png"].status == "converted"
    assert by_name["big.png"].status == "failed"
    assert by_name["big.png"].error == errors["big.png"]
    assert sorted(p.name for p in (tmp_path / "out" / "in").glob("*.webp")) == ["small.webp"]


def test_screen_leaves_oversized_and_unreadable_files_to_the_engine(tmp_path: Path) -> None:
    from PIL import Image

    from shh_converter.core.jobs import Job
    from shh_converter.core.settings import Settings

    big, junk = tmp_path / "big.png", tmp_path / "junk.png"
    Image.new("L", (3000, 3000)).save(big)
    junk.write_bytes(b"not an image")
    monitor = memory.MemoryMonitor(interval=3600)
    monitor.low_system_mb = monitor.sample().available_mb - 1
    s = Settings()
    jobs = [Job.one(0, big, tmp_path / "a.webp", s), Job.one(1, junk, tmp_path / "b.webp", s)]
    screened = monitor.screen(jobs, max_pixels=1000 * 1000)
    assert [j.error for j in screened] == [None, None]
    assert monitor.screen(jobs)[0].error is not None  # without the pixel limit: refused
