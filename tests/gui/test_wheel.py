"""The wheel over the settings column scrolls it and never changes a setting (issue 20.1).

Real pointer motion and real wheel turns (X buttons 4 and 5 through xdotool), with
the pointer held still over each kind of widget while the column scrolls from top to
bottom and back under it, so every combobox, spin box, scale and check box in that
line passes under the pointer; the settings as saved must be byte-identical after.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from guikit import WHEEL_KINDS, column_pointer_spots, pump_until, saved_settings, xdotool
from support import run_probe_on_screen
from wheel_probe import wheel_everywhere

from shh_converter import i18n

pytestmark = pytest.mark.gui
PROBE = Path(__file__).with_name("wheel_probe.py")
VALUE_KINDS = {"TCombobox", "TSpinbox", "TScale"}


def check_report(report: dict) -> None:
    assert report["same"], "a setting changed while the wheel scrolled the column"
    assert len(report["runs"]) == len(WHEEL_KINDS), report["runs"]
    under = set().union(*(set(run["under"]) for run in report["runs"]))
    assert under >= VALUE_KINDS, f"value widgets never under the pointer: {under}"
    for run in report["runs"]:
        assert run["down"] >= 3 and run["up"] >= 3, run  # it really scrolled both ways


def test_the_wheel_scrolls_the_column_over_every_kind_of_widget(app):
    report = wheel_everywhere(app)
    check_report(report)
    assert report["language"] == "Longest side"


def test_a_focused_value_widget_scrolls_the_column_too(app):
    """The keyboard changes a focused value; the wheel over it still scrolls (the docs of
    fit.ScrollColumn say why)."""
    root, panel, column = app.root, app.window.settings, app.window.settings_column
    root.geometry("1000x560")
    pump_until(root, lambda: column.scrolls, what="the settings column to scroll")
    before = saved_settings(app)
    box = panel.resize_box
    column.canvas.yview_moveto(0)
    box.focus_force()
    pump_until(root, lambda: root.focus_get() is box, what="the focus on the combobox")
    x, y = box.winfo_rootx() + box.winfo_width() // 2, box.winfo_rooty() + box.winfo_height() // 2
    top = column.canvas.yview()
    xdotool("mousemove", "--sync", str(x), str(y), "click", "5")
    pump_until(root, lambda: column.canvas.yview() != top, what="the column to scroll")
    assert saved_settings(app) == before and box.get() == "Longest side"
    spots = column_pointer_spots(app)
    assert len(spots) == len(WHEEL_KINDS)


def test_in_german_too(tmp_path, shots_dir):
    shot = shots_dir / "wheel-de-bottom.png"
    report = run_probe_on_screen(PROBE, "1280x800", "--shot", str(shot), **{i18n.ENV: "de"})
    check_report(report)
    assert report["language"] == "Längste Seite"
    assert shot.stat().st_size > 5_000
