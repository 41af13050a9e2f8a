"""Benchmark: what the sidecars cost a batch.

    .venv/bin/python benchmarks/bench_sidecars.py [--repeats 5] [--files 60]

(1) A whole batch of small PNG -> WebP files through ``runner.run_batch`` (2 workers)
    with the CLI's sidecars (memory monitor thread + guard, header screen, event
    logger writing the rotating log file) against the same batch with none of them
    (a no-op callback). Ratio = with / without (1.00 = free).
(2) One log line through our file handler (batch filter + home-redacting formatter)
    against a plain ``logging.FileHandler`` with the same format: microseconds per line.
(3) One memory sample of the process tree (this process + 2 idle children) and one
    ``may_start_job()`` call (cached sample), against ``psutil.virtual_memory()``.
(4) ``MemoryMonitor.screen`` (header read per file) against ``plan_batch`` for the
    same files: microseconds per file.
Medians over the repeats; reference and ours alternate within each repeat.
Everything is written under a temp folder (``SHH_CONVERTER_HOME`` too).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["SHH_CONVERTER_HOME"] = tempfile.mkdtemp(prefix="bench-sidecars-")


import psutil  # noqa: E402
from PIL import Image  # noqa: E402

from shh_converter import paths  # noqa: E402
from shh_converter.core.plan import plan_batch  # noqa: E402
from shh_converter.core.runner import run_batch  # noqa: E402
from shh_converter.core.settings import Settings  # noqa: E402
from shh_converter.sidecars import config, logs, startup  # noqa: E402
from shh_converter.sidecars.memory import MemoryMonitor  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable


def _median_time(func: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def _images(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for i in range(count):
        Image.effect_noise((160, 120), 40 + i % 20).convert("RGB").save(folder / f"i{i:03d}.png")
    return folder


def bench_batch(work: Path, files: int, repeats: int) -> tuple[float, float]:
    src = _images(work / "src", files)
    settings = Settings()
    cfg = config.load()

    def bare(out: Path) -> None:
        jobs = plan_batch([src], out, settings).jobs
        run_batch(jobs, settings, lambda e: None, workers=2)

    def ours(out: Path) -> None:
        jobs = plan_batch([src], out, settings).jobs
        with startup.batch_hooks(settings, cfg) as side:
            run_batch(
                side.screen(jobs),
                settings,
                side.wrap(lambda e: None),
                workers=2,
                memory_guard=side.memory_guard,
            )

    times: dict[str, list[float]] = {"bare": [], "ours": []}
    runs = {"bare": bare, "ours": ours}
    for r in range(repeats + 1):  # the first round warms caches and is dropped
        order = ["bare", "ours"] if r % 2 else ["ours", "bare"]
        for name in order:
            started = time.perf_counter()
            runs[name](work / f"{name}{r}")
            if r:
                times[name].append(time.perf_counter() - started)
    return statistics.median(times["bare"]), statistics.median(times["ours"])


def bench_log_line(work: Path, repeats: int, lines: int = 5000) -> tuple[float, float]:
    fmt = logs.FILE_FORMAT.replace("%(batch)s", "")
    plain = logging.FileHandler(work / "plain.log", encoding="utf-8")
    plain.setFormatter(logging.Formatter(fmt))
    logs.setup(kind="gui")
    ours_logger = logging.getLogger("bench.ours")
    plain_logger = logging.getLogger("bench.plain")
    plain_logger.propagate = False
    plain_logger.addHandler(plain)
    logs.begin_batch("0123456789ab")
    home_path = str(Path.home() / "Pictures" / "photo.jpg")

    def run(logger: logging.Logger) -> None:
        for i in range(lines):
            logger.info("file %s: converted in %.2fs", home_path, i / 1000)

    ref, ours = [], []
    for _ in range(repeats):
        ref.append(_median_time(lambda: run(plain_logger), 1) / lines)
        ours.append(_median_time(lambda: run(ours_logger), 1) / lines)
    logs.end_batch()
    plain.close()
    return statistics.median(ref) * 1e6, statistics.median(ours) * 1e6


def bench_sample(repeats: int, calls: int = 200) -> tuple[float, float, float]:
    children = [
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"]) for _ in range(2)
    ]
    try:
        monitor = MemoryMonitor(interval=3600)
        sample = _median_time(lambda: [monitor.sample() for _ in range(calls)], repeats)
        guard = _median_time(lambda: [monitor.may_start_job() for _ in range(calls)], repeats)
        ref = _median_time(lambda: [psutil.virtual_memory() for _ in range(calls)], repeats)
    finally:
        for child in children:
            child.kill()
            child.wait()
    return ref / calls * 1e6, sample / calls * 1e6, guard / calls * 1e6


def bench_screen(repeats: int) -> tuple[float, float, float, int]:
    corpus = REPO.parent / "shared" / "corpus"
    out = Path(tempfile.mkdtemp())
    jobs = plan_batch([corpus], out, Settings(), recursive=True).jobs
    monitor = MemoryMonitor(interval=3600)
    planning = _median_time(lambda: plan_batch([corpus], out, Settings(), recursive=True), repeats)
    usual = _median_time(lambda: monitor.screen(jobs, 100_000_000), repeats)
    reading = _median_time(lambda: monitor.screen(jobs), repeats)  # low memory: every header
    n = len(jobs)
    return planning / n * 1e6, usual / n * 1e6, reading / n * 1e6, n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--files", type=int, default=60)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-work-"))
    print(f"load average {os.getloadavg()[0]:.1f}, {os.cpu_count()} CPUs, home {paths.log_dir}")

    bare, ours = bench_batch(work, args.files, args.repeats)
    print(
        f"(1) batch of {args.files} PNG->WebP: bare {bare:.2f} s, with sidecars {ours:.2f} s, "
        f"ratio {ours / bare:.2f}x"
    )
    ref, mine = bench_log_line(work, args.repeats)
    print(
        f"(2) log line: plain FileHandler {ref:.1f} us, ours {mine:.1f} us, ratio {mine / ref:.2f}x"
    )
    ref, sample, guard = bench_sample(args.repeats)
    print(
        f"(3) psutil.virtual_memory {ref:.0f} us; tree sample (2 children) {sample:.0f} us "
        f"({sample / ref:.1f}x); may_start_job (cached) {guard:.1f} us"
    )
    plan_us, usual_us, screen_us, count = bench_screen(args.repeats)
    print(
        f"(4) {count} corpus files: plan_batch {plan_us:.0f} us/file; screen with plenty of "
        f"free memory {usual_us:.1f} us/file; screen reading every header {screen_us:.0f} "
        f"us/file (ratio to planning {screen_us / plan_us:.1f}x)"
    )


if __name__ == "__main__":
    main()
