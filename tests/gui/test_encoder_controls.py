"""The encoder controls in the real window (Xvfb): generated from the formats table."""

from __future__ import annotations

import dataclasses
import tkinter as tk
from typing import TYPE_CHECKING

from PIL import Image

from shh_converter.core import convert, formats
from shh_converter.core.jobs import Job
from shh_converter.core.settings import OutputFormat, Settings
from shh_converter.gui import encoder_controls
from shh_converter.gui.encoder_controls import EncoderControls

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


def _choose(app, fmt: OutputFormat) -> None:  # type: ignore[no-untyped-def]
    panel = app.window.settings
    panel.v["format"].set(panel.encoder._label_of(fmt))
    app.root.update_idletasks()


def _widget_state(controls: EncoderControls, key: str) -> bool:
    """Whether the widgets of ``key`` are enabled (all of them)."""
    widgets = controls._widgets[key]
    return all(
        str(w.cget("state")) == "readonly"
        if str(w.winfo_class()) == "TCombobox"
        else w.instate(["!disabled"])
        for w in widgets
    )


def test_each_format_shows_its_own_options(app) -> None:  # type: ignore[no-untyped-def]
    panel = app.window.settings
    controls = panel.encoder
    controls.show_advanced(True)  # Preferences' switch (hidden by default: test_small_truths)
    for spec in formats.available_formats():
        _choose(app, spec.format)
        assert panel.get_settings().encode.format == spec.format
        for option in spec.options:
            if option.field in encoder_controls.SHARED:
                continue
            key = controls.key(spec.format, option.field)
            assert all(w.winfo_ismapped() for w in controls._widgets[key]), key
        others = [s for s in formats.SPECS.values() if s.format != spec.format]
        for other in others:
            for option in other.options:
                key = controls.key(other.format, option.field)
                if key in controls._widgets:
                    assert not any(w.winfo_ismapped() for w in controls._widgets[key]), key


def test_options_that_do_not_apply_are_disabled(app) -> None:  # type: ignore[no-untyped-def]
    panel = app.window.settings
    controls = panel.encoder
    _choose(app, OutputFormat.PNG)
    assert panel.quality_scale.instate(["disabled"]) and panel.lossless_check.instate(["disabled"])
    zlib = controls.key(OutputFormat.PNG, "compress_level")
    oxipng = controls.key(OutputFormat.PNG, "png_optimise")
    photos_too = controls.key(OutputFormat.PNG, "png_optimise_photos")
    assert _widget_state(controls, zlib)  # photographs are written with zlib
    assert _widget_state(controls, photos_too)
    panel.v[photos_too].set(True)
    app.root.update_idletasks()
    assert not _widget_state(controls, zlib)  # everything goes through oxipng
    panel.v[oxipng].set(False)
    app.root.update_idletasks()
    assert _widget_state(controls, zlib) and not _widget_state(controls, photos_too)
    assert not _widget_state(controls, controls.key(OutputFormat.PNG, "palette_colors"))
    panel.v[controls.key(OutputFormat.PNG, "palette")].set(True)
    assert _widget_state(controls, controls.key(OutputFormat.PNG, "palette_colors"))
    _choose(app, OutputFormat.JPEG)
    assert panel.quality_scale.instate(["!disabled"])
    assert not controls.animated_check.instate(["!disabled"])  # JPEG holds one frame
    _choose(app, OutputFormat.WEBP)
    assert controls.animated_check.instate(["!disabled"])
    panel.v["lossless"].set(True)
    assert panel.quality_scale.instate(["disabled"])


def test_widgets_read_and_write_encode_options(app) -> None:  # type: ignore[no-untyped-def]
    panel = app.window.settings
    wanted = dataclasses.replace(
        panel.get_settings(),
        encode=formats.default_options(
            "jpeg", quality=72, progressive=False, subsampling="4:2:2", jpeg_encoder="pillow"
        ),
        animated=False,
    )
    panel.set_settings(wanted)
    assert panel.get_settings() == wanted
    panel.v[panel.encoder.key(OutputFormat.JPEG, "subsampling")].set("4:4:4")
    assert panel.get_settings().encode.subsampling == "4:4:4"
    png = dataclasses.replace(
        wanted, encode=formats.default_options("png", palette=True, palette_colors=64, dither=20)
    )
    panel.set_settings(png)
    assert panel.get_settings().encode == png.encode
    panel.v[panel.encoder.key(OutputFormat.PNG, "palette_colors")].set("999")  # out of range
    assert panel.get_settings().encode.palette_colors == 64


def test_untouched_quality_follows_the_format(app) -> None:  # type: ignore[no-untyped-def]
    panel = app.window.settings
    panel.set_settings(
        dataclasses.replace(panel.get_settings(), encode=formats.default_options("webp"))
    )
    _choose(app, OutputFormat.AVIF)
    assert panel.get_settings().encode.quality == 75
    panel.v["quality"].set(70)
    _choose(app, OutputFormat.JPEG)
    assert panel.get_settings().encode.quality == 70  # the user's choice stays


def test_every_listed_format_writes_a_file_that_decodes(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.png"
    Image.new("RGBA", (48, 40), (20, 120, 200, 255)).save(src)
    panel = app.window.settings
    written = []
    for label, fmt in encoder_controls.format_labels().items():
        if not formats.spec_for(fmt).available():
            continue
        panel.v["format"].set(label)
        s: Settings = panel.get_settings()
        assert s.encode.format == fmt
        out = tmp_path / f"out.{formats.spec_for(fmt).extension}"
        result = convert.convert_job(Job.one(0, src, out, s), s)
        assert result.status == "converted", (label, result.error)
        if fmt == OutputFormat.JXL:
            import pillow_jxl  # noqa: F401
        with Image.open(out) as img:
            img.load()
            assert img.format == formats.spec_for(fmt).pil_name
        written.append(fmt)
    assert OutputFormat.GIF in written and OutputFormat.PNG in written


def test_unavailable_format_is_labelled_and_cannot_be_chosen(
    x_display: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = formats.base.module_available
    monkeypatch.setattr(formats.base, "module_available", lambda n: n != "pillow_jxl" and real(n))
    root = tk.Tk()
    try:
        changes: list[int] = []
        controls = EncoderControls(root, on_change=lambda: changes.append(1))
        controls.pack()
        labels = encoder_controls.format_labels()
        jxl = next(label for label, f in labels.items() if f == OutputFormat.JXL)
        assert jxl.endswith(encoder_controls.UNAVAILABLE)
        controls.vars["format"].set(jxl)
        root.update_idletasks()
        assert controls.current_format == OutputFormat.WEBP
        assert "pillow_jxl" in str(controls.note.cget("text"))
    finally:
        root.destroy()


def test_the_windows_spinboxes_take_each_value_s_one_rule(app) -> None:  # type: ignore[no-untyped-def]
    """Resize sides and the size cap: the same range as the CLI and saved settings."""
    from shh_converter.core.settings import LARGEST_SIDE, ResizeMode, ResizeOptions

    panel = app.window.settings
    assert float(panel.width_spin.cget("to")) == LARGEST_SIDE
    assert float(panel.size_spin.cget("to")) == LARGEST_SIDE
    wide = dataclasses.replace(
        panel.get_settings(),
        resize=ResizeOptions(mode=ResizeMode.FIT, width=100_000, height=70_000),
        max_kb=200_000,
    )
    panel.set_settings(wide)
    back = panel.get_settings()  # a saved setting within the rule comes back untouched
    assert (back.resize.width, back.resize.height, back.max_kb) == (100_000, 70_000, 200_000)
    panel.v["width"].set(str(LARGEST_SIDE + 5))
    assert panel.get_settings().resize.width == LARGEST_SIDE
