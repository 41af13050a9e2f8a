"""Ground truth for cut-outs: the photos and composites of ``../shared/matting`` and their metrics.

Shared by the quality test (tests/core/test_cutout_quality.py) and the benchmark
(benchmarks/bench_cutout.py). Everything is read from the shared folder, never
copied into the repository. Metrics follow ``matting/README.md`` (alpha in 0..1).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from support import CORPUS, REPO

MATTING = Path(os.environ.get("SHH_MATTING", REPO.parent / "shared" / "matting"))
NEW_BACKGROUND = (128, 128, 128)  # where a cut-out is placed to measure colour spill
Item = dict[str, Any]  # name, kind, rgb (uint8 HxWx3), alpha (0..1), fg (composites)


def real_photos() -> list[str]:
    """Names of the photos with a human-made alpha matte."""
    return sorted(p.stem for p in (MATTING / "real" / "images").glob("*.png"))


def real_photo(name: str) -> Item:
    rgb = np.asarray(Image.open(MATTING / "real" / "images" / f"{name}.png").convert("RGB"))
    alpha = np.asarray(Image.open(MATTING / "real" / "alpha" / f"{name}.png").convert("L"))
    return {"name": name, "kind": "real", "rgb": rgb, "alpha": alpha / 255.0}


def lemur_composite(name: str, background: str | tuple[int, int, int]) -> Item:
    """The lemur composed on a corpus photo (cropped to fit) or a flat colour.

    ``foreground·alpha + background·(1 − alpha)``: both its alpha and its colours are known.
    """
    fg = np.asarray(Image.open(MATTING / "lemur" / "lemur_foreground.png").convert("RGB"))
    alpha = np.asarray(Image.open(MATTING / "lemur" / "lemur_alpha.png").convert("L")) / 255.0
    h, w = alpha.shape
    if isinstance(background, tuple):
        bg = np.broadcast_to(np.array(background, np.float64), (h, w, 3))
    else:
        with Image.open(CORPUS / background) as im:
            scale = max(w / im.width, h / im.height)
            size = (round(im.width * scale) + 1, round(im.height * scale) + 1)
            bg = np.asarray(im.convert("RGB").resize(size, Image.Resampling.LANCZOS))[:h, :w]
    comp = fg * alpha[..., None] + bg * (1.0 - alpha[..., None])
    return {
        "name": f"lemur-on-{name}",
        "kind": "composite",
        "rgb": np.round(comp).astype(np.uint8),
        "alpha": alpha,
        "fg": fg.astype(np.float64),
    }


def edge_band(alpha: np.ndarray) -> np.ndarray:
    """Pixels within 2 % of the shorter side of the true boundary, or strictly between 0 and 1."""
    from scipy import ndimage

    inside = alpha > 0.5
    dist = np.where(
        inside, ndimage.distance_transform_edt(inside), ndimage.distance_transform_edt(~inside)
    )
    band: np.ndarray = (dist <= 0.02 * min(alpha.shape)) | ((alpha > 0) & (alpha < 1))
    return band


def metrics(item: Item, cutout: Image.Image) -> dict[str, float]:
    """Alpha errors of a straight-alpha RGBA cut-out; for composites also the colour error.

    ``colour``: mean absolute difference (0..255) in the edge band between the cut-out
    placed on :data:`NEW_BACKGROUND` and the true foreground placed there.
    """
    rgba = np.asarray(cutout.convert("RGBA"))
    truth = item["alpha"]
    alpha = rgba[..., 3] / 255.0
    diff = np.abs(alpha - truth)
    band = edge_band(truth)
    pred, real = alpha > 0.5, truth > 0.5
    found = {
        "mae": float(diff.mean()),
        "sad": float(diff.sum() / 1000),
        "edge": float(diff[band].mean()),
        "iou": float((pred & real).sum() / max(1, (pred | real).sum())),
    }
    if "fg" in item:
        new = np.array(NEW_BACKGROUND, np.float64)
        placed = rgba[..., :3] * alpha[..., None] + new * (1 - alpha[..., None])
        true = item["fg"] * truth[..., None] + new * (1 - truth[..., None])
        found["colour"] = float(np.abs(placed - true)[band].mean())
    return found
