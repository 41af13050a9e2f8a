"""Benchmark: the formats goals of issue 10, each against its reference in the same run.

    .venv/bin/python benchmarks/bench_formats.py [--parts png,palette,jpeg,jxl,avif]
        [--repeats 3] [--max-mp 1.6] [--resize 0]

Inputs come from ``../shared/corpus/MANIFEST.tsv`` (override with ``SHH_CORPUS``):

* ``png``: every PNG the manifest lists that decodes (corrupt, truncated and bomb
  files left out), decoded by the engine (8-bit working mode, first frame). Pillow's
  ``save(optimize=True)`` of those pixels against the engine's PNG writer at the
  default effort (oxipng level 2) and the highest (6). Bytes summed over all files
  (and the geometric mean of the per-file ratios), time as the median over
  ``--repeats`` of the whole set, each output decoded back and compared pixel for
  pixel (RGBA; the colour under fully transparent pixels excluded, since the
  default lets oxipng change it).
* ``palette``: the manifest's logos and flat graphics: palette PNG (defaults:
  256 colours, quality 90, full dithering) against the lossless PNG, SSIM of the
  RGBA pixels (scikit-image, each channel, the minimum reported), both quantisers
  (libimagequant when installed, Pillow's).
* ``jpeg``: the manifest's real photos that are JPEGs of at most ``--max-mp``
  megapixels (SSIMULACRA2 in Python takes ~25 s per 2.5 MP image on this machine,
  so the large ones are left out). Reference: Pillow's optimised progressive JPEG
  at quality 85. Ours: the engine with ``jpeg_encoder=auto`` (jpegli at quality + 2
  unless a JPEG is kept at its size);
  both scored with SSIMULACRA2 (the ``ssimulacra2`` package) against the decoded
  source; and jpegli's smallest quality that scores at least Pillow's.
* ``jxl``: every JPEG in the manifest that decodes: lossless JPEG XL recompression
  of the file, reconstructed and compared byte for byte.
* ``avif``: AVIF quality 60/70/75/80 against JPEG q85 (SSIMULACRA2, bytes), the
  basis of AVIF's default quality.

Prints one block per part and the machine's load average (``os.getloadavg``).
Not collected by pytest (the file name starts with ``bench_``).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import math
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402
from PIL import Image  # noqa: E402

from shh_converter.core import convert, encode, formats  # noqa: E402
from shh_converter.core.settings import (  # noqa: E402
    OutputFormat,
    ResizeMode,
    ResizeOptions,
    Settings,
)

CORPUS = Path(os.environ.get("SHH_CORPUS", REPO.parent / "shared" / "corpus"))
AVIF_QUALITIES = (60, 70, 75, 80)
BAD_WORDS = ("corrupt", "truncat", "bomb", "broken", "invalid", "zero", "empty", "damaged")


def manifest() -> list[tuple[str, str]]:
    """(file, kind) for every row of the corpus manifest."""
    rows = []
    for line in (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) >= 4:
            rows.append((cells[0], cells[3] + " " + (cells[4] if len(cells) > 4 else "")))
    return rows


def decodes(path: Path) -> bool:
    try:
        with Image.open(path) as im:
            im.load()
        return True
    except Exception:
        return False


def files(suffixes: tuple[str, ...], want: str = "") -> list[Path]:
    out = []
    for name, kind in manifest():
        low = kind.lower()
        if not name.lower().endswith(suffixes) or any(w in low for w in BAD_WORDS):
            continue
        if want and want not in low:
            continue
        path = CORPUS / name
        if path.is_file() and decodes(path):
            out.append(path)
    return out


def working_frame(path: Path, settings: Settings) -> encode.Processed:
    prepared = convert.prepare(path, [dataclasses.replace(settings, animated=False)])
    return convert.render(prepared, settings)


def engine_bytes(processed: encode.Processed, settings: Settings) -> bytes:
    buf = io.BytesIO()
    encode.encode(processed, settings, buf)
    return buf.getvalue()


def timed(fn: object) -> tuple[float, object]:
    start = time.perf_counter()
    value = fn()  # type: ignore[operator]
    return time.perf_counter() - start, value


def visible_rgba(img: Image.Image) -> np.ndarray:
    """RGBA pixels with the colour under alpha 0 zeroed (invisible, may change)."""
    arr = np.asarray(img.convert("RGBA")).copy()
    arr[arr[..., 3] == 0] = 0
    return arr


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


# -- parts ---------------------------------------------------------------------------


def bench_png(repeats: int) -> None:
    paths = files((".png",))
    frames = []
    for path in paths:
        settings = Settings(encode=formats.default_options(OutputFormat.PNG))
        frames.append((path, working_frame(path, settings)))
    print(f"PNG lossless: {len(frames)} corpus PNGs, {repeats} repeats")
    variants = {
        "pillow optimize=True": None,
        "engine default (oxipng effort 2)": 2,
        "engine highest (oxipng effort 6)": 6,
    }
    sizes: dict[str, list[int]] = {k: [] for k in variants}
    times: dict[str, float] = {}
    identical = True
    for label, effort in variants.items():
        runs = []
        for r in range(repeats if effort != 6 else 1):
            total = 0.0
            for i, (_path, proc) in enumerate(frames):
                img = proc.frames[0]
                if effort is None:

                    def job(img: Image.Image = img) -> bytes:
                        buf = io.BytesIO()
                        img.save(buf, "PNG", optimize=True)
                        return buf.getvalue()
                else:
                    s = Settings(
                        encode=formats.default_options(OutputFormat.PNG, png_effort=effort)
                    )

                    def job(proc: encode.Processed = proc, s: Settings = s) -> bytes:
                        return engine_bytes(proc, s)

                seconds, data = timed(job)
                total += seconds
                if r == 0:
                    assert isinstance(data, bytes)
                    sizes[label].append(len(data))
                    back = Image.open(io.BytesIO(data))
                    if not np.array_equal(visible_rgba(back), visible_rgba(img)):
                        identical = False
                        print(f"  NOT identical: {frames[i][0].name} ({label})")
            runs.append(total)
        times[label] = statistics.median(runs)
    ref = "pillow optimize=True"
    for label in variants:
        ratio = sum(sizes[label]) / sum(sizes[ref])
        per_file = geomean([a / b for a, b in zip(sizes[label], sizes[ref], strict=True)])
        print(
            f"  {label:34s} bytes {sum(sizes[label]):>9d}  x{ratio:.3f} "
            f"(per-file geomean x{per_file:.3f})  time {times[label]:7.2f} s "
            f"x{times[label] / times[ref]:.2f}"
        )
    big = max(range(len(frames)), key=lambda i: sizes[ref][i])
    rest = [i for i in range(len(frames)) if i != big]
    for label in variants:
        ratio = sum(sizes[label][i] for i in rest) / sum(sizes[ref][i] for i in rest)
        print(f"  without {frames[big][0].name}: {label:34s} x{ratio:.3f}")
    print(f"  every output pixel-identical to its source: {identical}")


def ssim_min(a: Image.Image, b: Image.Image) -> float:
    from skimage.metrics import structural_similarity

    # The colour under fully transparent pixels is invisible: quantisers may zero it.
    x = visible_rgba(a).astype(np.float64)
    y = visible_rgba(b).astype(np.float64)
    scores = []
    for c in range(4):
        if np.ptp(x[..., c]) == 0 and np.ptp(y[..., c]) == 0:
            continue
        win = min(7, min(x.shape[:2]) // 2 * 2 - 1)
        scores.append(structural_similarity(x[..., c], y[..., c], data_range=255, win_size=win))
    return min(scores) if scores else 1.0


def bench_palette() -> None:
    paths = files((".png",), "logo")
    print(f"Palette PNG: {len(paths)} logos/flat graphics: {', '.join(p.name for p in paths)}")
    backends = ["pillow"] + (["imagequant"] if formats.base.module_available("imagequant") else [])
    for backend in backends:
        lossless_total = palette_total = 0
        worst = 1.0
        for path in paths:
            base = Settings(encode=formats.default_options(OutputFormat.PNG))
            proc = working_frame(path, base)
            lossless = engine_bytes(proc, base)
            pal_opts = dataclasses.replace(base.encode, palette=True, quantiser=backend)
            data = engine_bytes(proc, dataclasses.replace(base, encode=pal_opts))
            score = ssim_min(proc.frames[0], Image.open(io.BytesIO(data)))
            worst = min(worst, score)
            lossless_total += len(lossless)
            palette_total += len(data)
            print(
                f"  {backend:10s} {path.name:42s} {len(data):>8d} / {len(lossless):>8d} "
                f"x{len(data) / len(lossless):.3f}  SSIM min {score:.4f}"
            )
        print(
            f"  {backend}: total x{palette_total / lossless_total:.3f} of lossless, "
            f"worst SSIM {worst:.4f}"
        )


def score(source_ppm: bytes, data: bytes) -> float:
    import ssimulacra2

    return float(ssimulacra2.compute_ssimulacra2(io.BytesIO(source_ppm), io.BytesIO(data)))


def photos(max_mp: float) -> list[Path]:
    out = []
    for path in files((".jpg", ".jpeg"), "real photo"):
        with Image.open(path) as im:
            if im.width * im.height <= max_mp * 1e6 and im.mode == "RGB":
                out.append(path)
    return out


def bench_jpeg(max_mp: float, resize: int) -> None:
    import pyjpegli

    # "engine": jpeg_encoder=auto (jpegli unless a JPEG is kept at its size, quality + 2).
    settings = Settings(encode=formats.default_options(OutputFormat.JPEG, jpeg_encoder="auto"))
    if resize:
        # Downscaled as the window's web presets do: no 8x8 grid shared with the source.
        paths = photos(1000.0)
        box = ResizeOptions(mode=ResizeMode.MAX_SIDE, size=resize, upscale=False)
        settings = dataclasses.replace(settings, resize=box)
        what = f"corpus photos resized to at most {resize} px"
    else:
        paths = photos(max_mp)
        what = f"corpus photos <= {max_mp} MP at their size"
    print(f"JPEG: {len(paths)} {what}, SSIMULACRA2 against the (resized) source")
    totals = {"pillow": 0, "engine": 0, "jpegli_equal": 0}
    for path in paths:
        proc = working_frame(path, settings)
        img = proc.frames[0]
        ppm = io.BytesIO()
        img.save(ppm, "PPM")
        src = ppm.getvalue()
        ref = io.BytesIO()
        img.save(ref, "JPEG", quality=85, optimize=True, progressive=True)
        ref_bytes = ref.getvalue()
        ref_score = score(src, ref_bytes)
        ours = engine_bytes(proc, settings)
        our_score = score(src, ours)
        # jpegli's smallest quality that scores at least Pillow's (bisection).
        lo, hi = 70, 100
        best = pyjpegli.encode(img.tobytes(), img.width, img.height, 100)
        best_q = 100
        while lo <= hi:
            mid = (lo + hi) // 2
            data = pyjpegli.encode(img.tobytes(), img.width, img.height, mid)
            if score(src, data) >= ref_score:
                best, best_q, hi = data, mid, mid - 1
            else:
                lo = mid + 1
        totals["pillow"] += len(ref_bytes)
        totals["engine"] += len(ours)
        totals["jpegli_equal"] += len(best)
        print(
            f"  {path.name:32s} pillow {len(ref_bytes):>8d} ({ref_score:5.2f})  engine "
            f"{len(ours):>8d} ({our_score:5.2f}) x{len(ours) / len(ref_bytes):.3f}  "
            f"jpegli q{best_q} equal score {len(best):>8d} x{len(best) / len(ref_bytes):.3f}",
            flush=True,
        )
    print(
        f"  totals: engine auto x{totals['engine'] / totals['pillow']:.3f} of Pillow q85, "
        f"jpegli at equal score x{totals['jpegli_equal'] / totals['pillow']:.3f}"
    )


def _is_jpeg(path: Path) -> bool:
    with Image.open(path) as im:
        return im.format == "JPEG"


def bench_jxl() -> None:
    import pillow_jxl

    paths = [p for p in files((".jpg", ".jpeg")) if _is_jpeg(p)]
    total_in = total_out = 0
    exact = True
    failed = []
    for path in paths:
        data = path.read_bytes()
        try:
            jxl = formats.jxl.jxl_from_jpeg(data, 7)
        except Exception as exc:
            failed.append(f"{path.name} ({type(exc).__name__})")
            continue
        jpeg, _info, rebuilt, _icc, _boxes = pillow_jxl.Decoder(num_threads=-1)(jxl)
        same = bool(jpeg) and bytes(rebuilt) == data
        exact = exact and same
        total_in += len(data)
        total_out += len(jxl)
    print(
        f"JPEG XL recompression: {len(paths) - len(failed)} corpus JPEGs, {total_in} -> "
        f"{total_out} bytes x{total_out / total_in:.3f} ({100 * (1 - total_out / total_in):.1f}% "
        f"smaller); every JPEG rebuilt bit for bit: {exact}"
    )
    if failed:
        print(f"  not recompressible (encoded from pixels instead): {', '.join(failed)}")


def bench_avif(max_mp: float) -> None:
    paths = photos(max_mp)[:6]
    print(f"AVIF quality vs JPEG q85 (Pillow), {len(paths)} photos, SSIMULACRA2")
    rows: dict[str, list[tuple[int, float]]] = {}
    for path in paths:
        proc = working_frame(path, Settings(encode=formats.default_options(OutputFormat.AVIF)))
        img = proc.frames[0]
        ppm = io.BytesIO()
        img.save(ppm, "PPM")
        src = ppm.getvalue()
        ref = io.BytesIO()
        img.save(ref, "JPEG", quality=85, optimize=True, progressive=True)
        rows.setdefault("jpeg q85", []).append((len(ref.getvalue()), score(src, ref.getvalue())))
        for q in AVIF_QUALITIES:
            s = Settings(encode=formats.default_options(OutputFormat.AVIF, quality=q))
            data = engine_bytes(proc, s)
            avif = Image.open(io.BytesIO(data)).convert("RGB")
            back = io.BytesIO()
            avif.save(back, "PPM")
            rows.setdefault(f"avif q{q}", []).append((len(data), score(src, back.getvalue())))
    ref_bytes = sum(b for b, _s in rows["jpeg q85"])
    for label, values in rows.items():
        total = sum(b for b, _s in values)
        mean = statistics.mean(s for _b, s in values)
        print(
            f"  {label:9s} bytes {total:>9d} x{total / ref_bytes:.3f}  mean SSIMULACRA2 {mean:.2f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="png,palette,jpeg,jxl,avif")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--max-mp", type=float, default=1.6)
    parser.add_argument("--resize", type=int, default=0, help="jpeg: longest side (0: as is)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}")
    for part in args.parts.split(","):
        start = time.perf_counter()
        if part == "png":
            bench_png(args.repeats)
        elif part == "palette":
            bench_palette()
        elif part == "jpeg":
            bench_jpeg(args.max_mp, args.resize)
        elif part == "jxl":
            bench_jxl()
        elif part == "avif":
            bench_avif(args.max_mp)
        print(
            f"  ({part}: {time.perf_counter() - start:.0f} s, load {os.getloadavg()})", flush=True
        )


if __name__ == "__main__":
    main()
