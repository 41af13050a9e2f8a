"""The numpy guided filter that refines AI cut-out edges (core/background/refine.py)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter
from support.images import assert_similar

from shh_converter.core.background import refine


def test_box_mean_matches_a_direct_window_mean() -> None:
    rng = np.random.default_rng(7)
    a = rng.random((37, 52)).astype(np.float32)
    r = 4
    expected = np.array(
        [
            [a[max(0, y - r) : y + r + 1, max(0, x - r) : x + r + 1].mean() for x in range(52)]
            for y in range(37)
        ]
    )
    assert np.abs(refine.box_mean(a, r) - expected).max() < 1e-5


def _scene() -> tuple[Image.Image, Image.Image, np.ndarray]:
    """A red disc on green with a noisy texture; the true alpha; a blurred, shifted mask."""
    h, w = 720, 960  # the filter's radius is 1 % of the shorter side: 7 px here
    yy, xx = np.mgrid[0:h, 0:w]
    truth = ((yy - 360) ** 2 + (xx - 480) ** 2 <= 210**2).astype(np.float32)
    rgb = np.where(truth[..., None] > 0, [200, 40, 40], [40, 160, 60]).astype(np.float32)
    rgb += np.random.default_rng(3).normal(0, 6, rgb.shape)
    photo = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8))
    rough = Image.fromarray((truth * 255).astype(np.uint8)).transform(
        (w, h),
        Image.Transform.AFFINE,
        (1, 0, 3, 0, 1, 2),  # the model's edge, off by 3 px
    )
    return photo, rough.filter(ImageFilter.GaussianBlur(4)), truth


def test_the_refined_edge_follows_the_photo_not_the_rough_mask() -> None:
    photo, rough, truth = _scene()
    refined = refine.refine_alpha(photo, rough)
    assert refined.size == rough.size and refined.mode == "L"
    m = np.asarray(rough) / 255.0
    unsure = (m > 0.04) & (m < 0.94)  # where the filter may change anything
    err_rough = np.abs(m - truth)[unsure].mean()
    err_refined = np.abs(np.asarray(refined) / 255.0 - truth)[unsure].mean()
    assert err_refined < 0.85 * err_rough


def test_pixels_the_mask_is_sure_about_stay_as_they_are() -> None:
    photo, rough, _ = _scene()
    refined = np.asarray(refine.refine_alpha(photo, rough))
    m = np.asarray(rough)
    assert (refined[m == 0] == 0).mean() > 0.97  # far background stays clear
    assert (refined[m == 255] == 255).mean() > 0.97  # the core stays opaque


def test_big_images_fit_on_a_smaller_copy_with_the_same_result() -> None:
    """The subsampled ("fast") fit gives nearly the same matte as the full fit."""
    photo, rough, _ = _scene()
    big_photo = photo.resize((1280, 960), Image.Resampling.BILINEAR)
    big_rough = rough.resize((1280, 960), Image.Resampling.BILINEAR)
    guide = np.asarray(big_photo, np.float32) / 255.0
    p = np.asarray(big_rough, np.float32) / 255.0
    full = refine.guided_filter(guide, p, r=16, subsample=1)
    fast = refine.guided_filter(guide, p, r=16, subsample=4)
    assert_similar(full, fast, mean_below=0.02)
