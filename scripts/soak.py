"""Soak: one long batch of generated images, memory sampled as it runs; prints the slope.

The batch (``--files``, default 2,000, of varied small images: sizes, modes, formats)
runs through the real runner. After every finished file the resident memory of
this process and of its worker processes is sampled; the figure is the slope of
a least-squares line through the samples after the first 10% (warm-up: imports,
pools, caches), in MB per 1,000 files, for the main process and for the whole.

    python scripts/soak.py --files 2000          # the documented run
    python scripts/soak.py --files 200           # a quick look

Prints one JSON line; exit 0 when the slope of the whole stays under
``--max-slope`` MB per 1,000 files. ``tests/faults/test_soak.py`` runs a short one.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from PIL import Image


def make_images(folder: Path, count: int, seed: int) -> list[Path]:
    """``count`` small images of different sizes, modes and formats."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    kinds = [("RGB", "JPEG", ".jpg"), ("RGBA", "PNG", ".png"), ("L", "PNG", ".png"),
             ("P", "GIF", ".gif"), ("RGB", "WEBP", ".webp")]  # fmt: skip
    made = []
    for i in range(count):
        mode, fmt, ext = kinds[i % len(kinds)]
        w, h = rng.randrange(32, 480), rng.randrange(32, 480)
        im = Image.effect_noise((w, h), rng.randrange(10, 90)).convert(mode)
        path = folder / f"s{i:05d}{ext}"
        im.save(path, format=fmt)
        made.append(path)
    return made


def slope_per_1000(samples: list[tuple[int, float]]) -> float:
    """Least-squares slope of (files done, MB) in MB per 1,000 files."""
    n = len(samples)
    if n < 3:
        return 0.0
    mean_x = sum(x for x, _ in samples) / n
    mean_y = sum(y for _, y in samples) / n
    var = sum((x - mean_x) ** 2 for x, _ in samples)
    cov = sum((x - mean_x) * (y - mean_y) for x, y in samples)
    return 1000 * cov / var if var else 0.0


def soak(work: Path, files: int, seed: int = 5) -> dict[str, Any]:
    """Run the soak in ``work``; returns the figures."""
    import psutil

    from shh_converter.core.events import FileFinished
    from shh_converter.core.plan import plan_batch
    from shh_converter.core.runner import run_batch
    from shh_converter.core.settings import Settings

    sources = make_images(work / "src", files, seed)
    me = psutil.Process()
    main_mb: list[tuple[int, float]] = []
    total_mb: list[tuple[int, float]] = []
    done = 0

    def on_event(event: object) -> None:
        nonlocal done
        if not isinstance(event, FileFinished):
            return
        done += 1
        if done % 10:
            return
        rss = me.memory_info().rss
        children = 0
        for child in me.children(recursive=True):
            try:
                children += child.memory_info().rss
            except psutil.Error:
                continue  # a worker that just ended
        main_mb.append((done, rss / 2**20))
        total_mb.append((done, (rss + children) / 2**20))

    settings = Settings()
    started = time.monotonic()
    plan = plan_batch(sources, work / "out", settings)
    finished = run_batch(plan.jobs, settings, on_event)
    warm = files // 10
    return {
        "files": files,
        "converted": finished.converted,
        "failed": finished.failed,
        "seconds": round(time.monotonic() - started, 1),
        "main_mb_first_last": [round(main_mb[0][1]), round(main_mb[-1][1])] if main_mb else None,
        "main_slope_mb_per_1000": round(slope_per_1000([s for s in main_mb if s[0] > warm]), 2),
        "total_mb_first_last": [round(total_mb[0][1]), round(total_mb[-1][1])]
        if total_mb
        else None,
        "total_slope_mb_per_1000": round(slope_per_1000([s for s in total_mb if s[0] > warm]), 2),
        "samples": len(total_mb),
        "load": [round(x, 2) for x in os.getloadavg()],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--max-slope", type=float, default=10.0, help="MB per 1,000 files")
    args = parser.parse_args()
    os.environ.setdefault("SHH_CONVERTER_HOME", tempfile.mkdtemp(prefix="shh-soak-home-"))
    with tempfile.TemporaryDirectory(prefix="shh-soak-") as work:
        result = soak(Path(work), args.files, args.seed)
    print(json.dumps(result))
    ok = result["failed"] == 0 and result["total_slope_mb_per_1000"] < args.max_slope
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
