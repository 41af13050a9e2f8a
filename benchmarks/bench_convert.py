"""Benchmark: JPEG -> WebP q85, our engine vs libwebp's own ``cwebp``, same run.

    .venv/bin/python benchmarks/bench_convert.py [--repeats 3] [--photos 24]

Inputs: 24 real photos from ``../shared/corpus/photos`` (2-20 MP; files are reused
to reach 24). Non-JPEG photos (HEIC, PNG, WebP) are first converted to JPEG q95 in
a temp folder, so both sides read exactly the same JPEG files.

Both sides run two at a time (this machine's core count) with quality 85 and
libwebp's default effort (method 4), metadata stripped:

* ``cwebp -q 85 -m 4 [-resize W H] in.jpg -o out.webp``, two processes at a time;
* ``shh-converter convert`` as a whole process, as users run it (``--jobs 2``;
  Python's start-up, imports, planning, sidecars, workers, ledger: everything);
* the engine through ``runner.run_batch`` with 2 workers (spawned workers,
  events, resume ledger), and for comparison ``convert_job`` in a plain
  2-process pool (the engine's own cost). Start-up is timed on all sides.

Scenarios: (a) fitted into 1600x1600 (cwebp gets the same target size as the
engine computes), (b) full size. Reports medians over the repeats: throughput
ratio (cwebp seconds / engine seconds; > 1 means the engine is faster), the same
ratio in CPU seconds of the worker processes (steadier than wall time on a shared
machine; POSIX only) and total output bytes ratio (engine / cwebp).
Goals (issue 14, for the CLI): (a) >= 1.10x, (b) >= 1.0x; bytes (a) <= 1.15x, (b) <= 1.02x.
``--sides cwebp,cli`` times only those two (the goal's pair).
``--only m8`` measures instead whether a finer reduced JPEG decode pays before
LANCZOS for (a): libjpeg-turbo's M/8 scaling (through ``simplejpeg``, which bundles
it; ``pip install simplejpeg``, not a dependency) against Pillow's ``draft`` (1/2,
1/4, 1/8 only), decode+resize time interleaved, WebP bytes, and PSNR of both
against a full decode + LANCZOS.
Not collected by pytest (the file name starts with ``bench_``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from shh_converter.core.convert import convert_job, process_image  # noqa: E402
from shh_converter.core.encode import encode  # noqa: E402
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
    # Reuse in name order (not "biggest first"): the repeats favour neither side. Each
    # input its own file name, so the CLI sees 24 distinct files (a copy of a repeat).
    inputs = []
    for i in range(count):
        path = found[i % len(found)]
        if i >= len(found):
            copy = folder / f"{path.stem}-{i}{path.suffix}"
            shutil.copyfile(path, copy)
            path = copy
        inputs.append(path)
    return inputs


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


def run_engine(inputs: list[Path], out: Path, fit: bool, use_runner: bool) -> tuple[float, int]:
    settings = Settings(
        encode=EncodeOptions(format=OutputFormat.WEBP, quality=QUALITY, method=4),
        resize=FIT if fit else ResizeOptions(),
    )
    jobs = [Job.one(i, p, out / f"{i}.webp", settings) for i, p in enumerate(inputs)]
    start = time.perf_counter()
    results = _via_runner(jobs, settings) if use_runner else _via_pool(jobs, settings)
    elapsed = time.perf_counter() - start
    failed = [r for r in results if r.status != "converted"]
    if failed or len(results) != len(jobs):
        raise SystemExit(f"engine failed: {failed[0].source}: {failed[0].error}" if failed else "")
    return elapsed, sum(r.bytes_out for r in results)


def run_cli(inputs: list[Path], out: Path, fit: bool) -> tuple[float, int]:
    """``shh-converter convert`` as a whole process over the inputs' folder."""
    cmd = [sys.executable, "-m", "shh_converter", "convert", str(inputs[0].parent), "-o", str(out)]
    cmd += ["--format", "webp", "--quality", str(QUALITY), "--method", "4", "--jobs", str(WORKERS)]
    cmd += ["--quiet", "--on-conflict", "overwrite"]
    if fit:
        cmd += ["--resize", "fit", "--width", "1600", "--height", "1600", "--no-upscale"]
    env = dict(os.environ, SHH_CONVERTER_HOME=str(out.parent / "cli-home"), PYTHONPATH=str(REPO))
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        msg = f"shh-converter convert failed: {done.stderr[-2000:]}"
        raise SystemExit(msg)
    made = out / inputs[0].parent.name  # the folder given keeps its name under DEST
    outputs = [p for p in made.iterdir() if p.suffix == ".webp"]
    if len(outputs) != len(inputs):
        msg = f"shh-converter convert made {len(outputs)} of {len(inputs)} files"
        raise SystemExit(msg)
    return elapsed, sum(p.stat().st_size for p in outputs)


def _via_runner(jobs: list[Job], settings: Settings) -> list:  # type: ignore[type-arg]
    """The product path: spawned worker processes, events, ledger."""
    from shh_converter.core import runner

    results = []

    def on_event(event: object) -> None:
        result = getattr(event, "result", None)
        if result is not None and type(event).__name__ == "FileFinished":
            results.append(result)

    runner.run_batch(jobs, settings, on_event, workers=WORKERS)
    return results


def _via_pool(jobs: list[Job], settings: Settings) -> list:  # type: ignore[type-arg]
    """The engine alone: convert_job in a plain process pool (no runner overhead)."""
    with cf.ProcessPoolExecutor(WORKERS) as pool:
        return list(pool.map(convert_job, jobs, [settings] * len(jobs)))


def _has_runner() -> bool:
    try:
        from shh_converter.core import runner
    except ImportError:
        return False
    return hasattr(runner, "run_batch")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--photos", type=int, default=24)
    parser.add_argument("--sides", default=",".join(SIDES), help="of " + ",".join(SIDES))
    parser.add_argument("--only", choices=["fit", "full", "m8"], help="one scenario")
    args = parser.parse_args()
    sides = [x.strip() for x in args.sides.split(",") if x.strip() in SIDES]
    if "cwebp" not in sides:
        sides.insert(0, "cwebp")  # the reference
    if shutil.which("cwebp") is None:
        print("cwebp not found: apt-get install webp", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="shh-bench-") as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        inputs = prepare(root / "in", args.photos)
        mpx = sum(_pixels(p) for p in inputs) / 1e6
        print(f"{len(inputs)} JPEGs, {mpx:.0f} MP in total; {WORKERS} at a time; q{QUALITY}")
        print(f"load average at the start: {_load()}")
        if args.only == "m8":
            reduced_decode(sorted(set(inputs), key=lambda p: p.name), args.repeats)
            print(f"load average at the end: {_load()}")
            return 0
        for label, fit in (("(a) fit 1600x1600", True), ("(b) full size", False)):
            if args.only in (None, "fit" if fit else "full"):
                _scenario(label, fit, inputs, root, args.repeats, sides)
        print(f"load average at the end: {_load()}")
    return 0


def _pixels(path: Path) -> int:
    with Image.open(path) as im:
        return im.size[0] * im.size[1]


SIDES = ("cwebp", "cli", "runner", "pool")
NAMES = {
    "cli": "shh-converter convert (whole process)",
    "runner": "engine via runner.run_batch",
    "pool": "engine in a plain pool",
}


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # Windows
        return "n/a"


def _scenario(
    label: str, fit: bool, inputs: list[Path], root: Path, repeats: int, wanted: list[str]
) -> None:
    sides = [x for x in wanted if x != "runner" or _has_runner()]
    seconds: dict[str, list[float]] = {x: [] for x in sides}
    cpu: dict[str, list[float]] = {x: [] for x in sides}
    size: dict[str, int] = {}
    for rep in range(repeats):
        order = sides if rep % 2 == 0 else sides[::-1]  # alternate, so drift hits all
        for side in order:
            out = root / f"{side}-{rep}-{fit}"
            out.mkdir()
            before = _child_cpu()
            if side == "cwebp":
                t, size[side] = run_cwebp(inputs, out, fit)
            elif side == "cli":
                t, size[side] = run_cli(inputs, out, fit)
            else:
                t, size[side] = run_engine(inputs, out, fit, use_runner=side == "runner")
            seconds[side].append(t)
            cpu[side].append(_child_cpu() - before)
            shutil.rmtree(out)
    ref, ref_cpu = statistics.median(seconds["cwebp"]), statistics.median(cpu["cwebp"])
    print(
        f"{label}: cwebp {ref:.2f}s wall, {ref_cpu:.2f}s CPU, "
        f"{size['cwebp'] / 1e6:.2f} MB (medians of {repeats})"
    )
    for side in sides[1:]:
        ratios = [c / o for c, o in zip(seconds["cwebp"], seconds[side], strict=True)]
        cpu_ratio = ref_cpu / statistics.median(cpu[side]) if ref_cpu else float("nan")
        pairs = ", ".join(f"{r:.2f}" for r in ratios)
        print(
            f"  {NAMES[side]}: {statistics.median(seconds[side]):.2f}s wall -> throughput "
            f"{statistics.median(ratios):.2f}x cwebp (pairs {pairs}; CPU-time ratio "
            f"{cpu_ratio:.2f}x); bytes {size[side] / size['cwebp']:.3f}x"
        )


def reduced_decode(inputs: list[Path], repeats: int) -> None:
    """Pillow's draft + LANCZOS vs libjpeg-turbo's M/8 scaled decode + LANCZOS, fit 1600."""
    import io

    import numpy as np
    import simplejpeg

    lanczos = Image.Resampling.LANCZOS

    def pillow(path: Path, size: tuple[int, int]) -> Image.Image:
        with Image.open(path) as im:
            im.draft("RGB", size)
            return im.convert("RGB").resize(size, lanczos, reducing_gap=3.0)

    def m8(path: Path, size: tuple[int, int]) -> Image.Image:
        data = path.read_bytes()
        arr = simplejpeg.decode_jpeg(data, "RGB", min_width=size[0], min_height=size[1])
        im = Image.fromarray(arr)
        return im if im.size == size else im.resize(size, lanczos, reducing_gap=3.0)

    def webp_bytes(im: Image.Image) -> int:
        buf = io.BytesIO()
        im.save(buf, "WEBP", quality=QUALITY, method=4)
        return buf.tell()

    def psnr(a: Image.Image, b: Image.Image) -> float:
        d = np.asarray(a, np.float32) - np.asarray(b, np.float32)
        return float(10 * np.log10(255**2 / max(float((d * d).mean()), 1e-9)))

    times: dict[str, float] = {"pillow": 0.0, "m8": 0.0}
    sizes: dict[str, int] = {"pillow": 0, "m8": 0, "ideal": 0}
    quality: list[tuple[float, float]] = []
    for path in inputs:
        with Image.open(path) as im:
            full = im.size
        scale = min(1.0, 1600 / full[0], 1600 / full[1])
        size = (max(1, round(full[0] * scale)), max(1, round(full[1] * scale)))
        runs: dict[str, list[float]] = {"pillow": [], "m8": []}
        for rep in range(max(3, repeats)):
            for name in ("pillow", "m8") if rep % 2 == 0 else ("m8", "pillow"):
                t = time.perf_counter()
                (pillow if name == "pillow" else m8)(path, size)
                runs[name].append(time.perf_counter() - t)
        ideal = Image.open(path).convert("RGB").resize(size, lanczos)
        a, b = pillow(path, size), m8(path, size)
        for name, im in (("pillow", a), ("m8", b), ("ideal", ideal)):
            sizes[name] += webp_bytes(im)
        for name in runs:
            times[name] += statistics.median(runs[name])
        quality.append((psnr(a, ideal), psnr(b, ideal)))
        print(
            f"  {path.name[:36]:<36} {full[0]}x{full[1]} -> {size[0]}x{size[1]}: draft "
            f"{statistics.median(runs['pillow']) * 1000:5.0f} ms, M/8 "
            f"{statistics.median(runs['m8']) * 1000:5.0f} ms; PSNR vs full decode "
            f"{quality[-1][0]:5.1f} / {quality[-1][1]:5.1f} dB"
        )
    print(
        f"decode + resize over {len(inputs)} photos: draft {times['pillow']:.2f} s, M/8 "
        f"{times['m8']:.2f} s ({times['pillow'] / times['m8']:.2f}x); WebP bytes M/8 / draft "
        f"{sizes['m8'] / sizes['pillow']:.3f}x (full decode + LANCZOS / draft "
        f"{sizes['ideal'] / sizes['pillow']:.3f}x); median PSNR vs full decode: draft "
        f"{statistics.median(q[0] for q in quality):.1f} dB, M/8 "
        f"{statistics.median(q[1] for q in quality):.1f} dB (identical pixels: 138 dB)"
    )


def _child_cpu() -> float:
    """CPU seconds used by finished child processes (steady when the machine is shared)."""
    try:
        import resource
    except ImportError:  # Windows: wall time only
        return 0.0
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


if __name__ == "__main__":
    raise SystemExit(main())
