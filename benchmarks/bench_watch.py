"""Benchmark: watch folders through the product path (``shh-converter watch`` as a process).

    .venv/bin/python benchmarks/bench_watch.py [--latency 7] [--files 200] [--pairs 3]
                                                [--session 2000]

(1) Latency: a 12 MP JPEG (4000x3000, from the corpus' Kleiber photo) copied
    into a watched folder (WebP, fit 1600), timed from the end of the copy
    (``shutil.copyfile`` returned) until the output exists under its final name
    (outputs are renamed into place whole, so existing means finished). The
    watch's default quiet period (0.5 s) is part of it. Reference in the same
    run: ``shh-converter convert`` of the same file as a whole process (what a
    script calling the CLI per file would pay). Median of N copies.
(2) Throughput: N files (2400x1800 JPEG crops of the corpus photo, WebP fit
    1600) copied into the watched folder one after another as a file manager
    does, timed from the first copy until the last output exists; against
    ``shh-converter convert`` over the same files (a whole process, from its
    start), sides alternating, ``--pairs`` pairs. Ratio = batch seconds / watch
    seconds (>= 0.9 is the goal). Also the CPU seconds of each side's whole
    process tree (``RUSAGE_CHILDREN``), which a busy machine disturbs less.
(3) Memory: a watch session converting ``--session`` small PNGs dropped in
    rounds of 250; RSS of the watch process (and of its process tree) after
    each round. Growth = last round minus the second round's. The watch keeps
    one small entry per file it has seen (to notice changes and deletions), so
    ``--delete`` (each round's sources deleted once converted, an inbox that is
    emptied) shows the memory without that state.

Load averages (``os.getloadavg``) are printed with each part. Not collected by
pytest (the name starts with ``bench_``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))
PHOTO = CORPUS / "photos" / "Kleiber_by_Lukas_Baubkus.jpg"
RECIPE = ["--resize", "fit", "--width", "1600", "--height", "1600"]
CLI = [sys.executable, "-m", "shh_converter"]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def wait_for(paths: list[Path], timeout: float = 600) -> float:
    """Seconds until every path exists, looking at one missing path at a time every 5 ms.

    One ``stat`` per poll: looking at all 200 paths every 5 ms would take CPU from
    the watch's workers on a 2-core machine (the batch side has no such poller).
    """
    start = time.monotonic()
    for path in paths:
        while not path.exists():
            if time.monotonic() - start > timeout:
                msg = f"output missing: {path}"
                raise TimeoutError(msg)
            time.sleep(0.005)
    return time.monotonic() - start


class Watch:
    """A ``shh-converter watch`` process on ``inbox`` (outputs in ``dest/<inbox name>``).

    Stopped with SIGINT like Ctrl-C."""

    def __init__(self, inbox: Path, dest: Path, *extra: str) -> None:
        inbox.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [*CLI, "watch", str(inbox), "-o", str(dest), "--quiet", *RECIPE, *extra],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()  # "watching ..." once it is listening
        assert "watching" in line, line
        time.sleep(1.0)  # the first rescan and the warm workers settle

    def rss_mb(self) -> tuple[float, float]:
        """RSS of the watch process alone and of its whole tree (MB)."""
        me = psutil.Process(self.proc.pid)
        own = me.memory_info().rss
        tree = own + sum(c.memory_info().rss for c in me.children(recursive=True))
        return own / 2**20, tree / 2**20

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.communicate(timeout=60)


def make_12mp(path: Path) -> Path:
    from PIL import Image

    with Image.open(PHOTO) as im:
        im.convert("RGB").resize((4000, 3000)).save(path, quality=90)
    return path


def make_crops(folder: Path, count: int) -> list[Path]:
    from PIL import Image

    folder.mkdir(parents=True)
    with Image.open(PHOTO) as im:
        photo = im.convert("RGB")
    paths = []
    for i in range(count):
        x, y = (i * 37) % (photo.width - 2400), (i * 23) % (photo.height - 1800)
        path = folder / f"crop{i:04d}.jpg"
        photo.crop((x, y, x + 2400, y + 1800)).save(path, quality=90)
        paths.append(path)
    return paths


def bench_latency(work: Path, copies: int) -> None:
    src = make_12mp(work / "twelve.jpg")
    inbox, dest = work / "lat-in", work / "lat-out"
    watch = Watch(inbox, dest)
    watch_times = []
    try:
        for i in range(copies):
            shutil.copyfile(src, inbox / f"p{i}.jpg")
            watch_times.append(wait_for([dest / inbox.name / f"p{i}.webp"]))
            time.sleep(0.5)
    finally:
        watch.stop()
    cli_times = []
    for i in range(copies):
        out = work / f"cli-out-{i}"
        start = time.monotonic()
        subprocess.run([*CLI, "convert", str(src), "-o", str(out), "--quiet", *RECIPE], check=True)
        cli_times.append(time.monotonic() - start)
    print(
        f"latency 12 MP JPEG -> WebP fit 1600: watch median {statistics.median(watch_times):.2f} s "
        f"(min {min(watch_times):.2f}, max {max(watch_times):.2f}; quiet period 0.5 s included); "
        f"'convert' as a process {statistics.median(cli_times):.2f} s; {load()}"
    )
    print("  watch runs:", " ".join(f"{t:.2f}" for t in watch_times))


def children_cpu() -> float:
    """CPU seconds (user + system) of every waited-for child process tree so far (POSIX)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def bench_throughput(work: Path, files: int, pairs: int) -> None:
    sources = make_crops(work / "crops", files)
    ratios, cpu_ratios, watch_s, batch_s = [], [], [], []
    cpu: dict[str, list[float]] = {"watch": [], "batch": []}
    for pair in range(pairs):
        for side in ("watch", "batch") if pair % 2 == 0 else ("batch", "watch"):
            dest = work / f"{side}-out-{pair}"
            cpu_before = children_cpu()
            if side == "batch":
                start = time.monotonic()
                cmd = [*CLI, "convert", str(work / "crops"), "-o", str(dest), "--quiet", *RECIPE]
                subprocess.run(cmd, check=True)
                batch_s.append(time.monotonic() - start)
                cpu["batch"].append(children_cpu() - cpu_before)
                continue
            inbox = work / f"drop-{pair}"
            watch = Watch(inbox, dest)
            try:
                start = time.monotonic()
                for path in sources:
                    shutil.copyfile(path, inbox / path.name)
                wait_for([dest / inbox.name / f"{p.stem}.webp" for p in sources])
                watch_s.append(time.monotonic() - start)
            finally:
                watch.stop()
            cpu["watch"].append(children_cpu() - cpu_before)
        ratios.append(batch_s[-1] / watch_s[-1])
        cpu_ratios.append(cpu["batch"][-1] / cpu["watch"][-1])
        print(
            f"  pair {pair + 1}: watch {watch_s[-1]:.1f} s ({cpu['watch'][-1]:.0f} CPU s), "
            f"batch {batch_s[-1]:.1f} s ({cpu['batch'][-1]:.0f} CPU s), ratio {ratios[-1]:.2f}, "
            f"CPU ratio {cpu_ratios[-1]:.2f}; {load()}",
            flush=True,
        )
    print(
        f"throughput {files} files 2400x1800 JPEG -> WebP fit 1600: watch median "
        f"{statistics.median(watch_s):.1f} s, batch median {statistics.median(batch_s):.1f} s, "
        f"ratio (batch/watch) median {statistics.median(ratios):.2f}, CPU-seconds ratio median "
        f"{statistics.median(cpu_ratios):.2f}; {load()}",
        flush=True,
    )


def bench_memory(work: Path, total: int, per_round: int = 250, delete: bool = False) -> None:
    """``delete``: each round's sources are deleted once converted (an inbox emptied)."""
    from PIL import Image

    tag = "-delete" if delete else ""
    inbox, dest, staging = work / f"mem-in{tag}", work / f"mem-out{tag}", work / f"mem-st{tag}"
    watch = Watch(inbox, dest)
    rows = []
    try:
        for n in range(0, total, per_round):
            folder = staging / f"r{n:05d}"
            folder.mkdir(parents=True)
            names = [f"m{i:05d}.png" for i in range(n, min(total, n + per_round))]
            for i, name in enumerate(names):
                Image.new("RGB", (160, 120), ((n + i) % 256, 90, 30)).save(folder / name)
            os.replace(folder, inbox / folder.name)
            mirror = dest / inbox.name / folder.name  # the watched folder keeps its name
            wait_for([mirror / f"{Path(name).stem}.webp" for name in names])
            if delete:
                shutil.rmtree(inbox / folder.name)
            own, tree = watch.rss_mb()
            rows.append((n + len(names), own, tree))
            done = n + len(names)
            print(f"  after {done:5d} files: watch process {own:6.1f} MB, tree {tree:6.1f} MB")
    finally:
        watch.stop()
    growth_own = rows[-1][1] - rows[1][1]
    growth_tree = rows[-1][2] - rows[1][2]
    mode = "sources deleted after each round" if delete else "sources kept"
    print(
        f"memory over {total} files ({mode}): watch process "
        f"{rows[1][1]:.1f} -> {rows[-1][1]:.1f} MB "
        f"(growth {growth_own:+.1f} MB from {rows[1][0]} to {rows[-1][0]} files), tree "
        f"{rows[1][2]:.1f} -> {rows[-1][2]:.1f} MB ({growth_tree:+.1f} MB); {load()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=int, default=7, metavar="N", help="copies timed")
    parser.add_argument("--files", type=int, default=200, help="files per throughput side")
    parser.add_argument("--pairs", type=int, default=3, help="throughput pairs")
    parser.add_argument("--session", type=int, default=2000, help="files in the memory session")
    parser.add_argument("--only", choices=["latency", "throughput", "memory"])
    parser.add_argument(
        "--delete", action="store_true", help="memory: delete each round's sources when done"
    )
    args = parser.parse_args()
    os.environ.setdefault("SHH_CONVERTER_HOME", tempfile.mkdtemp(prefix="shh-bench-home-"))
    print(f"cores {os.cpu_count()}, {load()}")
    with tempfile.TemporaryDirectory(prefix="shh-bench-watch-") as tmp:
        work = Path(tmp)
        if args.only in (None, "latency"):
            bench_latency(work, args.latency)
        if args.only in (None, "throughput"):
            bench_throughput(work, args.files, args.pairs)
        if args.only in (None, "memory"):
            bench_memory(work, args.session, delete=args.delete)


if __name__ == "__main__":
    main()
