"""One bad saved setting never stops the window: default used, reported once (log and user).

A real window on a private Xvfb, started from a real ``config.json`` holding the
values a hand edit or another version could leave there.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import pytest

from shh_converter import paths
from shh_converter.core.checks import check_fields
from shh_converter.core.settings import DEFAULT_SETTINGS, EncodeOptions, ResizeMode, Settings
from shh_converter.sidecars import config

sys.path.append(str(Path(__file__).resolve().parent.parent / "gui"))
from guikit import close_app, last_dialog, make_app, pump_until

BAD_CONFIG = {
    "ui": {
        "settings": {"encode": {"quality": "high", "method": 4}, "resize": {"mode": "fit"}},
        "presets": {"Mine": {"resize": {"mode": "max-side", "size": -5}, "encode": {"method": 99}}},
    }
}


def dialog_text(app) -> str:  # type: ignore[no-untyped-def]
    body = last_dialog(app).body
    return "\n".join(str(w.cget("text")) for w in body.winfo_children() if "text" in w.keys())  # noqa: SIM118


@pytest.mark.gui
def test_window_starts_with_a_bad_saved_setting_and_says_so_once(
    x_display: str, caplog: pytest.LogCaptureFixture
) -> None:
    paths.ensure(paths.config_dir)
    config.config_path().write_text(json.dumps(BAD_CONFIG), encoding="utf-8")
    caplog.set_level(logging.WARNING, logger="shh_converter.gui.prefs")
    app = make_app()
    try:
        pump_until(app.root, lambda: last_dialog(app) is not None, what="notice")
        text = dialog_text(app)
        assert "ui.settings.encode.quality = 'high'" in text, text
        quality = app.controller.current_settings().encode.quality
        assert quality == DEFAULT_SETTINGS.encode.quality  # the default
        assert app.controller.current_settings().resize.mode == ResizeMode.FIT  # the rest kept
        # A damaged preset: reported once however often asked, repaired value by value.
        preset = app.prefs.preset("Mine")
        assert preset is not None and app.prefs.preset("Mine") == preset
        mine = preset.outputs[0]
        assert mine.encode.method == 4 and mine.resize.size is None  # bad values: defaults
        assert mine.resize.mode == ResizeMode.MAX_SIDE  # the rest kept
    finally:
        close_app(app)  # saves the window's (good) settings
    lines = [r.getMessage() for r in caplog.records if "quality" in r.getMessage()]
    assert len(lines) == 1 and "'high'" in lines[0], lines
    assert sum("method = 99" in r.getMessage() for r in caplog.records) == 1, caplog.records

    again = make_app()  # the next start: the value was put right, nothing to say
    try:
        pump_until(again.root, lambda: again._shown, what="start-up work done")
        assert last_dialog(again) is None, dialog_text(again)
    finally:
        close_app(again)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"encode": {"quality": "high"}}, "encode.quality"),
        ({"encode": {"method": 99}}, "encode.method"),
        ({"encode": {"quality": True}}, "encode.quality"),
        ({"encode": {"format": "no-such-format"}}, "encode.format"),
        ({"encode": {"subsampling": "4:1:1"}}, "encode.subsampling"),
        ({"encode": {"ico_sizes": [16, 4096]}}, "encode.ico_sizes"),
        ({"resize": {"size": -5}}, "resize.size"),
        ({"resize": {"percent": float("nan")}}, "resize.percent"),
        ({"resize": "big"}, "resize"),
        ({"background": "pink"}, "background"),
        ({"background": [1, 2]}, "background"),
        ({"name_template": "{stem"}, "name_template"),
        ({"background_removal": {"trim_padding": "lots"}}, "background_removal.trim_padding"),
        ({"background_removal": {"model": "../../etc/passwd"}}, "background_removal.model"),
        ({"limits": {"max_pixels": 0}}, "limits.max_pixels"),
        ({"animated": "yes"}, "animated"),
    ],
)
def test_each_bad_value_is_named_and_replaced_by_its_default(data: dict, key: str) -> None:  # type: ignore[type-arg]
    checked = check_fields(Settings, {**data, "keep_icc": True})
    assert [p.key for p in checked.problems] == [key]
    assert repr(checked.problems[0].value)[:20] in str(checked.problems[0])
    assert checked.value.keep_icc is True  # the good value beside it is kept


def test_good_values_round_trip_unchanged() -> None:
    s = Settings(encode=EncodeOptions(quality=55, method=6, near_lossless=60, ico_sizes=(16, 64)))
    checked = check_fields(Settings, json.loads(json.dumps(s.to_dict())))
    assert checked.problems == () and checked.value == s


def test_not_an_object_at_all() -> None:
    checked = check_fields(Settings, ["a", "list"], prefix="outputs[2]")
    assert checked.value == Settings()
    assert (
        str(checked.problems[0])
        == "outputs[2] = ['a', 'list'] is not an object; using its defaults"
    )
