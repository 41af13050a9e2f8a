"""Benchmark: the runner's own cost per file, and the planner's cost per file.

    .venv/bin/python benchmarks/bench_runner.py [--repeats 3] [--files 300]

(1) Many small images (so conversion is cheap and any per-file overhead shows):
    ``runner.run_batch`` with 2 workers (spawned processes, one job at a time over
    a pipe, events, resume ledger) against the plainest reference, a
    ``ProcessPoolExecutor`` (spawn, 2 workers) mapping ``convert_job`` over the same
    jobs. Both include process start-up. Ratio = reference seconds / runner seconds
    (> 1: the runner is faster).
(3) Warm workers: a second batch on a ``BatchRunner`` whose workers are already up
    (what the window and watch mode can do) against the same batch through a fresh
    ``run_batch`` (spawn, import, then work). Small batches (``--warm-files``), where
    start-up is most of the time. Ratio = fresh seconds / warm seconds.
(2) ``plan_batch`` over a folder tree of empty files (discovery, names, conflict
    checks, ledger look-ups), against a bare ``os.walk`` listing the same files:
    microseconds per file for both.
Medians over the repeats. Not collected by pytest (name starts with ``bench_``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from shh_converter.core.convert import convert_job  # noqa: E402
from shh_converter.core.plan import plan_batch  # noqa: E402
from shh_converter.core.runner import BatchRunner, run_batch  # noqa: E402
from shh_converter.core.settings import Settings  # noqa: E402

WORKERS = 2


def make_images(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = folder / f"img{i:04d}.png"
        Image.new("RGB", (96, 64), (i % 256, 80, 160)).save(path)
        paths.append(path)
    return paths


def time_runner(sources: list[Path], dest: Path) -> float:
    settings = Settings()
    start = time.perf_counter()
    jobs = plan_batch(sources, dest, settings).jobs
    final = run_batch(jobs, settings, lambda e: None, workers=WORKERS)
    elapsed = time.perf_counter() - start
    assert final.converted == len(sources), final
    return elapsed


def time_reference(sources: list[Path], dest: Path) -> float:
    settings = Settings()
    start = time.perf_counter()
    jobs = plan_batch(sources, dest, settings).jobs
    ctx = multiprocessing.get_context("spawn")
    with cf.ProcessPoolExecutor(WORKERS, mp_context=ctx) as pool:
        results = list(pool.map(convert_job, jobs, [settings] * len(jobs)))
    elapsed = time.perf_counter() - start
    assert all(r.status == "converted" for r in results)
    return elapsed


def time_warm_and_fresh(sources: list[Path], dest: Path, r: int) -> tuple[float, float]:
    """(warm, fresh) seconds for the same batch: on warm BatchRunner workers, then fresh."""
    settings = Settings()
    with BatchRunner() as warm:
        first = plan_batch(sources, dest / f"w-first{r}", settings).jobs
        warm.run(first, settings, lambda e: None, workers=WORKERS)  # the workers are up now
        start = time.perf_counter()
        jobs = plan_batch(sources, dest / f"w{r}", settings).jobs
        final = warm.run(jobs, settings, lambda e: None, workers=WORKERS)
        warm_s = time.perf_counter() - start
    assert final.converted == len(sources), final
    start = time.perf_counter()
    jobs = plan_batch(sources, dest / f"f{r}", settings).jobs
    final = run_batch(jobs, settings, lambda e: None, workers=WORKERS)
    fresh_s = time.perf_counter() - start
    assert final.converted == len(sources), final
    return warm_s, fresh_s


def make_tree(root: Path, count: int) -> None:
    per_folder = 100
    for i in range(count):
        folder = root / f"d{i // per_folder:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}.jpg").write_bytes(b"")


def time_plan(root: Path, dest: Path) -> float:
    start = time.perf_counter()
    plan_batch([root], dest, Settings(), recursive=True)
    return time.perf_counter() - start


def time_walk(root: Path) -> float:
    start = time.perf_counter()
    found = [Path(d) / f for d, _dirs, files in os.walk(root) for f in sorted(files)]
    assert found
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--tree", type=int, default=5000)
    parser.add_argument("--warm-files", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        sources = make_images(base / "src", args.files)
        ours, ref = [], []
        for r in range(args.repeats):  # alternate, so machine noise hits both alike
            ref.append(time_reference(sources, base / f"ref{r}"))
            ours.append(time_runner(sources, base / f"run{r}"))
        warm_fresh = [
            time_warm_and_fresh(sources[: args.warm_files], base / "warm", r)
            for r in range(args.repeats)
        ]
        make_tree(base / "tree", args.tree)
        plans = [time_plan(base / "tree", base / f"plan{r}") for r in range(args.repeats)]
        walks = [time_walk(base / "tree") for _ in range(args.repeats)]
    o, f = statistics.median(ours), statistics.median(ref)
    print(f"(1) {args.files} small images, {WORKERS} workers, median of {args.repeats}")
    print(f"    run_batch            {o:6.2f} s  {o / args.files * 1000:6.2f} ms/file")
    print(f"    ProcessPoolExecutor  {f:6.2f} s  {f / args.files * 1000:6.2f} ms/file")
    print(f"    ratio (reference / runner): {f / o:.2f}x")
    wm = statistics.median(x for x, _ in warm_fresh)
    fr = statistics.median(y for _, y in warm_fresh)
    pairs = ", ".join(f"{y / x:.2f}" for x, y in warm_fresh)
    print(f"(3) {args.warm_files} small images: warm BatchRunner {wm:5.2f} s, fresh run_batch")
    print(f"    {fr:5.2f} s: ratio (fresh / warm) {fr / wm:.2f}x (pairs {pairs})")
    p, w = statistics.median(plans), statistics.median(walks)
    print(f"(2) plan_batch over {args.tree} files in {args.tree // 100} folders")
    print(f"    plan_batch {p * 1e6 / args.tree:7.1f} us/file   os.walk {w * 1e6 / args.tree:6.1f}")
    print(f"    us/file   ratio (plan / walk): {p / w:.1f}x")
    load = getattr(os, "getloadavg", lambda: ())()  # not on Windows
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in load) or 'n/a'}")


if __name__ == "__main__":
    main()
