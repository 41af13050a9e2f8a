"""Resize geometry for every mode, and the resize step on real pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image
from support.images import pixel

from shh_converter.core.resize import Geometry, apply_geometry, plan_geometry
from shh_converter.core.settings import ResizeMode, ResizeOptions


def geo(src: tuple[int, int], **kw: object) -> Geometry:
    return plan_geometry(src, ResizeOptions(**kw))  # type: ignore[arg-type]


def test_none_keeps_size() -> None:
    assert geo((640, 480), mode=ResizeMode.NONE).final == (640, 480)


def test_fit_within_box_keeps_aspect() -> None:
    assert geo((4000, 3000), mode=ResizeMode.FIT, width=1600, height=1600).final == (1600, 1200)
    assert geo((3000, 4000), mode=ResizeMode.FIT, width=1600, height=1600).final == (1200, 1600)
    assert geo((4000, 3000), mode=ResizeMode.FIT, width=800).final == (800, 600)
    assert geo((4000, 3000), mode=ResizeMode.FIT, height=300).final == (400, 300)


def test_fit_enlarges_only_when_asked() -> None:
    small = geo((100, 50), mode=ResizeMode.FIT, width=400, height=400)
    assert small.final == (100, 50)
    asked = geo((100, 50), mode=ResizeMode.FIT, width=400, height=400, upscale=True)
    assert asked.final == (400, 200)


def test_fill_covers_then_centre_crops() -> None:
    g = geo((4000, 3000), mode=ResizeMode.FILL, width=500, height=500)
    assert g.scaled == (667, 500)
    assert g.final == (500, 500)
    assert g.crop == (83, 0, 583, 500)


def test_fill_without_upscale_crops_to_what_exists() -> None:
    g = geo((300, 200), mode=ResizeMode.FILL, width=500, height=500, upscale=False)
    assert g.final == (300, 200)


def test_pad_gives_exact_canvas() -> None:
    g = geo((4000, 3000), mode=ResizeMode.PAD, width=500, height=500)
    assert g.scaled == (500, 375)
    assert g.final == (500, 500)
    g = geo((100, 50), mode=ResizeMode.PAD, width=500, height=500, upscale=False)
    assert g.scaled == (100, 50) and g.final == (500, 500)


def test_max_side_and_percent() -> None:
    assert geo((6028, 3391), mode=ResizeMode.MAX_SIDE, size=2048).final == (2048, 1152)
    assert geo((3391, 6028), mode=ResizeMode.MAX_SIDE, size=2048).final == (1152, 2048)
    assert geo((640, 480), mode=ResizeMode.PERCENT, percent=50).final == (320, 240)
    assert geo((640, 480), mode=ResizeMode.PERCENT, percent=200, upscale=False).final == (640, 480)


def test_never_zero_pixels() -> None:
    assert geo((10000, 1), mode=ResizeMode.MAX_SIDE, size=100).final == (100, 1)
    assert geo((3, 3), mode=ResizeMode.PERCENT, percent=1).final == (1, 1)
    g = geo((1, 5000), mode=ResizeMode.FILL, width=10, height=10, upscale=True)
    assert min(g.final) >= 1 and g.final == (10, 10)


modes = st.sampled_from(list(ResizeMode))
dims = st.integers(min_value=1, max_value=20000)
opt = st.one_of(st.none(), st.integers(min_value=1, max_value=5000))


@given(w=dims, h=dims, mode=modes, width=opt, height=opt, size=opt, up=st.booleans())
def test_geometry_properties(
    w: int,
    h: int,
    mode: ResizeMode,
    width: int | None,
    height: int | None,
    size: int | None,
    up: bool,
) -> None:
    options = ResizeOptions(
        mode=mode, width=width, height=height, size=size, percent=37.5, upscale=up
    )
    g = plan_geometry((w, h), options)
    assert min(g.scaled) >= 1 and min(g.final) >= 1
    if not up:
        assert g.scaled[0] <= w and g.scaled[1] <= h
    if g.crop:
        assert (
            0 <= g.crop[0] < g.crop[2] <= g.scaled[0] and 0 <= g.crop[1] < g.crop[3] <= g.scaled[1]
        )
    if mode == ResizeMode.PAD and width and height:
        assert g.final[0] >= width and g.final[1] >= height
    shrunk = g.shrunk(0.25)
    assert min(shrunk.final) >= 1 and shrunk.final[0] <= max(1, g.final[0])


def _dot_on_transparent() -> Image.Image:
    """Opaque red disc on fully transparent *black*: naive resizing makes dark fringes."""
    img = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    inner = Image.new("RGBA", (100, 100), (255, 0, 0, 255))
    img.paste(inner, (50, 50))
    return img


def test_resize_alpha_has_no_dark_fringes() -> None:
    out = apply_geometry(_dot_on_transparent(), Geometry((37, 37)), None)
    arr = np.asarray(out).astype(int)
    soft = (arr[..., 3] > 20) & (arr[..., 3] < 235)
    assert soft.any()
    assert arr[..., 0][soft].min() > 200, "premultiplication missing: red edge darkened"


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_pad_transparent_and_coloured(mode: str) -> None:
    colour: dict[str, float | tuple[float, ...]] = {
        "L": 200, "LA": (200, 255), "RGB": (200, 10, 10), "RGBA": (200, 10, 10, 255)
    }  # fmt: skip
    img = Image.new(mode, (40, 20), colour[mode])
    clear = apply_geometry(img, Geometry((40, 20), canvas=(40, 40)), None)
    assert clear.size == (40, 40) and clear.mode in ("LA", "RGBA")
    assert pixel(clear, (0, 0))[-1] == 0 and pixel(clear, (20, 20))[-1] == 255
    blue = apply_geometry(img, Geometry((40, 20), canvas=(40, 40)), (0, 0, 255))
    assert blue.size == (40, 40)
    assert blue.convert("RGB").getpixel((0, 0)) == (0, 0, 255)


def test_fill_crop_takes_the_centre() -> None:
    img = Image.new("RGB", (300, 100), (0, 0, 255))
    img.paste((255, 0, 0), (100, 0, 200, 100))
    out = apply_geometry(
        img, plan_geometry(img.size, ResizeOptions(ResizeMode.FILL, 100, 100)), None
    )
    assert out.size == (100, 100)
    assert np.asarray(out)[..., 0].mean() > 240  # all red: the centre third
