"""Benchmark: planning 1k / 10k / 100k files (``convert --dry-run``) and 50k files in the window.

1. ``shh-converter convert TREE -o DEST --recursive --dry-run --quiet`` as a whole
   process on a generated tree of small PNGs (1,000 files per folder), its wall
   time and peak RSS (psutil, sampled every 10 ms), beside the reference: a bare
   ``os.walk`` + ``stat`` of the same tree in a fresh Python process (what any
   tool pays to list it). Goal: 100k planned in <= 5 s and <= 300 MB, growing
   linearly.
2. ``--window N``: N files (default 50,000) opened in the real window on Xvfb
   (a folder given to ``add_paths``): the time until every row is listed and the
   Tk loop's longest stall meanwhile (a 10 ms ``after`` probe). Goal: <= 5 s and
   <= 100 ms.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--sizes 1000 10000 100000] [--window 50000]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "tests" / "gui"))
sys.path.insert(0, str(REPO))
PER_FOLDER = 1000
WALK = (
    "import os, sys\n"
    "n = 0\n"
    "for folder, _dirs, files in os.walk(sys.argv[1]):\n"
    "    for name in files:\n"
    "        os.stat(os.path.join(folder, name)); n += 1\n"
    "print(n)\n"
)


def make_tree(root: Path, count: int) -> Path:
    """``count`` distinct small PNG files, 1,000 to a folder."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 80, 40)).save(buffer, "PNG")
    blob = buffer.getvalue()
    for i in range(count):
        folder = root / f"d{i // PER_FOLDER:03d}"
        if i % PER_FOLDER == 0:
            folder.mkdir(parents=True)
        (folder / f"img{i:06d}.png").write_bytes(blob)
    return root


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of one process, sampled every 10 ms."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.Error:
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "failed")
    return elapsed, peak / 2**20


def bench_plan(sizes: list[int], work: Path) -> None:
    env = {**os.environ, "SHH_CONVERTER_HOME": str(work / "home")}
    print("files     dry-run s   peak MB   bare walk s   ratio   s per 1k")
    for size in sizes:
        tree = make_tree(work / f"tree{size}", size)
        cmd = [sys.executable, "-m", "shh_converter", "convert", str(tree), "-o"]
        cmd += [str(work / f"out{size}"), "--recursive", "--dry-run", "--quiet"]
        ours, peak = timed(cmd, env)
        bare, _ = timed([sys.executable, "-c", WALK, str(tree)], env)
        print(
            f"{size:>7}   {ours:9.2f}   {peak:7.0f}   {bare:11.2f}   {ours / bare:5.1f}"
            f"   {ours / size * 1000:8.3f}"
        )


def bench_window(count: int, work: Path) -> None:
    from guikit import close_app, make_app, pump_until
    from support import start_xvfb

    xvfb, display = start_xvfb("1366x768x24")
    os.environ["DISPLAY"] = display
    os.environ["SHH_CONVERTER_HOME"] = str(work / "home-gui")
    tree = make_tree(work / "window", count)
    try:
        app = make_app()
        stalls: list[float] = []
        last = [time.perf_counter()]

        def probe() -> None:
            now = time.perf_counter()
            stalls.append(now - last[0])
            last[0] = now
            app.root.after(10, probe)

        app.root.after(10, probe)
        start = time.perf_counter()
        app.controller.add_paths([tree])
        pump_until(app.root, lambda: len(app.window.files.iids) >= count, 120, what="rows")
        listed = time.perf_counter() - start
        pump_until(app.root, lambda: app.controller.pending_adds == 0, 120, what="scan end")
        done = time.perf_counter() - start
        worst = max(stalls) - 0.010
        print(
            f"window: {count} rows listed in {listed:.2f} s (scan done {done:.2f} s), "
            f"longest Tk stall {worst * 1000:.0f} ms (goals 5 s, 100 ms)"
        )
        close_app(app)
    finally:
        xvfb.terminate()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10_000, 100_000])
    parser.add_argument("--window", type=int, default=50_000)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.sizes:
            bench_plan(args.sizes, work)
        if args.window:
            bench_window(args.window, work)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
