"""Benchmark: JPEG -> WebP q85, our engine vs libwebp's own ``cwebp``, same run.

    .venv/bin/python tests/perf/bench_convert.py [--repeats 3] [--photos 24]

Inputs: 24 real photos from ``../shared/corpus/photos`` (2-20 MP; files are reused
to reach 24). Non-JPEG photos (HEIC, PNG, WebP) are first converted to JPEG q95 in
a temp folder, so both sides read exactly the same JPEG files.

Both sides run two at a time (this machine's core count) with quality 85 and
libwebp's default effort (method 4), metadata stripped:

* ``cwebp -q 85 -m 4 [-resize W H] in.jpg -o out.webp``, two processes at a time;
* the engine: ``runner.run_batch`` with 2 workers when the runner is present,
  otherwise ``convert_job`` in a 2-process pool (pool start-up is timed too).

Scenarios: (a) fitted into 1600x1600 (cwebp gets the same target size as the
engine computes), (b) full size. Reports medians over the repeats: throughput
ratio (cwebp seconds / engine seconds; > 1 means the engine is faster) and total
output bytes ratio (engine / cwebp). Goals: (a) >= 1.25x, (b) >= 1.0x, bytes <= 1.05x.
Not collected by pytest (the file name starts with ``bench_``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from shh_converter.core.convert import convert_job, encode, process_image  # noqa: E402
from shh_converter.core.jobs import Job  # noqa: E402
from shh_converter.core.resize import plan_geometry  # noqa: E402
from shh_converter.core.settings import (  # noqa: E402
    EncodeOptions,
    OutputFormat,
    ResizeMode,
    ResizeOptions,
    Settings,
)

CORPUS = REPO.parent / "shared" / "corpus" / "photos"
WORKERS = 2
QUALITY = 85
FIT = ResizeOptions(mode=ResizeMode.FIT, width=1600, height=1600, upscale=False)
MIN_PIXELS = 1_700_000


def prepare(folder: Path, count: int) -> list[Path]:
    """Copy JPEG photos (>= ~2 MP), convert the others to JPEG q95; reuse to reach ``count``."""
    to_jpeg = Settings(encode=EncodeOptions(format=OutputFormat.JPEG, quality=95))
    found: list[Path] = []
    for path in sorted(CORPUS.iterdir()):
        with Image.open(path) if path.suffix != ".heic" else _heic(path) as probe:
            if probe.size[0] * probe.size[1] < MIN_PIXELS:
                continue
            fmt = probe.format
        target = folder / f"{path.stem}.jpg"
        if fmt == "JPEG":
            shutil.copyfile(path, target)
        else:
            processed = process_image(path, to_jpeg)
            with target.open("wb") as fh:
                encode(processed, to_jpeg, fh)
        found.append(target)
    # Reuse in name order (not "biggest first"): the repeats favour neither side.
    return [found[i % len(found)] for i in range(count)]


def _heic(path: Path) -> Image.Image:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return Image.open(path)


def fitted_size(path: Path) -> tuple[int, int]:
    with Image.open(path) as im:
        from shh_converter.core.metadata import upright_size

        orientation = im.getexif().get(0x0112, 1)
        # cwebp does not rotate; it scales the stored pixels, so give it the stored size.
        size = plan_geometry(upright_size(im.size, orientation), FIT).final
        return upright_size(size, orientation)


def run_cwebp(inputs: list[Path], out: Path, fit: bool) -> tuple[float, int]:
    sizes = {p: fitted_size(p) for p in inputs} if fit else {}

    def one(job: tuple[int, Path]) -> int:
        index, path = job
        target = out / f"{index}.webp"
        cmd = ["cwebp", "-quiet", "-q", str(QUALITY), "-m", "4"]
        if fit:
            w, h = sizes[path]
            cmd += ["-resize", str(w), str(h)]
        subprocess.run([*cmd, str(path), "-o", str(target)], check=True)
        return target.stat().st_size

    start = time.perf_counter()
    with cf.ThreadPoolExecutor(WORKERS) as pool:
        total = sum(pool.map(one, enumerate(inputs)))
    return time.perf_counter() - start, total


def run_engine(inputs: list[Path], out: Path, fit: bool) -> tuple[float, int]:
    settings = Settings(
        encode=EncodeOptions(format=OutputFormat.WEBP, quality=QUALITY, method=4),
        resize=FIT if fit else ResizeOptions(),
    )
    jobs = [Job(i, p, out / f"{i}.webp") for i, p in enumerate(inputs)]
    start = time.perf_counter()
    results = _run_batch(jobs, settings)
    elapsed = time.perf_counter() - start
    failed = [r for r in results if r.status != "converted"]
    if failed:
        raise SystemExit(f"engine failed: {failed[0].source}: {failed[0].error}")
    return elapsed, sum(r.bytes_out for r in results)


def _run_batch(jobs: list[Job], settings: Settings) -> list:  # type: ignore[type-arg]
    try:
        from shh_converter.core import runner
    except ImportError:
        runner = None
    if runner is not None and hasattr(runner, "run_batch"):
        results = []

        def on_event(event: object) -> None:
            result = getattr(event, "result", None)
            if result is not None:
                results.append(result)

        runner.run_batch(jobs, settings, on_event, workers=WORKERS)
        return results
    with cf.ProcessPoolExecutor(WORKERS) as pool:
        return list(pool.map(convert_job, jobs, [settings] * len(jobs)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--photos", type=int, default=24)
    args = parser.parse_args()
    if shutil.which("cwebp") is None:
        print("cwebp not found: apt-get install webp", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="shh-bench-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        inputs = prepare(root / "in", args.photos)
        mpx = sum(_pixels(p) for p in inputs) / 1e6
        print(f"{len(inputs)} JPEGs, {mpx:.0f} MP in total; {WORKERS} at a time; q{QUALITY}")
        for label, fit in (("(a) fit 1600x1600", True), ("(b) full size", False)):
            _scenario(label, fit, inputs, root, args.repeats)
    return 0


def _pixels(path: Path) -> int:
    with Image.open(path) as im:
        return im.size[0] * im.size[1]


def _scenario(label: str, fit: bool, inputs: list[Path], root: Path, repeats: int) -> None:
    ours, theirs, ratios = [], [], []
    bytes_ours = bytes_theirs = 0
    for rep in range(repeats):
        for side in ("cwebp", "engine") if rep % 2 == 0 else ("engine", "cwebp"):
            out = root / f"{side}-{rep}-{fit}"
            out.mkdir()
            if side == "cwebp":
                seconds, bytes_theirs = run_cwebp(inputs, out, fit)
                theirs.append(seconds)
            else:
                seconds, bytes_ours = run_engine(inputs, out, fit)
                ours.append(seconds)
            shutil.rmtree(out)
        ratios.append(theirs[-1] / ours[-1])
    t_ours, t_theirs = statistics.median(ours), statistics.median(theirs)
    print(
        f"{label}: engine {t_ours:.2f}s, cwebp {t_theirs:.2f}s (medians of {repeats}); "
        f"throughput ratio {statistics.median(ratios):.2f}x; "
        f"bytes engine {bytes_ours / 1e6:.2f} MB vs cwebp {bytes_theirs / 1e6:.2f} MB "
        f"= {bytes_ours / bytes_theirs:.3f}x"
    )


if __name__ == "__main__":
    raise SystemExit(main())
