"""The shipped default cut-out against ground truth: it must not get worse.

One real photo with a human-made alpha matte and one composite of a subject with
known alpha and colours (``../shared/matting``), cut out with the default settings
and the bundled model. Thresholds: the figures measured when the default was chosen
(docs/performance.md, "Cut-out quality") plus a margin of ~10 %. The full
comparison of models and refinements is benchmarks/bench_cutout.py.
"""

from __future__ import annotations

import pytest
from matting_truth import MATTING, lemur_composite, metrics, real_photo
from PIL import Image

from shh_converter.core.background import ai as bg_ai
from shh_converter.core.background import removal as background
from shh_converter.core.settings import BackgroundRemoval

DEFAULT = BackgroundRemoval(enabled=True)


@pytest.fixture(autouse=True)
def _matting_data() -> None:
    if not (MATTING / "README.md").is_file():
        pytest.fail(f"ground-truth data not found at {MATTING} (set SHH_MATTING)", pytrace=False)


def test_default_cutout_of_a_real_portrait_stays_close_to_the_true_matte() -> None:
    item = real_photo("p3m_00a4eda7")
    found = metrics(item, background.remove_background(Image.fromarray(item["rgb"]), DEFAULT))
    assert found["mae"] <= MAX_REAL["mae"], found
    assert found["edge"] <= MAX_REAL["edge"], found
    assert found["iou"] >= MIN_REAL_IOU, found


def test_default_cutout_keeps_no_halo_of_the_old_background() -> None:
    """Placed on grey, the edge shows the subject's colours, not the sky it was cut from."""
    item = lemur_composite("sky-grass", "photos/mate_Dune.jpg")
    img = Image.fromarray(item["rgb"])
    found = metrics(item, background.remove_background(img, DEFAULT))
    plain = metrics(item, bg_ai.apply_mask(img, bg_ai.predict_mask(img, DEFAULT.model)))
    assert found["mae"] <= MAX_COMPOSITE["mae"], found
    assert found["edge"] <= MAX_COMPOSITE["edge"], found
    assert found["colour"] <= MAX_COMPOSITE["colour"], found
    # The same mask with the photo's own colours at the edge: the halo the estimate removes.
    assert found["colour"] <= 0.93 * plain["colour"], (found, plain)


# Measured with u2netp (the default) and the edge-colour estimate: real photo MAE 0.0067,
# edge band 0.069, IoU 0.954; composite MAE 0.0128, edge band 0.042, colour 2.68 (3.01
# with the photo's own colours at the edge).
MAX_REAL = {"mae": 0.0075, "edge": 0.076}
MIN_REAL_IOU = 0.94
MAX_COMPOSITE = {"mae": 0.0141, "edge": 0.046, "colour": 2.95}
