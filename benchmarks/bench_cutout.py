"""Benchmark: cut-out quality against ground truth, each model and refinement side by side.

Not collected by pytest. Run from the repository root:

    SHH_BENCH_MODELS=/path/to/models .venv/bin/python benchmarks/bench_cutout.py [--quick]

Inputs (read from ``../shared/matting``, never copied into the repository):

* the photos of ``matting/real`` with their human-made alpha;
* the lemur of ``matting/lemur`` (known alpha *and* colours) composed as
  ``foreground·alpha + background·(1 − alpha)`` on corpus photos (sky and grass,
  forest, busy cups) and on flat studio colours.

Metrics (``matting/README.md``; alpha in 0..1): MAE, SAD/1000, MAE in the edge band
(pixels within 2 % of the shorter side of the true boundary, plus every pixel whose
true alpha is strictly between 0 and 1), IoU of alpha > 0.5, and for composites the
mean colour error (0..255) in the edge band after placing the cut-out on a new
background (grey), against the true composite there.

Configurations: every model found (``u2netp`` from the repository; the others from
the folder ``$SHH_BENCH_MODELS`` -- skipped with a message when absent, nothing is
downloaded) through this program's pipeline with each refinement, and ``rembg`` with
the same model file (``U2NET_HOME`` pointed at a temporary folder of links to the
files). Each engine and model runs in a process of its own, one after the other on
the same inputs; time and peak RSS of that process are per photo (the mask once,
then each refinement's own extra time).

``--decontam-12mp N``: the edge-colour estimate's cost on a 12 MP cut-out, against
the plain cut-out, side by side (median of N). ``--batch-12mp N --baseline DIR``:
N 12 MP photos to PNG with the default cut-out through the CLI, this checkout and
another one (e.g. main's) one after the other, seconds per photo and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))
MODELS_ENV = "SHH_BENCH_MODELS"

sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from matting_truth import Item, lemur_composite, metrics, real_photo, real_photos  # noqa: E402
from PIL import Image  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
# name -> (file in $SHH_BENCH_MODELS, rembg's name for it or None, how to feed it)
CANDIDATES: dict[str, tuple[str, str | None, dict[str, Any]]] = {
    "u2netp": ("u2netp.onnx", "u2netp", {}),
    "u2net": ("u2net.onnx", "u2net", {}),
    # u2net with int8 weights: onnxruntime.quantization.quantize_dynamic(QUInt8)
    "u2net-int8": (
        "u2net_int8.onnx",
        None,
        {"size": 320, "mean": IMAGENET_MEAN, "std": IMAGENET_STD},
    ),
    "isnet-int8": ("isnet_int8.onnx", None, {"size": 1024, "mean": (0.5,) * 3, "std": (1.0,) * 3}),
    "isnet-fp16": ("isnet_fp16.onnx", None, {"size": 1024, "mean": (0.5,) * 3, "std": (1.0,) * 3}),
}
BACKGROUNDS: dict[str, str | tuple[int, int, int]] = {  # photos (cropped) and flat colours
    "sky-grass": "photos/mate_Dune.jpg",
    "forest": "photos/plasma_Path_2560x1600.jpg",
    "cups": "photos/plasma_ColorfulCups_2560x1600.jpg",
    "green-screen": (0, 177, 64),
    "white": (255, 255, 255),
}
FLAT = ("green-screen", "white")  # the BACKGROUNDS flat-colour removal can handle
REMBG_REFINEMENTS = ("plain", "post")


# --- inputs ---------------------------------------------------------------------------


def load_inputs(quick: bool) -> list[Item]:
    """The real photos, then the lemur composites (the first two backgrounds with --quick)."""
    chosen = list(BACKGROUNDS.items())[: 2 if quick else None]
    return [real_photo(n) for n in real_photos()] + [lemur_composite(*b) for b in chosen]


# --- one engine and model, in a process of its own ----------------------------------


class Peak:
    """Peak RSS of this process while a block runs (sampled every 10 ms)."""

    def __init__(self) -> None:
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()

    def __enter__(self) -> Peak:
        self.peak = self.proc.memory_info().rss
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.01):
            self.peak = max(self.peak, self.proc.memory_info().rss)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.proc.memory_info().rss)


def timed(func: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    out = func()
    return time.perf_counter() - started, out


def ours(model: str, folder: Path, items: list[Item]) -> Iterator[dict[str, Any]]:
    """This program's pipeline: the mask once, then each refinement on it."""
    from shh_converter.core.background import ai as bg_ai
    from shh_converter.core.background import foreground, models, refine

    file, _, feed = CANDIDATES[model]
    if model not in models.MODELS:  # a candidate only the benchmark knows
        digest = "sha256:" + models.file_checksum(folder / file, "sha256")
        models.MODELS[model] = models.ModelInfo(
            model, file, digest, 0, feed["size"], mean=feed["mean"], std=feed["std"],
        )  # fmt: skip
    from shh_converter import paths

    paths.ensure(paths.models_dir)
    link = paths.models_dir / models.get_info(model).file_name
    if not link.exists():
        link.symlink_to(folder / file)
    bg_ai.session(model)  # loading is not part of a photo's time
    for item in items:
        img = Image.fromarray(item["rgb"])
        with Peak() as peak:
            mask_s, mask = timed(lambda: bg_ai.predict_mask(img, model))  # noqa: B023
            variants = {
                "plain": lambda: bg_ai.apply_mask(img, mask),  # noqa: B023
                "clean": lambda: foreground.cutout(img, mask),  # noqa: B023
                "post+clean": lambda: foreground.cutout(img, bg_ai.smooth_mask(mask)),  # noqa: B023
                "matting+clean": lambda: foreground.cutout(
                    img,  # noqa: B023
                    refine.refine_alpha(img, mask),  # noqa: B023
                ),
            }
            for refinement, make in variants.items():
                extra_s, cut = timed(make)
                yield {
                    "image": item["name"],
                    "config": f"ours {model} {refinement}",
                    "seconds": mask_s + extra_s,
                    **metrics(item, cut),
                }
        yield {"image": item["name"], "peak_mb": peak.peak / 2**20, "config": f"ours {model}"}
    if model == "u2netp":
        yield from flat(items)


def flat(items: list[Item]) -> Iterator[dict[str, Any]]:
    """Flat-colour removal (no model) on the composites on flat colours: its own unmixing
    (the known background colour taken out of the edge) against blur fusion on its alpha."""
    from shh_converter.core.background import flat as bg_flat
    from shh_converter.core.background import foreground

    for item in items:
        if not item["name"].endswith(FLAT):
            continue
        img = Image.fromarray(item["rgb"])
        seconds, (cut, mask) = timed(lambda: bg_flat.flat_alpha(img, 24, False))  # noqa: B023
        found = {"image": item["name"], "seconds": seconds}
        yield {**found, "config": "flat-colour unmix", **metrics(item, cut)}
        fused = foreground.cutout(img, mask)
        yield {**found, "config": "flat-colour blur-fusion", **metrics(item, fused)}


def rembg(model: str, folder: Path, items: list[Item]) -> Iterator[dict[str, Any]]:
    """rembg itself with the same model file (no download: U2NET_HOME holds a link)."""
    home = Path(tempfile.mkdtemp(prefix="bench-cutout-u2net-"))
    file, name, _ = CANDIDATES[model]
    assert name is not None
    (home / f"{name}.onnx").symlink_to(folder / file)
    os.environ["U2NET_HOME"] = str(home)
    from rembg import new_session, remove

    sess = new_session(name)
    for item in items:
        img = Image.fromarray(item["rgb"])
        with Peak() as peak:
            for refinement in REMBG_REFINEMENTS:
                seconds, cut = timed(
                    lambda: remove(img, session=sess, post_process_mask=refinement == "post")  # noqa: B023
                )
                yield {
                    "image": item["name"],
                    "config": f"rembg {model} {refinement}",
                    "seconds": seconds,
                    **metrics(item, cut),
                }
        yield {"image": item["name"], "peak_mb": peak.peak / 2**20, "config": f"rembg {model}"}


def worker(engine: str, model: str, folder: Path, quick: bool) -> None:
    os.environ["SHH_CONVERTER_HOME"] = tempfile.mkdtemp(prefix="bench-cutout-")
    items = load_inputs(quick)
    run = ours if engine == "ours" else rembg
    for row in run(model, folder, items):
        print(json.dumps(row), flush=True)


# --- the report ---------------------------------------------------------------------


def model_folder() -> Path:
    """A temporary folder of links: the bundled u2netp and every model in $SHH_BENCH_MODELS."""
    folder = Path(tempfile.mkdtemp(prefix="bench-cutout-models-"))
    (folder / "u2netp.onnx").symlink_to(REPO / "assets" / "models" / "u2netp.onnx")
    source = Path(os.environ.get(MODELS_ENV, "") or "-")
    if not source.is_dir():
        print(f"${MODELS_ENV} is not a folder: only the bundled u2netp is measured")
        return folder
    for found in source.glob("*.onnx"):
        if not (folder / found.name).exists():
            (folder / found.name).symlink_to(found.resolve())
    return folder


def summarise(rows: list[dict[str, Any]]) -> None:
    results = [r for r in rows if "mae" in r]
    peaks: dict[str, list[float]] = {}
    for r in rows:
        if "peak_mb" in r:
            peaks.setdefault(r["config"], []).append(r["peak_mb"])
    for kind in ("real", "composite"):
        chosen = [r for r in results if r["image"].startswith("lemur") == (kind == "composite")]
        if not chosen:
            continue
        print(f"\n== {kind}: mean over {len({r['image'] for r in chosen})} images ==")
        cols = "mae  sad/1000  edge-mae  iou" + ("  colour" if kind == "composite" else "")
        print(f"{'configuration':<34}{cols}  median s  peak MB")
        for config in dict.fromkeys(r["config"] for r in chosen):
            mine = [r for r in chosen if r["config"] == config]
            mean = {k: statistics.mean(r[k] for r in mine) for k in mine[0] if k in METRICS}
            base = config.rsplit(" ", 1)[0] if config.startswith(("ours", "rembg")) else ""
            peak = max(peaks.get(base, [0.0]))
            line = (
                f"{config:<34}{mean['mae']:.4f} {mean['sad']:8.2f} {mean['edge']:9.4f}"
                f" {mean['iou']:6.4f}"
            )
            if kind == "composite":
                line += f" {mean['colour']:7.2f}"
            secs = statistics.median(r["seconds"] for r in mine)
            print(f"{line} {secs:9.3f} {peak:8.0f}")
    print("\n== per real photo (edge-band MAE) ==")
    for image in dict.fromkeys(r["image"] for r in results if not r["image"].startswith("lemur")):
        cells = [
            f"{r['config'].removeprefix('ours ')}={r['edge']:.3f}"
            for r in results
            if r["image"] == image and r["config"].endswith(("plain", "clean"))
        ]
        print(f"{image}: " + ", ".join(cells))


METRICS = ("mae", "sad", "edge", "iou", "colour")


def decontam_12mp(repeats: int) -> None:
    """Edge colours on a 12 MP cut-out: plain cut-out vs with the estimate, alternating."""
    from shh_converter.core.background import ai as bg_ai
    from shh_converter.core.background import foreground

    with Image.open(CORPUS / "rembg" / "examples" / "animal-3.jpg") as im:
        scale = (12_000_000 / (im.width * im.height)) ** 0.5
        big = im.convert("RGB").resize(
            (round(im.width * scale), round(im.height * scale)), Image.Resampling.BICUBIC
        )
    mask = bg_ai.predict_mask(big, "u2netp")
    edge = np.asarray(mask)
    share = float(((edge > 0) & (edge < 255)).mean())
    plain, clean = [], []
    for _ in range(repeats):
        plain.append(timed(lambda: bg_ai.apply_mask(big, mask))[0])
        clean.append(timed(lambda: foreground.cutout(big, mask))[0])
    p, c = statistics.median(plain), statistics.median(clean)
    print(
        f"12 MP ({big.width}x{big.height}, {share:.1%} edge pixels): plain cut-out {p:.3f} s,"
        f" with edge colours {c:.3f} s, extra {c - p:.3f} s (median of {repeats})"
    )


def batch_12mp(photos: int, baseline: str | None) -> None:
    """A batch of 12 MP photos to PNG with the default cut-out: this checkout against
    ``baseline`` (another checkout, e.g. main's), alternating, whole-tree peak RSS."""
    from bench_rembg import timed as run_timed

    work = Path(tempfile.mkdtemp(prefix="bench-cutout-batch-"))
    src = work / "in"
    src.mkdir()
    with Image.open(CORPUS / "rembg" / "examples" / "animal-3.jpg") as im:
        scale = (12_000_000 / (im.width * im.height)) ** 0.5
        size = (round(im.width * scale), round(im.height * scale))
        big = im.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    for i in range(photos):
        big.save(src / f"photo-{i}.jpg", quality=92)
    checkouts = {"this checkout": REPO} | ({"baseline": Path(baseline)} if baseline else {})
    for name, root in list(checkouts.items()) * 2:  # each twice, alternating
        env = dict(os.environ, SHH_CONVERTER_HOME=str(work / f"home-{name}"), PYTHONPATH=str(root))
        cmd = [sys.executable, "-m", "shh_converter", "convert", str(src), "-o", str(work / "out")]
        cmd += ["--remove-bg", "--format", "png", "--on-conflict", "overwrite"]
        os.chdir(root)  # ``-m`` puts the working folder first on sys.path
        try:
            run = run_timed(cmd, env)
        finally:
            os.chdir(REPO)
        print(
            f"{name}: {photos} x 12 MP to PNG: {run.wall / photos:.2f} s per photo,"
            f" peak {run.peak / 2**20:.0f} MB (process tree), load {os.getloadavg()[0]:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2 composites, u2netp only")
    parser.add_argument("--models", default="", help="comma-separated subset of the candidates")
    parser.add_argument("--decontam-12mp", type=int, default=0, metavar="REPEATS")
    parser.add_argument("--batch-12mp", type=int, default=0, metavar="PHOTOS")
    parser.add_argument("--baseline", help="with --batch-12mp: another checkout to compare")
    parser.add_argument("--worker", nargs=2, metavar=("ENGINE", "MODEL"), help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker[0], args.worker[1], Path(args.folder), args.quick)
        return
    print(f"load average before: {os.getloadavg()}  cores: {os.cpu_count()}")
    if args.decontam_12mp or args.batch_12mp:
        if args.decontam_12mp:
            decontam_12mp(args.decontam_12mp)
        if args.batch_12mp:
            batch_12mp(args.batch_12mp, args.baseline)
        print(f"load average after: {os.getloadavg()}")
        return
    folder = model_folder()
    wanted = args.models.split(",") if args.models else list(CANDIDATES)
    rows: list[dict[str, Any]] = []
    for model in wanted:
        file, rembg_name, _ = CANDIDATES[model]
        if not (folder / file).is_file():
            print(f"{model}: {file} not in ${MODELS_ENV}, skipped")
            continue
        for engine in ("ours", "rembg") if rembg_name else ("ours",):
            cmd = [sys.executable, __file__, "--worker", engine, model, "--folder", str(folder)]
            done = subprocess.run(
                cmd + (["--quick"] if args.quick else []), capture_output=True, text=True
            )
            if done.returncode:
                msg = f"{engine} {model} failed:\n{done.stderr[-3000:]}"
                raise SystemExit(msg)
            rows += [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
            print(f"{engine} {model}: done, load average {os.getloadavg()[0]:.2f}", flush=True)
    summarise(rows)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
