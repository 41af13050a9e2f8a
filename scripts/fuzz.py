"""Fuzz open -> convert with mutated bytes of the corpus files; through the real batch runner.

Each case is a corpus file (seeds: every image of the shared corpus under 256 KB)
with a few random mutations (bit flips, overwritten bytes, a cut, a repeated or
deleted chunk). All cases of a round go through ``run_batch`` as one batch, so a
decoder that hangs is stopped by the per-file timeout and one that crashes only
fails its own file. A case is a problem when its result is an internal error (a
bug: an exception nobody expected), a timeout (a hang), or the batch's memory
goes past ``--max-rss-mb``.

    python scripts/fuzz.py --cases 3000 --seed 1      # the long run
    python scripts/fuzz.py --cases 200                # a quick look

``tests/security/test_fuzz.py`` runs the same mutations in-process under Hypothesis
(a bounded number of examples in CI). Prints one JSON summary line; exit 0 when
no case was a problem. Problem cases are kept in ``--keep DIR`` to replay.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))
SEED_MAX_BYTES = 256 * 1024
SKIP_FOLDERS = {"bomb", "zero_size"}  # bombs are refused by size before decoding anyway


def seeds(corpus: Path = CORPUS) -> list[Path]:
    """Corpus images small enough to mutate quickly (sorted, so runs repeat)."""
    found = []
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.suffix in (".tsv", ".md"):
            continue
        if path.relative_to(corpus).parts[0] in SKIP_FOLDERS:
            continue
        if 0 < path.stat().st_size <= SEED_MAX_BYTES:
            found.append(path)
    return found


def mutate(data: bytes, rng: random.Random, count: int) -> bytes:
    """``count`` random mutations of ``data`` (never empty: an empty file is its own case)."""
    buf = bytearray(data)
    for _ in range(count):
        if not buf:
            buf = bytearray(b"\x00")
        kind = rng.randrange(6)
        at = rng.randrange(len(buf))
        if kind == 0:  # flip a bit
            buf[at] ^= 1 << rng.randrange(8)
        elif kind == 1:  # overwrite a few bytes, often with "interesting" values
            value = rng.choice([0x00, 0xFF, 0x7F, 0x80, rng.randrange(256)])
            buf[at : at + rng.randrange(1, 9)] = bytes([value]) * rng.randrange(1, 9)
        elif kind == 2:  # cut the file short
            del buf[max(at, 1) :]
        elif kind == 3:  # repeat a chunk
            chunk = buf[at : at + rng.randrange(1, 512)]
            buf[at:at] = chunk
        elif kind == 4:  # delete a chunk
            del buf[at : at + rng.randrange(1, 512)]
        else:  # a large length field: 4 bytes of 0xFF
            buf[at : at + 4] = b"\xff\xff\xff\xff"
    return bytes(buf)


def make_cases(folder: Path, count: int, seed: int) -> list[Path]:
    rng = random.Random(seed)
    pool = seeds()
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        source = rng.choice(pool)
        data = mutate(source.read_bytes(), rng, rng.randrange(1, 6))
        path = folder / f"case{i:05d}{source.suffix}"
        path.write_bytes(data)
        made.append(path)
    return made


def run_cases(cases: list[Path], dest: Path, timeout: float) -> Any:
    from shh_converter.core.plan import plan_batch
    from shh_converter.core.runner import run_batch
    from shh_converter.core.settings import Limits, Settings

    settings = Settings(limits=Limits(max_pixels=40_000_000, timeout_seconds=timeout))
    plan = plan_batch(cases, dest, settings)
    return run_batch(plan.jobs, settings, lambda _event: None)


def classify(error: str | None) -> str:
    if error is None:
        return "converted"
    if error.startswith("internal error"):
        return "internal error"
    if error.startswith("took longer than"):
        return "hang"
    return "clean failure"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--round", type=int, default=500, help="cases per batch")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds per file")
    parser.add_argument("--max-rss-mb", type=float, default=1500.0)
    parser.add_argument("--keep", type=Path, default=REPO / "build" / "fuzz-problems")
    args = parser.parse_args()
    os.environ.setdefault("SHH_CONVERTER_HOME", tempfile.mkdtemp(prefix="shh-fuzz-home-"))
    counts: Counter[str] = Counter()
    problems: list[str] = []
    peak = 0.0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="shh-fuzz-") as work:
        done = 0
        while done < args.cases:
            n = min(args.round, args.cases - done)
            folder = Path(work) / f"round{done}"
            cases = make_cases(folder / "in", n, args.seed * 1_000_003 + done)
            finished = run_cases(cases, folder / "out", args.timeout)
            peak = max(peak, finished.peak_rss_mb or 0.0)
            for result in finished.results:
                kind = classify(result.error if result.status == "failed" else None)
                counts[kind] += 1
                if kind in ("internal error", "hang"):
                    args.keep.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(result.source, args.keep / result.source.name)
                    problems.append(f"{result.source.name}: {result.error}")
            shutil.rmtree(folder)
            done += n
    if peak > args.max_rss_mb:
        problems.append(f"memory peak {peak:.0f} MB > {args.max_rss_mb:.0f} MB")
    summary = {
        "cases": sum(counts.values()),
        "by_result": dict(counts),
        "peak_rss_mb": round(peak),
        "seconds": round(time.monotonic() - started, 1),
        "load": [round(x, 2) for x in os.getloadavg()],
        "problems": problems[:50],
    }
    print(json.dumps(summary))
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
