"""The compare view in the real window: full-size before/after, 100 % is one image pixel per
screen pixel, both sides pan together, the divider moves, side by side, keys and wheel zoom,
scaled copies cached per zoom level; the "after" is the real encoder's output decoded back.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest
from guikit import pump_for, pump_until, screenshot, shown_zoom
from PIL import Image, ImageChops, ImageStat

from shh_converter.core.events import CancelToken
from shh_converter.core.settings import EncodeOptions, OutputFormat, Settings
from shh_converter.gui import compare
from shh_converter.gui.compare import ComparePair, prepare_pair

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.gui
PHOTO = "photos/plasma_ColorfulCups_2560x1600.jpg"


def _compare(app, src: Path, settings: Settings, view: str = "split"):  # type: ignore[no-untyped-def]
    c, pane = app.controller, app.window.preview
    c.add_paths([src])
    pump_until(app.root, lambda: c.pending_adds == 0, what="listed")
    app.window.settings.set_settings(settings)
    files = app.window.files
    iid = files.iids[src]
    files.tree.selection_set(iid)
    files.tree.focus(iid)
    files.tree.event_generate("<<TreeviewSelect>>")
    pane.set_view(view)
    cv = pane.compare
    pump_until(
        app.root,
        lambda: cv.state_text == "ready" and shown_zoom(cv) is not None,
        timeout=60,
        what="full-size pair shown",
    )
    return cv


def _image_x(cv, i: int, root_x: int) -> int:  # type: ignore[no-untyped-def]
    """The image column (at the shown zoom) under screen column ``root_x`` on canvas ``i``."""
    canvas = cv.canvases[i]
    left, _top = canvas.coords(cv.items[i])
    return round(root_x - canvas.winfo_rootx() - left + cv.regions[i][0])


def _same_pixels(cv, i: int, image, points, offset: bool = True) -> None:  # type: ignore[no-untyped-def]
    photo = cv._photos[i]
    for x, y in points:  # tile pixel -> the full image's pixel at 100 %
        gx, gy = (x + cv.regions[i][0], y + cv.regions[i][1]) if offset else (x, y)
        shown = tuple(int(v) for v in cv.tk.splitlist(cv.tk.call(str(photo), "get", x, y)))
        assert shown == image.getpixel((gx, gy))[:3], (i, x, y)


def test_split_view_at_100_percent_pans_together_and_the_divider_moves(app, corpus, shots_dir):
    settings = Settings(encode=EncodeOptions(format=OutputFormat.WEBP, quality=40))
    cv = _compare(app, corpus / PHOTO, settings)
    assert cv.fit and cv.zoom < 1.0
    assert cv.before_caption.cget("text").startswith("Before: 2560×1600 · ")
    after_text = cv.after_caption.cget("text")
    assert after_text.startswith("After: WEBP 2560×1600 · ") and "%" in after_text
    pair = cv.pair
    assert pair.encoded_bytes > 1000 and pair.size == (2560, 1600)
    cv.zoom_actual()
    pump_until(app.root, lambda: shown_zoom(cv) == 1.0, what="100 %")
    assert app.window.preview.zoom_label.cget("text") == "100 %"
    _same_pixels(cv, 0, pair.before, [(0, 0), (37, 11), (100, 90)])
    _same_pixels(cv, 1, pair.after, [(0, 0), (37, 11), (100, 90)])
    # Both canvases show the same image column at the same screen column (split mode).
    screen_x = cv.canvases[1].winfo_rootx() + 40
    assert _image_x(cv, 0, screen_x) == _image_x(cv, 1, screen_x)
    # Pan: both move by the same amount; beyond the margin a new tile is rendered.
    before_origin = cv.origin
    cv.pan_by(150, 90)
    assert cv.origin == (before_origin[0] + 150, before_origin[1] + 90)
    assert _image_x(cv, 0, screen_x) == _image_x(cv, 1, screen_x)
    first_region = cv.tile.region
    for _ in range(6):
        cv.pan_by(200, 120)
    pump_until(app.root, lambda: cv.tile.region != first_region and cv._asked is None)
    view = cv._visible()
    assert cv.tile.region[0] <= view[0] and cv.tile.region[2] >= view[2]
    # Drag the divider to a quarter of the width.
    area = cv.area
    area_w = area.winfo_width() - 4
    cv.divider.event_generate("<ButtonPress-1>", x=1, y=5)
    cv.divider.event_generate(
        "<B1-Motion>", x=1, y=5, rootx=area.winfo_rootx() + 2 + area_w // 4, rooty=0
    )
    app.root.update()
    assert abs(cv.split - 0.25) < 0.02
    assert abs(cv.canvases[1].winfo_x() - (2 + area_w // 4)) <= 2
    screen_x = cv.canvases[1].winfo_rootx() + 10
    assert _image_x(cv, 0, screen_x) == _image_x(cv, 1, screen_x)
    screenshot(app, shots_dir, "compare-split-100")


def test_side_by_side_keys_wheel_and_zoom_cache(app, corpus, shots_dir, monkeypatch):
    settings = Settings(encode=EncodeOptions(format=OutputFormat.JPEG, quality=30))
    cv = _compare(app, corpus / PHOTO, settings, view="side")
    left, right = cv.canvases
    assert abs(left.winfo_width() - right.winfo_width()) <= 2
    assert left.winfo_rootx() + left.winfo_width() <= right.winfo_rootx()
    cv.area.focus_force()
    app.root.update()
    cv.area.event_generate("<Key-1>")
    pump_until(app.root, lambda: shown_zoom(cv) == 1.0, what="100 % by key")
    cv.area.event_generate("<plus>")
    pump_until(app.root, lambda: shown_zoom(cv) == 1.5, what="zoom in by key")
    _same_pixels(
        cv, 0, cv.tile.before, [(0, 0), (5, 5)], offset=False
    )  # shown tile is what was rendered
    cv.area.event_generate("<Key-0>")
    pump_until(app.root, lambda: cv.fit and shown_zoom(cv) == cv.zoom, what="fit by key")
    fit = cv.zoom
    x, y = left.winfo_width() // 3, left.winfo_height() // 3
    left.event_generate("<Button-4>", x=x, y=y)  # the X11 wheel, over the left image
    pump_until(app.root, lambda: shown_zoom(cv) == cv.zoom and cv.zoom > fit, what="wheel zoom")
    # Both sides show the same part: same origin, same tile region.
    assert left.coords(cv.items[0]) == right.coords(cv.items[1])
    cv._set_zoom(0.5, None)
    pump_until(app.root, lambda: shown_zoom(cv) == 0.5, what="50 %")
    scaled: list[tuple[int, int]] = []  # images scaled by the tile thread from here on
    resize = Image.Image.resize

    def counted(image, size, *args, **kwargs):  # type: ignore[no-untyped-def]
        if threading.current_thread().name == "compare-render":
            scaled.append(size)
        return resize(image, size, *args, **kwargs)

    monkeypatch.setattr(Image.Image, "resize", counted)
    regions = set()
    for _ in range(8):
        cv.pan_by(180, 100)
        pump_until(app.root, lambda: cv._asked is None, what="tile")
        regions.add(cv.tile.region)
    assert len(regions) > 1  # new tiles were cut while panning ...
    assert scaled == []  # ... from the one cached 50 % copy
    screenshot(app, shots_dir, "compare-side-50")


def test_after_is_the_encoded_file_decoded_back(corpus):
    src = corpus / PHOTO
    lossless = prepare_pair(
        src, Settings(encode=EncodeOptions(format=OutputFormat.PNG)), CancelToken()
    )
    assert ImageChops.difference(lossless.before, lossless.after).getbbox() is None
    lossy = prepare_pair(
        src, Settings(encode=EncodeOptions(format=OutputFormat.WEBP, quality=10)), CancelToken()
    )
    diff = ImageStat.Stat(ImageChops.difference(lossy.before, lossy.after)).mean
    assert 0.5 < sum(diff) / 3 < 20  # visibly lossy, still the same picture
    assert lossy.encoded_bytes < lossless.encoded_bytes / 5
    with Image.open(src) as im:
        assert lossy.input_size == im.size


def test_compare_follows_selection_and_settings(app, corpus, monkeypatch):
    made: list[ComparePair] = []  # pairs the compare thread actually prepared

    def counted(source: Path, settings: Settings, cancel: CancelToken) -> ComparePair:
        pair = prepare_pair(source, settings, cancel)
        made.append(pair)
        return pair

    monkeypatch.setattr(compare, "prepare_pair", counted)
    settings = Settings(encode=EncodeOptions(format=OutputFormat.WEBP, quality=70))
    cv = _compare(app, corpus / PHOTO, settings)
    before = len(made)
    app.window.settings.set_settings(
        Settings(encode=EncodeOptions(format=OutputFormat.WEBP, quality=20))
    )
    app.controller.settings_changed()
    pump_until(
        app.root,
        lambda: cv.pair is not None and cv.pair.settings.encode.quality == 20,
        timeout=60,
        what="pair for the new settings",
    )
    assert len(made) == before + 1
    pump_for(app.root, 0.5)  # resizes / repeated previews make no new pair
    assert len(made) == before + 1
    app.controller.clear()
    pump_until(app.root, lambda: cv.state_text == "empty" and cv.pair is None, what="cleared")
