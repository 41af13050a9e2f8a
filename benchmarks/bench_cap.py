"""Benchmark: "at most N KB" is a cap (issue 20, item 4).

Held-out photos (the corpus photos of at least 1600 px, none of them used to
tune the search) are fitted to 1600 px once each (``convert.process_image``), then
encoded through the engine's own ``sizing.encode_output`` at a chosen quality
(82, the default recipe's, and 95) under caps of 50, 100, 200 and 300 KB, as
WebP and JPEG (``--formats`` adds avif or jxl). Per output it records:

* **kept**: the file at the chosen quality fits: it must be exactly that file,
  in one encode (a cap never raises the quality);
* **lowered**: the chosen quality was too big and the search lowered it: the
  file must be at 90-100 % of the cap; the goal is a median of <= 4 encodes;
* **unreachable**: even quality 10 is too big (the note says what it reached).

Run: ``.venv/bin/python benchmarks/bench_cap.py [--formats webp,jpeg]``. Prints
one line per miss, the figures and the machine's load; ``docs/performance.md``
has the last run.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shh_converter.core import sizing  # noqa: E402
from shh_converter.core.convert import process_image  # noqa: E402
from shh_converter.core.recipe import parse_spec  # noqa: E402
from shh_converter.core.settings import Settings  # noqa: E402

if TYPE_CHECKING:
    from shh_converter.core.encode import Processed

CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus")) / "photos"
HELD_OUT = (
    "Kleiber_by_Lukas_Baubkus.jpg",
    "arrow.heic",
    "exif_Landscape_3.jpg",
    "mate_Dune.jpg",
    "mate_LadyBird.jpg",
    "mate_Storm.jpg",
    "plasma_ColorfulCups_2560x1600.jpg",
    "plasma_Path_2560x1600.jpg",
    "pug.heic",
    "xiaomi.heic",
)
CAPS_KB = (50, 100, 200, 300)
QUALITIES = (82, 95)


def fitted(path: Path) -> Processed:
    """The photo decoded, upright, colour-managed and fitted to 1600 px, once."""
    return process_image(path, parse_spec("webp:w=1600,h=1600", Settings()))


def run(formats: list[str]) -> dict[str, object]:
    kept = lowered = unreachable = 0
    encodes: list[int] = []
    ratios: list[float] = []
    misses: list[str] = []
    seconds = 0.0
    for name in HELD_OUT:
        processed = fitted(CORPUS / name)
        for fmt in formats:
            for quality in QUALITIES:
                plain = parse_spec(f"{fmt}:q={quality}", Settings())
                unlimited = len(sizing.encode_bytes(processed, plain))
                for kb in CAPS_KB:
                    capped = dataclasses.replace(plain, max_kb=kb)
                    start = time.perf_counter()
                    found = sizing.encode_output(processed, capped, lambda f, p=processed: p)
                    seconds += time.perf_counter() - start
                    size, cap = len(found.data), kb * 1000
                    what = f"{name} {fmt} q{quality} {kb} KB"
                    if unlimited <= cap:
                        kept += 1
                        if size != unlimited or found.encodes != 1 or found.note:
                            misses.append(f"{what}: fitted at q{quality} but changed to {size}")
                        continue
                    if size > cap:
                        unreachable += 1
                        continue
                    lowered += 1
                    encodes.append(found.encodes)
                    ratios.append(size / cap)
                    if size < 0.9 * cap:
                        misses.append(f"{what}: {size / cap:.3f} at q{found.quality}")
    return {
        "photos": len(HELD_OUT),
        "kept at the chosen quality": kept,
        "lowered": lowered,
        "lowered at 90-100 %": sum(0.9 <= r <= 1.0 for r in ratios),
        "lowest ratio": round(min(ratios), 4) if ratios else None,
        "highest ratio": round(max(ratios), 4) if ratios else None,
        "median encodes (lowered)": statistics.median(encodes) if encodes else None,
        "max encodes (lowered)": max(encodes) if encodes else None,
        "unreachable": unreachable,
        "search seconds": round(seconds, 1),
        "misses": misses,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--formats", default="webp,jpeg", help="comma-separated")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
    for fmt in args.formats.split(","):
        print(f"{fmt}: {run([fmt])}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
