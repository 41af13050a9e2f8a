"""Benchmark: edge refinement, guided filter (core/background/refine.py) against pymatting.

    .venv/bin/python benchmarks/bench_refine.py [--repeats 3]

For each corpus photo (rembg/inputs and rembg/examples): the AI mask (u2netp, the
app's smoothing), then the edge refined two ways side by side:

* reference: pymatting's closed-form matting with the trimap the app used before
  (``estimate_alpha_cf`` on at most 2 MP; needs the ``test`` extra: rembg brings it);
* ours: ``refine.refine_alpha`` (numpy only, what the bundle ships).

Printed per image: median seconds of each (pymatting's first call, numba's JIT
compile, is reported apart), the ratio, and the mean absolute alpha difference
(0-255) from pymatting in the band where the mask is unsure -- for the guided
filter and for the unrefined mask, so "closer than the plain mask" is visible.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ["SHH_CONVERTER_HOME"] = tempfile.mkdtemp(prefix="bench-refine-")
CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from shh_converter.core.background import ai as bg_ai  # noqa: E402
from shh_converter.core.background import refine  # noqa: E402

PHOTOS = [
    "rembg/inputs/car-1.jpg",
    "rembg/inputs/cloth-1.jpg",
    "rembg/inputs/anime-girl-1.jpg",
    "rembg/examples/animal-1.jpg",
    "rembg/examples/animal-2.jpg",
    "rembg/examples/girl-1.jpg",
    "rembg/examples/girl-2.jpg",
    "rembg/examples/car-3.jpg",
]


def pymatting_alpha(img: Image.Image, mask: Image.Image) -> Image.Image:
    """The app's former alpha matting (same trimap, same 2 MP cap)."""
    from pymatting.alpha.estimate_alpha_cf import estimate_alpha_cf
    from scipy import ndimage

    scale = min(1.0, (2_000_000 / (img.width * img.height)) ** 0.5)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    rgb = img.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    small = np.asarray(mask.resize(size, Image.Resampling.LANCZOS))
    box = np.ones((10, 10), bool)
    trimap = np.full(small.shape, 0.5)
    trimap[ndimage.binary_erosion(small > 240, structure=box)] = 1.0
    trimap[ndimage.binary_erosion(small < 10, structure=box, border_value=1)] = 0.0
    alpha = estimate_alpha_cf(np.asarray(rgb) / 255.0, trimap)
    matte = Image.fromarray((np.clip(alpha, 0, 1) * 255).astype(np.uint8), mode="L")
    return matte.resize(img.size, Image.Resampling.LANCZOS)


def timed(func, repeats: int):  # type: ignore[no-untyped-def]
    times, out = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        out = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    first = Image.open(CORPUS / PHOTOS[0]).convert("RGB")
    first_mask = bg_ai.smooth_mask(bg_ai.predict_mask(first, "u2netp"))
    jit_s, _ = timed(lambda: pymatting_alpha(first, first_mask), 1)
    print(f"pymatting first call (numba JIT compile included): {jit_s:.2f} s")
    header = (
        f"{'image':<26}{'size':>11}{'pymatting s':>13}{'guided s':>10}{'ratio':>8}"
        f"{'guided diff':>13}{'mask diff':>11}"
    )
    print(header)
    ratios, gains = [], []
    for name in PHOTOS:
        img = Image.open(CORPUS / name).convert("RGB")
        mask = bg_ai.smooth_mask(bg_ai.predict_mask(img, "u2netp"))
        ref_s, ref = timed(lambda: pymatting_alpha(img, mask), args.repeats)  # noqa: B023
        ours_s, ours = timed(lambda: refine.refine_alpha(img, mask), args.repeats)  # noqa: B023
        m = np.asarray(mask).astype(np.int16)
        band = (m > refine.SURE_BG) & (m < refine.SURE_FG)
        r = np.asarray(ref).astype(np.int16)
        guided_diff = float(np.abs(np.asarray(ours).astype(np.int16) - r)[band].mean())
        mask_diff = float(np.abs(m - r)[band].mean())
        ratios.append(ours_s / ref_s)
        gains.append(guided_diff / mask_diff)
        print(
            f"{Path(name).name:<26}{img.width:>5}x{img.height:<5}{ref_s:>13.3f}{ours_s:>10.3f}"
            f"{ours_s / ref_s:>8.3f}{guided_diff:>13.1f}{mask_diff:>11.1f}"
        )
    print(f"median time ratio guided / pymatting: {statistics.median(ratios):.3f}")
    print(f"median diff ratio guided / plain mask (vs pymatting): {statistics.median(gains):.2f}")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
