"""Benchmark: several outputs per input (issue 9's goals).

1. **Three WebP widths in one run**: ``shh-converter convert`` with three
   ``--variant webp:w=N`` (480/960/1600) against three separate runs, one width
   each, on the 24 corpus photos; whole processes timed, as users run them, sides
   alternating, medians. Goal: one run <= 0.6x the three. Each output is compared
   with its separate run's: same dimensions, bytes within 10 %, mean pixel
   difference <= 2.5 (the shared decode may differ from a per-size reduced decode).
2. (Target size moved to ``bench_cap.py``: ``max_kb`` is a cap since issue 20.)
3. **Favicon set from one decode**: the ICO holds exactly 16, 32 and 48.

Run: ``.venv/bin/python benchmarks/bench_recipes.py [--repeats 3]``. Prints the
figures and the machine's load; ``docs/performance.md`` has the last run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
from bench_convert import prepare  # noqa: E402
from PIL import Image  # noqa: E402

WIDTHS = (480, 960, 1600)
TARGETS_KB = (50, 100, 200)


def cli(*args: str, home: Path) -> float:
    env = {**os.environ, "SHH_CONVERTER_HOME": str(home)}
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "shh_converter", "convert", *args, "--quiet", "--jobs", "2"],
        check=True,
        env=env,
    )
    return time.perf_counter() - start


def variant(width: int) -> list[str]:
    return ["--variant", f"webp:w={width},suffix=-{width},upscale=false"]


def bench_widths(inputs: Path, work: Path, repeats: int) -> tuple[float, float, dict[str, float]]:
    one: list[float] = []
    three: list[float] = []
    home = work / "home"
    for r in range(repeats):
        order = ("one", "three") if r % 2 == 0 else ("three", "one")
        for side in order:
            out = work / f"{side}{r}"
            if side == "one":
                args = [arg for w in WIDTHS for arg in variant(w)]
                one.append(cli(str(inputs), "-o", str(out), *args, home=home))
            else:
                three.append(
                    sum(cli(str(inputs), "-o", str(out), *variant(w), home=home) for w in WIDTHS)
                )
    together, apart = work / "one0" / inputs.name, work / "three0" / inputs.name  # DEST/<folder>
    return statistics.median(one), statistics.median(three), compare(together, apart)


def compare(together: Path, apart: Path) -> dict[str, float]:
    """Worst byte ratio and pixel difference of one run's outputs against separate runs'."""
    worst_bytes, worst_diff, count = 0.0, 0.0, 0
    for a in sorted(together.glob("*.webp")):
        b = apart / a.name
        with Image.open(a) as ia, Image.open(b) as ib:
            assert ia.size == ib.size, (a.name, ia.size, ib.size)
            diff = np.abs(
                np.asarray(ia.convert("RGB"), float) - np.asarray(ib.convert("RGB"), float)
            )
        worst_bytes = max(worst_bytes, abs(a.stat().st_size / b.stat().st_size - 1))
        worst_diff = max(worst_diff, float(diff.mean()))
        count += 1
    return {"outputs": count, "worst_bytes_off": worst_bytes, "worst_mean_diff": worst_diff}


def bench_favicon(work: Path) -> list[tuple[int, int]]:
    logo = REPO.parent / "shared" / "corpus" / "photos" / "mpl_logo2.png"
    home = work / "home"
    cli(str(logo), "-o", str(work / "fav"), "--set", "favicon", home=home)
    with Image.open(work / "fav" / logo.stem / "favicon.ico") as ico:
        return sorted(ico.info["sizes"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--parts", default="widths,favicon", help="comma-separated")
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / "photos"
        folder.mkdir()
        prepare(folder, 24)
        if "widths" in parts:
            one, three, fidelity = bench_widths(folder, work, args.repeats)
            print(
                f"three widths: one run {one:.2f} s, three runs {three:.2f} s, "
                f"ratio {one / three:.3f} (goal <= 0.6)"
            )
            print(f"  vs separate runs: {fidelity}")
        if "favicon" in parts:
            print(f"favicon ICO sizes: {bench_favicon(work)}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
