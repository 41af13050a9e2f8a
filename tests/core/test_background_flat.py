"""Flat-colour removal on logos drawn in the test, so the true alpha is known.

A logo is drawn at 4x and box-downscaled: its exact coverage is the ground-truth
alpha, and compositing it onto a known background gives the input image.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from shh_converter.core.background import removal as background
from shh_converter.core.errors import BackgroundRemovalError
from shh_converter.core.settings import BackgroundMode, BackgroundRemoval

FLAT = BackgroundRemoval(enabled=True, mode=BackgroundMode.FLAT)


def draw_logo(size: tuple[int, int] = (240, 160), ring: bool = True) -> Image.Image:
    """Coverage mask ("L") of a logo: a ring (an "O" with a hole), a bar and a disc."""
    w, h = size
    big = Image.new("L", (w * 4, h * 4), 0)
    d = ImageDraw.Draw(big)
    if ring:
        d.ellipse((40, 60, 360, 560), fill=255)
        d.ellipse((130, 170, 270, 450), fill=0)  # the hole of the "O"
    d.polygon([(420, 80), (900, 120), (880, 200), (440, 190)], fill=255)
    d.ellipse((520, 300, 880, 600), fill=255)
    return big.resize(size, Image.Resampling.BOX)


def compose(cover: Image.Image, fg: tuple[int, int, int], bg: tuple[int, int, int]) -> Image.Image:
    return Image.composite(
        Image.new("RGB", cover.size, fg), Image.new("RGB", cover.size, bg), cover
    )


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def truth_without_hole(cover: Image.Image) -> np.ndarray:
    """Expected alpha when holes are kept: the ring's hole stays opaque (filled)."""
    from scipy import ndimage

    filled: np.ndarray = ndimage.binary_fill_holes(np.asarray(cover) > 127)
    return filled


@pytest.mark.parametrize(
    ("fg", "bg"),
    [((20, 40, 160), (255, 255, 255)), ((250, 200, 30), (0, 0, 0)), ((200, 30, 30), (40, 160, 90))],
)
def test_fill_holes_matches_ground_truth(
    fg: tuple[int, int, int], bg: tuple[int, int, int]
) -> None:
    cover = draw_logo()
    out = background.remove_background(
        compose(cover, fg, bg),
        BackgroundRemoval(enabled=True, mode=BackgroundMode.FLAT, fill_holes=True),
    )
    assert out.mode == "RGBA" and out.size == cover.size
    alpha = np.asarray(out.getchannel("A"))
    truth = np.asarray(cover)
    assert iou(alpha > 127, truth > 127) >= 0.98
    # Anti-aliased: boundary pixels have intermediate alpha close to the true coverage.
    edge = (truth > 20) & (truth < 235)
    assert edge.sum() > 50
    soft = (alpha[edge] > 0) & (alpha[edge] < 255)
    assert soft.mean() > 0.7
    assert np.abs(alpha[edge].astype(int) - truth[edge]).mean() < 40
    # Unmixed edge colour: no background tint left in partly transparent pixels.
    rgb = np.asarray(out.convert("RGB")).astype(int)
    strong = edge & (alpha > 100)
    assert np.abs(rgb[strong] - np.array(fg)).max(axis=1).mean() < 30


def test_holes_kept_without_fill_holes() -> None:
    cover = draw_logo()
    out = background.remove_background(compose(cover, (0, 0, 0), (255, 255, 255)), FLAT)
    alpha = np.asarray(out.getchannel("A"))
    assert iou(alpha > 127, truth_without_hole(cover)) >= 0.98
    # The inside of the "O" is background-coloured but enclosed: still opaque.
    assert alpha[int(310 / 4), int(200 / 4)] == 255
    # The removed background is gone from the file, not just hidden by alpha.
    assert np.asarray(out)[alpha == 0][:, :3].max() == 0


def test_tolerance_absorbs_noisy_background() -> None:
    cover = draw_logo(ring=False)
    img = np.asarray(compose(cover, (10, 10, 10), (240, 240, 240))).astype(int)
    noise = np.random.default_rng(1).integers(-6, 7, img.shape)
    noisy = Image.fromarray(np.clip(img + noise, 0, 255).astype(np.uint8))
    alpha = np.asarray(background.remove_background(noisy, FLAT).getchannel("A"))
    assert iou(alpha > 127, np.asarray(cover) > 127) >= 0.98


def test_mask_only_and_trim_box_the_subject() -> None:
    cover = Image.new("L", (200, 120), 0)
    ImageDraw.Draw(cover).rectangle((50, 30, 149, 89), fill=255)
    img = compose(cover, (0, 90, 200), (255, 255, 255))
    opts = BackgroundRemoval(enabled=True, mode=BackgroundMode.FLAT, mask_only=True, trim=True)
    mask = background.remove_background(img, opts)
    assert mask.mode == "L" and mask.size == (100, 60)
    assert np.asarray(mask).min() == 255
    padded = BackgroundRemoval(
        enabled=True, mode=BackgroundMode.FLAT, trim=True, trim_padding="10%"
    )
    assert background.remove_background(img, padded).size == (120, 72)
    px = BackgroundRemoval(enabled=True, mode=BackgroundMode.FLAT, trim=True, trim_padding="12")
    assert background.remove_background(img, px).size == (124, 84)


def test_busy_border_is_a_clear_error() -> None:
    noise = np.random.default_rng(2).integers(0, 256, (80, 80, 3), dtype=np.uint8)
    with pytest.raises(BackgroundRemovalError, match="no flat background"):
        background.remove_background(Image.fromarray(noise), FLAT)


def test_plain_image_has_no_subject() -> None:
    with pytest.raises(BackgroundRemovalError, match="no subject"):
        background.remove_background(Image.new("RGB", (50, 40), "white"), FLAT)


def test_rgba_input_keeps_its_own_transparency() -> None:
    cover = draw_logo(ring=False)
    img = compose(cover, (0, 0, 0), (255, 255, 255)).convert("RGBA")
    img.putalpha(Image.new("L", img.size, 128))
    alpha = np.asarray(background.remove_background(img, FLAT).getchannel("A"))
    assert alpha.max() <= 128 and (alpha == 128).sum() > 1000
