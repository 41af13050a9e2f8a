"""Benchmark: our background removal vs ``rembg p -m u2netp``, side by side, same run.

Not collected by pytest. Run from the repository root:

    .venv/bin/python benchmarks/bench_rembg.py [--reps 3] [--quick]

What it does (everything under a temp folder; nothing touches ~/.u2net or the repo):

* installs ``rembg[cpu,cli]`` into its own venv (cached in the temp folder) and
  points its ``U2NET_HOME`` at a temp copy of the bundled u2netp, so it never downloads;
* batch: the same ~11 real photos (0.3-20 MP) from the corpus, PNG output, timed
  for ``rembg p`` and for ``shh-converter convert --remove-bg``, alternating, with
  the peak RSS of each whole process tree (parent + workers) sampled every 20 ms;
* per image, in-process: ``remove_background`` vs a bare ``session.run`` at 1 and 12 MP;
* cold start: a fresh process's first image, ours vs ``import rembg`` with an empty numba cache;
* onnxruntime's CPU memory arena on vs off (time and RSS after a 12 MP image);
* flat-colour removal vs PIL's ImageDraw.floodfill at 1 and 12 MP;
* a 200-image batch (20 photos x 10 copies): tree RSS early vs late (growth check).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple

import psutil

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the flat step imports the package in this process
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))
MODEL = REPO / "assets" / "models" / "u2netp.onnx"
WORK = Path(tempfile.gettempdir()) / "shh-bench"
PHOTOS = [
    "photos/sklearn_china.jpg",  # 0.27 MP
    "photos/mpl_grace_hopper.jpg",  # 0.31 MP
    "rembg/examples/animal-1.jpg",  # 0.67 MP
    "rembg/examples/animal-3.jpg",  # 1.55 MP
    "photos/mate_Dune.jpg",  # 1.76 MP
    "icc/xmp_test.jpg",  # 2.1 MP
    "photos/mate_Storm.jpg",  # 2.5 MP
    "photos/plasma_ColorfulCups_2560x1600.jpg",  # 4.1 MP
    "photos/plasma_Path_2560x1600.jpg",  # 4.1 MP
    "photos/pug.heic",  # 12.2 MP (given to both as JPEG)
    "photos/Kleiber_by_Lukas_Baubkus.jpg",  # 20.4 MP
]
# Issue 14's mix, 0.3-20 MP (--set issue14)
ISSUE14 = [
    "photos/Kleiber_by_Lukas_Baubkus.jpg",
    "photos/mate_LadyBird.jpg",
    "photos/plasma_ColorfulCups_2560x1600.jpg",
    "photos/mate_Storm.jpg",
    "photos/mate_Dune.jpg",
    "photos/exif_Landscape_3.jpg",
    "photos/exif_Portrait_6.jpg",
    "photos/sklearn_china.jpg",
    "photos/mpl_grace_hopper.jpg",
    "photos/skimage_astronaut.png",
]


def log(text: str) -> None:
    print(text, flush=True)


def rembg_python() -> Path:
    """A venv with rembg[cpu,cli] (created once, kept in the temp folder)."""
    venv = WORK / "rembg-venv"
    py = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not (venv / "ok").exists():
        log("creating rembg venv (once) ...")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "rembg[cpu,cli]"], check=True)
        (venv / "ok").touch()
    return py


def prepare_images(which: str = "bench") -> Path:
    from PIL import Image
    from pillow_heif import register_heif_opener

    register_heif_opener()
    folder = WORK / ("photos" if which == "bench" else f"photos-{which}")
    if folder.exists():
        return folder
    folder.mkdir(parents=True)
    for rel in PHOTOS if which == "bench" else ISSUE14:
        src = CORPUS / rel
        if src.suffix == ".heic":
            with Image.open(src) as im:
                im.convert("RGB").save(folder / f"{src.stem}.jpg", quality=92)
        else:
            shutil.copy(src, folder / src.name)
    return folder


class TreePeak:
    """Peak RSS of a process and all its descendants, sampled every 20 ms."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.peak = 0
        self.root_peak = 0
        self.samples: list[tuple[float, int]] = []
        self._proc = psutil.Process(proc.pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stop = threading.Event()
        self._thread.start()

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(0.02):
            total = 0
            try:
                root = self._proc.memory_info().rss
                total = root + sum(p.memory_info().rss for p in self._proc.children(recursive=True))
            except psutil.Error:
                continue
            self.root_peak = max(self.root_peak, root)
            self.samples.append((time.monotonic() - start, total))
            self.peak = max(self.peak, total)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


class Run(NamedTuple):
    wall: float
    peak: int  # bytes, whole process tree
    samples: list[tuple[float, int]]
    cpu: float | None  # user+sys seconds of the tree (robust to other load on the machine)


def children_cpu() -> float | None:
    try:
        import resource  # POSIX; the CPU column is left empty elsewhere
    except ImportError:
        return None
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], env: dict[str, str]) -> Run:
    """Run ``cmd`` (its last-but-one or ``-o`` argument is the output folder, emptied first)."""
    out = Path(cmd[cmd.index("-o") + 1]) if "-o" in cmd else Path(cmd[-1])
    shutil.rmtree(out, ignore_errors=True)  # our planner skips outputs already up to date
    cpu_before = children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = TreePeak(proc)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    peak.stop()
    if proc.returncode != 0:
        msg = f"{cmd[:3]} failed: {err.decode(errors='replace')[-2000:]}"
        raise SystemExit(msg)
    cpu_after = children_cpu()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return Run(wall, peak.peak, peak.samples, cpu)


def envs() -> tuple[dict[str, str], dict[str, str]]:
    u2 = WORK / "u2net-home"
    u2.mkdir(parents=True, exist_ok=True)
    shutil.copy(MODEL, u2 / "u2netp.onnx")
    rembg_env = dict(os.environ, U2NET_HOME=str(u2), NUMBA_CACHE_DIR=str(WORK / "numba-rembg"))
    ours_env = dict(os.environ, SHH_CONVERTER_HOME=str(WORK / "home"), PYTHONPATH=str(REPO))
    return rembg_env, ours_env


def ours_cmd(src: Path, out: Path, jobs: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "shh_converter", "convert", str(src), "-o", str(out)]
    cmd += ["--remove-bg", "--model", "u2netp", "--format", "png", "--on-conflict", "overwrite"]
    return cmd + (["--jobs", str(jobs)] if jobs else [])


def batch(reps: int, photos: Path, default_only: bool = False) -> None:
    py = rembg_python()
    rembg_env, ours_env = envs()
    exe = py.parent / ("rembg.exe" if os.name == "nt" else "rembg")
    rembg_cmd = [str(exe), "p", "-m", "u2netp", str(photos), str(WORK / "out-rembg")]
    cores = os.cpu_count() or 1
    # The product's default first: one worker, a file per core, 450 MB memory target.
    target = "SHH_CONVERTER_PERFORMANCE__AI_MEMORY_MB"
    configs = {
        "ours (default)": (ours_cmd(photos, WORK / "out-auto", None), {}),
        "ours, AI memory target 1000 MB": (
            ours_cmd(photos, WORK / "out-roomy", None),
            {target: "1000"},
        ),
        "ours --jobs 1 (one file at a time)": (ours_cmd(photos, WORK / "out-one", 1), {}),
    }
    # The oxipng pass (on by default for PNG) against plain zlib level 6, what rembg writes.
    configs["ours --no-png-optimise (zlib 6)"] = (
        [*ours_cmd(photos, WORK / "out-zlib", None), "--no-png-optimise"],
        {},
    )
    if default_only:
        configs = {k: v for k, v in configs.items() if "default" in k or "zlib" in k}
    results: dict[str, list[Run]] = {
        "rembg p -m u2netp": [],
        **{k: [] for k in configs},
    }
    timed(rembg_cmd, rembg_env)  # warm-up: numba cache, OS file cache
    for rep in range(reps):
        results["rembg p -m u2netp"].append(timed(rembg_cmd, rembg_env))
        for name, (cmd, extra) in configs.items():
            results[name].append(timed(cmd, {**ours_env, **extra}))
        log(f"  rep {rep + 1}/{reps} done")
    ref = statistics.median(r.wall for r in results["rembg p -m u2netp"])
    ref_cpu = statistics.median(r.cpu or 0 for r in results["rembg p -m u2netp"])
    n = len(list(photos.iterdir()))
    log(f"\nBatch of {n} photos (0.3-20 MP), PNG out, {cores} cores, median of {reps}:")
    log(f"load average now: {load()}")
    log(f"{'run':<34}{'wall s':>8}{'img/s':>7}{'vs rembg':>9}{'CPU s':>7}{'vs':>7}{'peak MB':>9}")
    for name, runs in results.items():
        wall = statistics.median(r.wall for r in runs)
        cpu = statistics.median(r.cpu or 0 for r in runs)
        peak = max(r.peak for r in runs) / 2**20
        cpu_ratio = ref_cpu / cpu if cpu else 0
        speed = f"{wall:8.2f}{n / wall:7.2f}{ref / wall:8.2f}x"
        log(f"{name:<34}{speed}{cpu:7.1f}{cpu_ratio:6.2f}x{peak:9.0f}")
        if name != "rembg p -m u2netp":  # each rep's own ratio, rembg and ours side by side
            pairs = [
                a.wall / b.wall for a, b in zip(results["rembg p -m u2netp"], runs, strict=True)
            ]
            log(f"{'':<34}pairs " + ", ".join(f"{x:.2f}" for x in pairs))


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except (AttributeError, OSError):  # Windows
        return "n/a"


def child_per_image(reps: int) -> None:
    """In-process: remove_background vs a bare session.run, interleaved, medians."""
    import numpy as np
    from PIL import Image
    from pillow_heif import register_heif_opener

    from shh_converter.core.background import ai as bg_ai
    from shh_converter.core.background import removal as background
    from shh_converter.core.settings import BackgroundRemoval

    register_heif_opener()
    sess = bg_ai.session("u2netp")
    x = np.random.default_rng(0).random((1, 3, 320, 320), dtype=np.float32)
    big = Image.open(CORPUS / "photos/pug.heic").convert("RGB")
    opts = BackgroundRemoval(enabled=True)

    def bare() -> None:
        sess.run(None, {"input.1": x})

    interleaved(bare, bare, 2)  # warm-up
    for name, img in (("1 MP", big.resize((1155, 866))), ("12 MP", big)):
        ref, ours = interleaved(
            bare, lambda img=img: background.remove_background(img, opts), reps * 4
        )
        ratio = ours / ref
        log(f"{name:<6} bare session.run {ref:.3f} s  remove_background {ours:.3f} s  {ratio:.2f}x")


def interleaved(f, g, n):  # type: ignore[no-untyped-def]
    """Medians of f and g timed alternately, so both see the same load."""
    a, b = [], []
    for _ in range(n):
        for fn, out in ((f, a), (g, b)):
            t = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t)
    return statistics.median(a), statistics.median(b)


def child_arena(mode: str) -> None:
    from PIL import Image
    from pillow_heif import register_heif_opener

    from shh_converter.core.background import ai as bg_ai
    from shh_converter.core.background import removal as background
    from shh_converter.core.settings import BackgroundRemoval

    register_heif_opener()
    bg_ai.ENABLE_CPU_MEM_ARENA = mode == "on"
    big = Image.open(CORPUS / "photos/pug.heic").convert("RGB")
    small = big.resize((1155, 866))
    times = []
    for _ in range(3):
        t = time.perf_counter()
        background.remove_background(big, BackgroundRemoval(enabled=True))
        times.append(time.perf_counter() - t)
    background.remove_background(small, BackgroundRemoval(enabled=True))
    rss = psutil.Process().memory_info().rss / 2**20
    median = statistics.median(times)
    log(f"  arena {mode:<4} 12 MP median {median:.3f} s, RSS after a following 1 MP: {rss:.0f} MB")


def in_child(name: str, *args: str) -> None:
    _, ours_env = envs()
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", name, *args]
    subprocess.run(cmd, env=ours_env, check=True)


def per_image(reps: int) -> None:
    log(f"\nPer image, in-process, {os.cpu_count()} threads, medians:")
    in_child("per-image", str(reps))


def cold_start() -> None:
    rembg_env, ours_env = envs()
    img = str(CORPUS / "rembg/examples/animal-3.jpg")
    ours = (
        "import sys; from PIL import Image; "
        "from shh_converter.core.background import removal as b; "
        "from shh_converter.core.settings import BackgroundRemoval as R; "
        "b.remove_background(Image.open(sys.argv[1]).convert('RGB'), R(enabled=True))"
    )
    theirs = (
        "import sys; from PIL import Image; import rembg; "
        "rembg.remove(Image.open(sys.argv[1]), session=rembg.new_session('u2netp'))"
    )
    fresh_home = {**ours_env, "SHH_CONVERTER_HOME": str(WORK / f"fresh-{time.time_ns()}")}
    empty_numba = {**rembg_env, "NUMBA_CACHE_DIR": str(WORK / f"numba-{time.time_ns()}")}
    rembg_py = str(rembg_python())
    log("\nCold start: fresh process, first image (1.5 MP), wall seconds:")
    for name, py, code, env in (
        ("ours (fresh install, empty caches)", sys.executable, ours, fresh_home),
        ("rembg, empty numba cache", rembg_py, theirs, empty_numba),
        ("rembg, warm numba cache", rembg_py, theirs, rembg_env),
    ):
        start = time.perf_counter()
        subprocess.run([py, "-c", code, img], env=env, check=True)
        log(f"  {name:<38}{time.perf_counter() - start:6.2f}")


def arena() -> None:
    log("\nonnxruntime CPU memory arena (u2netp, 12 MP):")
    for mode in ("off", "on"):
        in_child("arena", mode)


def flat(reps: int) -> None:
    """Flat-colour removal vs PIL's ImageDraw.floodfill (region only, no soft edge)."""
    from PIL import Image, ImageDraw

    from shh_converter.core.background import removal as background
    from shh_converter.core.settings import BackgroundMode, BackgroundRemoval

    opts = BackgroundRemoval(enabled=True, mode=BackgroundMode.FLAT, fill_holes=True)
    log("\nFlat-colour removal (drawn logo on white), medians:")
    for name, size in (("1 MP", (1200, 800)), ("12 MP", (4000, 3000))):
        img = Image.new("RGB", size, "white")
        draw = ImageDraw.Draw(img)
        w, h = size
        draw.ellipse((w // 10, h // 10, w // 2, h * 9 // 10), fill=(20, 40, 160))
        draw.ellipse((w // 5, h // 4, w * 2 // 5, h * 3 // 4), fill="white")
        draw.rectangle((w * 6 // 10, h // 5, w * 9 // 10, h * 4 // 5), fill=(200, 30, 30))

        def ours(img=img) -> None:  # type: ignore[no-untyped-def]
            background.remove_background(img, opts)

        def pil(img=img) -> None:  # type: ignore[no-untyped-def]
            rgba = img.convert("RGBA")
            ImageDraw.floodfill(rgba, (0, 0), (0, 0, 0, 0), thresh=24)

        a, b = interleaved(ours, pil, reps * 2)
        log(f"  {name:<6} ours {a * 1000:6.0f} ms   PIL floodfill {b * 1000:6.0f} ms")


def growth(photos: Path) -> None:
    many = WORK / "many"
    if not many.exists():
        many.mkdir()
        small = sorted(p for p in photos.iterdir() if p.stat().st_size < 1_200_000)
        small += sorted((CORPUS / "rembg" / "examples").glob("*.jpg"))
        picks = small[:20]
        for i in range(200):
            src = picks[i % len(picks)]
            shutil.copy(src, many / f"{i:03d}-{src.name}")
    _, ours_env = envs()
    wall, peak, samples, _ = timed(ours_cmd(many, WORK / "out-many", None), ours_env)  # defaults
    quarter = len(samples) // 4
    early = max(r for _, r in samples[quarter : 2 * quarter]) / 2**20
    late = max(r for _, r in samples[-quarter:]) / 2**20
    change = (late / early - 1) * 100
    log(f"\n200-image batch (default settings): {wall:.1f} s, peak tree RSS {peak / 2**20:.0f} MB")
    log(f"  2nd-quarter peak {early:.0f} MB, last-quarter peak {late:.0f} MB ({change:+.1f}%)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="batch comparison only, one rep")
    parser.add_argument("--set", choices=["bench", "issue14"], default="bench", help="photo set")
    parser.add_argument(
        "--default-only", action="store_true", help="batch: ours with defaults only"
    )
    parser.add_argument("--only", choices=["batch", "per-image", "cold", "arena", "flat", "growth"])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("-o", help=argparse.SUPPRESS)  # lets timed() find a folder to empty
    args = parser.parse_args()
    if args.child:
        name, arg = args.child
        {"per-image": lambda: child_per_image(int(arg)), "arena": lambda: child_arena(arg)}[name]()
        return
    WORK.mkdir(parents=True, exist_ok=True)
    photos = prepare_images(args.set)
    steps = {
        "batch": lambda: batch(1 if args.quick else args.reps, photos, args.default_only),
        "per-image": lambda: per_image(args.reps),
        "cold": cold_start,
        "arena": arena,
        "flat": lambda: flat(args.reps),
        "growth": lambda: growth(photos),
    }
    for name, step in steps.items():
        if args.only in (None, name) and not (args.quick and name != "batch"):
            step()


if __name__ == "__main__":
    main()
