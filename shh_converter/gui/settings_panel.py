"""The settings panel: Tk variables bound to the engine's frozen :class:`Settings`.

:meth:`SettingsPanel.get_settings` builds a new ``Settings`` from the widgets
(fields the panel does not show are kept from the last settings applied) and
:meth:`SettingsPanel.set_settings` shows one. Controls that do not apply are
disabled (the encoder options the format table says do not apply — see
``encoder_controls`` — sizes the resize mode ignores, the model for flat-colour
removal). The background-removal box is hidden when the
config's feature flag turns the feature off.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import tkinter as tk
from tkinter import colorchooser, ttk
from typing import TYPE_CHECKING

from ..core.background import models as model_table
from ..core.errors import UsageError
from ..core.naming import validate_template
from ..core.settings import (
    DEFAULT_SETTINGS,
    BackgroundMode,
    ConflictPolicy,
    IfBigger,
    MetadataMode,
    Resample,
    ResizeMode,
    ResizeOptions,
    Settings,
    format_color,
    parse_color,
    value_range,
)
from ..i18n import _
from .encoder_controls import EncoderControls, format_labels

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

FORMATS = format_labels()  # from the formats (core/formats/)
RESIZE = {
    _("Original size"): ResizeMode.NONE,
    _("Longest side"): ResizeMode.MAX_SIDE,
    _("Fit in box"): ResizeMode.FIT,
    _("Fill box (crop)"): ResizeMode.FILL,
    _("Pad to box"): ResizeMode.PAD,
    _("Percent"): ResizeMode.PERCENT,
}
METADATA = {
    _("Strip (private)"): MetadataMode.STRIP,
    _("Keep, without location"): MetadataMode.KEEP_NO_LOCATION,
    _("Keep"): MetadataMode.KEEP,
}
RESAMPLE = {
    _("Lanczos (sharp)"): Resample.LANCZOS,
    _("Bicubic"): Resample.BICUBIC,
    _("Bilinear"): Resample.BILINEAR,
    _("Nearest (pixel art)"): Resample.NEAREST,
}
CONFLICT = {
    _("Rename"): ConflictPolicy.RENAME,
    _("Skip"): ConflictPolicy.SKIP,
    _("Overwrite"): ConflictPolicy.OVERWRITE,
}
IF_BIGGER = {
    _("Keep it anyway"): IfBigger.WRITE,
    _("Copy the source"): IfBigger.COPY_SOURCE,
    _("Skip it"): IfBigger.SKIP,
}
BG_MODES = {_("AI (subject)"): BackgroundMode.AI, _("Flat colour"): BackgroundMode.FLAT}
MODELS = tuple(model_table.MODELS)  # the engine's registry: the window keeps no copy


def _key(table: Mapping[str, object], value: object) -> str:
    return next(k for k, v in table.items() if v == value)


def _int(text: str, default: int | None, low: float, high: float) -> int | None:
    """The whole number typed, held inside its field's range; ``default`` when none is."""
    try:
        # A whole number: the lowest whole one at or above a fractional low (percent's 0.01).
        return max(math.ceil(low), min(int(high), int(float(text))))
    except ValueError:
        return default


def _rule(cls: type, name: str) -> tuple[float, float]:
    """The range of a bounded settings field (rules.ranged): the one rule of that value."""
    low, high = value_range(cls, name)
    if low is None or high is None:
        msg = f"{cls.__name__}.{name} has no range to offer"
        raise ValueError(msg)
    return low, high


class SettingsPanel(ttk.Frame):
    """All conversion options; ``on_change`` runs (on the Tk thread) after any edit."""

    def __init__(
        self, master: tk.Misc, *, on_change: Callable[[], None], allow_background: bool
    ) -> None:
        super().__init__(master)
        self._on_change = on_change
        self._loading = False
        self._base = DEFAULT_SETTINGS
        self.v: dict[str, tk.Variable] = {}
        self._controls: dict[str, list[tk.Widget]] = {}
        self._build_output()
        self._build_resize()
        self.bg_frame = self._build_background()
        self._build_options()
        if not allow_background:
            self.bg_frame.grid_remove()
        self.allow_background = allow_background
        for var in self.v.values():
            var.trace_add("write", self._changed)
        self.set_settings(self._base)

    # -- building ----------------------------------------------------------------

    def _var(self, name: str, var: tk.Variable) -> tk.Variable:
        self.v[name] = var
        return var

    def _row(self, box: tk.Misc, row: int, label: str, widget: tk.Widget, key: str) -> None:
        lbl = ttk.Label(box, text=label)
        lbl.grid(row=row, column=0, sticky="w", padx=(0, 8), pady=2)
        widget.grid(row=row, column=1, sticky="ew", pady=2)
        self._controls.setdefault(key, []).extend([lbl, widget])

    def _combo(self, box: tk.Misc, name: str, values: list[str]) -> ttk.Combobox:
        var = self._var(name, tk.StringVar(self, values[0]))
        return ttk.Combobox(box, textvariable=var, values=values, state="readonly", width=16)

    def _spin(self, box: tk.Misc, name: str, rule: tuple[float, float]) -> ttk.Spinbox:
        var = self._var(name, tk.StringVar(self, ""))
        low, high = rule
        return ttk.Spinbox(box, textvariable=var, from_=low, to=high, increment=10, width=8)

    def _box(self, text: str, row: int) -> ttk.LabelFrame:
        box = ttk.LabelFrame(self, text=text, padding=(10, 4))
        box.grid(row=row, column=0, sticky="ew", pady=(0, 6))
        box.columnconfigure(1, weight=1)
        self.columnconfigure(0, weight=1)
        return box

    def _build_output(self) -> None:
        box = self._box(_("Output"), 0)
        # Format, quality, lossless, the format's own options, the animation switch.
        self.encoder = EncoderControls(box, on_change=self._on_change)
        self.encoder.grid(row=0, column=0, columnspan=2, sticky="ew")
        self.v.update(self.encoder.vars)
        self.format_box = self.encoder.format_box
        self.quality_scale = self.encoder.quality_scale
        self.quality_label = self.encoder.quality_label
        self.lossless_check = self.encoder.lossless_check

    def _build_resize(self) -> None:
        box = self._box(_("Resize"), 1)
        self.resize_box = self._combo(box, "resize", list(RESIZE))
        self._row(box, 0, _("Mode"), self.resize_box, "resize")
        wh = ttk.Frame(box)
        self.width_spin = self._spin(wh, "width", _rule(ResizeOptions, "width"))
        self.width_spin.pack(side="left")
        ttk.Label(wh, text=" × ").pack(side="left")
        self.height_spin = self._spin(wh, "height", _rule(ResizeOptions, "height"))
        self.height_spin.pack(side="left")
        self._row(box, 1, _("Box (px)"), wh, "box")
        self._controls["box"] += [self.width_spin, self.height_spin]
        self.size_spin = self._spin(box, "size", _rule(ResizeOptions, "size"))
        self._row(box, 2, _("Longest side"), self.size_spin, "size")
        self.percent_spin = self._spin(box, "percent", _rule(ResizeOptions, "percent"))
        self._row(box, 3, _("Percent"), self.percent_spin, "percent")
        upscale = self._var("upscale", tk.BooleanVar(self, False))
        self.upscale_check = ttk.Checkbutton(box, text=_("Enlarge small images"), variable=upscale)
        self.upscale_check.grid(row=4, column=1, sticky="w")
        self._controls["upscale"] = [self.upscale_check]
        self.resample_box = self._combo(box, "resample", list(RESAMPLE))
        self._row(box, 5, _("Filter"), self.resample_box, "resample")
        self.sharpen_spin = self._spin(box, "sharpen", _rule(ResizeOptions, "sharpen"))
        self._row(box, 6, _("Sharpen after shrinking (%)"), self.sharpen_spin, "sharpen")

    def _build_background(self) -> ttk.LabelFrame:
        box = self._box(_("Background"), 2)
        enabled = self._var("bg_enabled", tk.BooleanVar(self, False))
        self.bg_check = ttk.Checkbutton(box, text=_("Remove background"), variable=enabled)
        self.bg_check.grid(row=0, column=0, columnspan=2, sticky="w")
        self.bg_mode_box = self._combo(box, "bg_mode", list(BG_MODES))
        self._row(box, 1, _("Method"), self.bg_mode_box, "bg")
        self.model_box = self._combo(box, "model", list(MODELS))
        self._row(box, 2, _("Model"), self.model_box, "model")
        trim = self._var("trim", tk.BooleanVar(self, False))
        trow = ttk.Frame(box)
        self.trim_check = ttk.Checkbutton(trow, text=_("Crop to subject, padding"), variable=trim)
        self.trim_check.pack(side="left")
        self.padding_entry = ttk.Entry(
            trow, width=6, textvariable=self._var("padding", tk.StringVar(self, "0"))
        )
        self.padding_entry.pack(side="left", padx=4)
        trow.grid(row=3, column=0, columnspan=2, sticky="w", pady=2)
        self._controls["bg"] += [self.trim_check, self.padding_entry]
        crow = ttk.Frame(box)
        self._var("color", tk.StringVar(self, "transparent"))
        self.color_swatch = tk.Label(crow, width=3, relief="groove", bd=1)
        self.color_swatch.pack(side="left")
        # The value stays the engine's word ("transparent", "#rrggbb"); this says it.
        self.color_shown = tk.StringVar(self, _("transparent"))
        self.color_label = ttk.Label(crow, textvariable=self.color_shown, width=12)
        self.color_label.pack(side="left", padx=4)
        self.color_btn = ttk.Button(crow, text=_("Choose…"), command=self.choose_color)
        self.color_btn.pack(side="left")
        self.clear_color_btn = ttk.Button(
            crow, text=_("None"), command=lambda: self.v["color"].set("transparent")
        )
        self.clear_color_btn.pack(side="left", padx=(4, 0))
        self._row(box, 4, _("Fill colour"), crow, "color")
        return box

    def _build_options(self) -> None:
        box = self._box(_("Options"), 3)
        self.metadata_box = self._combo(box, "metadata", list(METADATA))
        self._row(box, 0, _("Metadata"), self.metadata_box, "metadata")
        self.conflict_box = self._combo(box, "conflict", list(CONFLICT))
        self._row(box, 1, _("If the file exists"), self.conflict_box, "conflict")
        krow = ttk.Frame(box)
        self.max_kb_spin = ttk.Spinbox(
            krow, textvariable=self._var("max_kb", tk.StringVar(self, "")), from_=0,
            to=_rule(Settings, "max_kb")[1], increment=10, width=8,
        )  # fmt: skip
        self.max_kb_spin.pack(side="left")
        shrink = self._var("downscale", tk.BooleanVar(self, False))
        self.downscale_check = ttk.Checkbutton(krow, text=_("may shrink"), variable=shrink)
        self.downscale_check.pack(side="left", padx=(6, 0))
        self._row(box, 2, _("At most (KB)"), krow, "max_kb")
        self.if_bigger_box = self._combo(box, "if_bigger", list(IF_BIGGER))
        self._row(box, 3, _("If not smaller"), self.if_bigger_box, "if_bigger")
        dates = self._var("keep_dates", tk.BooleanVar(self, False))
        self.dates_check = ttk.Checkbutton(box, text=_("Keep the files' dates"), variable=dates)
        self.dates_check.grid(row=4, column=1, sticky="w")
        # The CLI's --name-template: the engine checks it (core.naming.validate_template).
        name = self._var("name_template", tk.StringVar(self, "{stem}.{ext}"))
        self.name_entry = ttk.Entry(box, textvariable=name, width=18)
        self._row(box, 5, _("File name"), self.name_entry, "name_template")
        # Shown only while the template is not valid: the engine's sentence, wrapped.
        self.name_problem = ttk.Label(box, text="", foreground="#d03a3a", wraplength=220)
        self.name_problem.grid(row=6, column=1, sticky="w")
        self.name_problem.grid_remove()

    # -- behaviour ----------------------------------------------------------------

    def choose_color(self) -> None:
        """Ask for the fill colour with the system colour chooser."""
        current = self.v["color"].get()
        initial = current if current.startswith("#") else "#ffffff"
        _rgb, hex_value = colorchooser.askcolor(initial, parent=self, title=_("Fill colour"))
        if hex_value:
            self.v["color"].set(str(hex_value).lower())

    def _changed(self, *_args: object) -> None:
        if self._loading:
            return
        self.update_states()
        self._on_change()

    def update_states(self) -> None:
        """Enable only the controls that apply to the current choices."""
        mode = RESIZE.get(self.v["resize"].get(), ResizeMode.NONE)
        bg_on = bool(self.v["bg_enabled"].get()) and self.allow_background
        ai = BG_MODES.get(self.v["bg_mode"].get()) == BackgroundMode.AI
        self.encoder.update_states()
        self._enable("box", mode in (ResizeMode.FIT, ResizeMode.FILL, ResizeMode.PAD))
        self._enable("size", mode == ResizeMode.MAX_SIDE)
        self._enable("percent", mode == ResizeMode.PERCENT)
        self._enable("upscale", mode != ResizeMode.NONE)
        self._enable("resample", mode != ResizeMode.NONE)
        self._enable("sharpen", mode != ResizeMode.NONE)
        self._enable("bg", bg_on)
        self._enable("model", bg_on and ai)
        color = self.v["color"].get()
        self.color_swatch.configure(background=color if color.startswith("#") else "#cccccc")
        self.color_shown.set(color if color.startswith("#") else _("transparent"))

    def _enable(self, key: str, on: bool) -> None:
        for widget in self._controls.get(key, []):
            if isinstance(widget, ttk.Combobox):
                widget.configure(state="readonly" if on else "disabled")
            elif isinstance(widget, ttk.Widget):
                widget.state(["!disabled"] if on else ["disabled"])

    def set_settings(self, s: Settings) -> None:
        """Show ``s`` in the widgets (one change notification at the end)."""
        self._base = s
        self._loading = True
        try:
            v, e, r, b = self.v, s.encode, s.resize, s.background_removal
            self.encoder.set_options(e, animated=s.animated)
            v["resize"].set(_key(RESIZE, r.mode))
            v["width"].set(r.width or "")
            v["height"].set(r.height or "")
            v["size"].set(r.size or "")
            v["percent"].set("" if r.percent is None else f"{r.percent:g}")
            v["upscale"].set(r.upscale)
            v["resample"].set(_key(RESAMPLE, r.resample))
            v["sharpen"].set(str(r.sharpen))
            v["bg_enabled"].set(b.enabled and self.allow_background)
            v["bg_mode"].set(_key(BG_MODES, b.mode))
            v["model"].set(b.model)
            v["trim"].set(b.trim)
            v["padding"].set(b.trim_padding)
            v["color"].set(format_color(s.background))
            v["metadata"].set(_key(METADATA, s.metadata))
            v["conflict"].set(_key(CONFLICT, s.on_conflict))
            v["max_kb"].set(str(s.max_kb) if s.max_kb else "")
            v["downscale"].set(s.downscale_to_fit)
            v["if_bigger"].set(_key(IF_BIGGER, s.if_bigger))
            v["keep_dates"].set(s.keep_dates)
            v["name_template"].set(s.name_template)
        finally:
            self._loading = False
        self.update_states()
        self._on_change()

    def _resize_from_widgets(self, base: Settings) -> ResizeOptions:
        """Sizes from the boxes; an empty box the mode needs gets a sensible default."""
        v, r = self.v, base.resize
        mode = RESIZE[v["resize"].get()]
        box = mode in (ResizeMode.FIT, ResizeMode.FILL, ResizeMode.PAD)

        def size(name: str, old: int | None, needed: bool, default: int) -> int | None:
            value = _int(v[name].get(), None, *_rule(ResizeOptions, name))
            return value if value is not None else (old or (default if needed else None))

        percent = size("percent", None, mode == ResizeMode.PERCENT, 50)
        both = box and mode != ResizeMode.FIT  # fit: one side alone bounds just that side
        width = size("width", r.width, both, 1600)
        height = size("height", r.height, both, 1600)
        if box and width is None and height is None:
            width = 1600
        return dataclasses.replace(
            r,
            mode=mode,
            width=width,
            height=height,
            size=size("size", r.size, mode == ResizeMode.MAX_SIDE, 1600),
            percent=float(percent) if percent is not None else r.percent,
            upscale=bool(v["upscale"].get()),
            resample=RESAMPLE.get(v["resample"].get(), r.resample),
            sharpen=_int(v["sharpen"].get(), r.sharpen, *_rule(ResizeOptions, "sharpen")) or 0,
        )

    def get_settings(self) -> Settings:
        """A new frozen ``Settings`` from the widgets (bad numbers fall back to the last good)."""
        v, base = self.v, self._base
        encode = self.encoder.get_options(base.encode)
        resize = self._resize_from_widgets(base)
        removal = dataclasses.replace(
            base.background_removal,
            enabled=bool(v["bg_enabled"].get()) and self.allow_background,
            mode=BG_MODES[v["bg_mode"].get()],
            model=v["model"].get() or "u2netp",
            trim=bool(v["trim"].get()),
            trim_padding=v["padding"].get().strip() or "0",
        )
        try:
            background = parse_color(v["color"].get())
        except UsageError:
            background = base.background
        return dataclasses.replace(
            base,
            encode=encode,
            resize=resize,
            background_removal=removal,
            background=background,
            metadata=METADATA[v["metadata"].get()],
            on_conflict=CONFLICT[v["conflict"].get()],
            animated=self.encoder.animated,
            # empty or 0: none
            max_kb=_int(v["max_kb"].get(), None, 0, _rule(Settings, "max_kb")[1]) or None,
            downscale_to_fit=bool(v["downscale"].get()),
            if_bigger=IF_BIGGER.get(v["if_bigger"].get(), base.if_bigger),
            keep_dates=bool(v["keep_dates"].get()),
            name_template=self._name_template(base.name_template),
        )

    def _name_template(self, last_good: str) -> str:
        """The file name template typed, or the last good one while it is not valid (the
        box is marked invalid and the engine's sentence, which names the fields, shows)."""
        text = str(self.v["name_template"].get()).strip()
        try:
            validate_template(text)
        except UsageError as exc:
            self.name_entry.state(["invalid"])
            self.name_problem.configure(text=str(exc))
            self.name_problem.grid()
            return last_good
        self.name_entry.state(["!invalid"])
        self.name_problem.grid_remove()
        return text
