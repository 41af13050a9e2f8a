"""The output format and its encoder options, generated from the formats (``core/formats/``).

:class:`EncoderControls` is a ttk frame: the format list (every format of
``core/formats/``; one this install cannot write is labelled so and cannot be
chosen), quality and lossless (shared by the formats that have them), then the
chosen format's own options, one widget per :class:`~shh_converter.core.formats.OptionSpec`
(a spinbox for a range, a check box for on/off, a list for choices), and the
animation switch. Options that do not apply given the others are disabled
(quality of a lossless WebP, the zlib level while oxipng runs). It reads and
writes :class:`EncodeOptions`; the settings panel embeds it and owns the rest.
Adding an option or a format adds its control here with no change; the labels are
marked for translation where the formats declare them, and shown through ``_()``.
"""

from __future__ import annotations

import dataclasses
import tkinter as tk
from tkinter import ttk
from typing import TYPE_CHECKING, Any

from ..core import formats
from ..core.settings import EncodeOptions, OutputFormat, value_range
from ..i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable

SHARED = ("quality", "lossless")  # shown once, above the format's own options
UNAVAILABLE = _(" (unavailable here)")


def format_labels() -> dict[str, OutputFormat]:
    """The format list's labels (an unavailable format says so) and their formats."""
    return {
        _(spec.label) + ("" if spec.available() else UNAVAILABLE): spec.format
        for spec in formats.SPECS.values()
    }


class EncoderControls(ttk.Frame):
    """Format, quality, lossless, the format's own options and the animation switch."""

    def __init__(self, master: tk.Misc, *, on_change: Callable[[], None]) -> None:
        super().__init__(master)
        self.columnconfigure(1, weight=1)
        self._on_change = on_change
        self._loading = False
        self._format = OutputFormat.WEBP
        self.labels = format_labels()
        self.vars: dict[str, tk.Variable] = {}
        self._widgets: dict[str, list[tk.Widget]] = {}
        self._frames: dict[OutputFormat, ttk.Frame] = {}
        self._build_shared()
        for spec in formats.SPECS.values():
            self._frames[spec.format] = self._build_format(spec)
        animated = self._var("animated", tk.BooleanVar(self, True))
        self.animated_check = ttk.Checkbutton(self, text=_("Keep animation"), variable=animated)
        self.animated_check.grid(row=4, column=1, sticky="w")
        self.note = ttk.Label(self, foreground="#a04000", wraplength=260)
        self.note.grid(row=5, column=0, columnspan=2, sticky="w")
        self.vars["format"].trace_add("write", self._format_chosen)
        self._show(OutputFormat.WEBP)
        self.advanced = True

    # -- building -------------------------------------------------------------------

    def _var(self, name: str, var: tk.Variable) -> tk.Variable:
        self.vars[name] = var
        return var

    def _build_shared(self) -> None:
        fmt = self._var("format", tk.StringVar(self, next(iter(self.labels))))
        self.format_box = ttk.Combobox(
            self, textvariable=fmt, values=list(self.labels), state="readonly", width=22
        )
        self._label_row(self, 0, _("Format"), self.format_box, "format")
        qrow = ttk.Frame(self)
        quality = tk.IntVar(self, 85)
        self._var("quality", quality)
        low, high = value_range(EncodeOptions, "quality")
        # The slider starts at 1 (quality 0 is never wanted); a preset may still hold 0.
        self.quality_scale = ttk.Scale(
            qrow, from_=max(1, low), to=high, variable=quality, command=self._snap_quality
        )
        self.quality_scale.pack(side="left", fill="x", expand=True)
        self.quality_label = ttk.Label(qrow, width=4, anchor="e", textvariable=quality)
        self.quality_label.pack(side="left")
        self._label_row(self, 1, _("Quality"), qrow, "quality")
        self._widgets["quality"].append(self.quality_scale)
        lossless = self._var("lossless", tk.BooleanVar(self, False))
        self.lossless_check = ttk.Checkbutton(self, text=_("Lossless"), variable=lossless)
        self.lossless_check.grid(row=2, column=1, sticky="w")
        self._widgets["lossless"] = [self.lossless_check]

    def _label_row(self, box: tk.Misc, row: int, text: str, widget: tk.Widget, key: str) -> None:
        label = ttk.Label(box, text=text)
        label.grid(row=row, column=0, sticky="w", padx=(0, 8), pady=2)
        widget.grid(row=row, column=1, sticky="ew", pady=2)
        self._widgets.setdefault(key, []).extend([label, widget])

    def _build_format(self, spec: formats.FormatSpec) -> ttk.Frame:
        frame = ttk.Frame(self)
        frame.columnconfigure(1, weight=1)
        row = 0
        for option in spec.options:
            if option.field in SHARED:
                continue
            key = self.key(spec.format, option.field)
            if option.kind == "bool":
                var = self._var(key, tk.BooleanVar(self, bool(option.default)))
                # Labels come from the (English) format modules; the catalog translates them.
                check = ttk.Checkbutton(frame, text=_(option.label), variable=var)
                check.grid(row=row, column=1, sticky="w", pady=1)
                self._widgets[key] = [check]
            elif option.kind == "choice":
                var = self._var(key, tk.StringVar(self, str(option.default)))
                box = ttk.Combobox(
                    frame, textvariable=var, values=list(option.choices), state="readonly", width=12
                )
                self._label_row(frame, row, _(option.label), box, key)
            else:
                default = "" if option.default is None else str(option.default)
                var = self._var(key, tk.StringVar(self, default))
                spin = ttk.Spinbox(
                    frame, textvariable=var, from_=option.low or 0, to=option.high or 100, width=8
                )
                self._label_row(frame, row, _(option.label), spin, key)
            row += 1
        return frame

    def show_advanced(self, on: bool) -> None:
        """Show or hide the encoder jargon (:data:`formats.ADVANCED_OPTIONS`); hidden
        ones keep their values."""
        for spec in formats.SPECS.values():
            for option in spec.options:
                if option.field in formats.ADVANCED_OPTIONS:
                    for widget in self._widgets.get(self.key(spec.format, option.field), []):
                        if on:
                            widget.grid()
                        else:
                            widget.grid_remove()
        self.advanced = on

    @staticmethod
    def key(fmt: OutputFormat, field: str) -> str:
        """The variable name of ``fmt``'s option ``field`` (``"png.png_effort"``)."""
        return f"{fmt.value}.{field}"

    # -- behaviour ------------------------------------------------------------------

    def _snap_quality(self, _value: str) -> None:
        value = round(float(self.quality_scale.get()))
        if self.vars["quality"].get() != value:
            self.vars["quality"].set(value)

    def _format_chosen(self, *_args: object) -> None:
        if not self._loading:
            self._sync()

    def _sync(self) -> None:
        """Follow the format list: show the chosen format's options (Tk may call the
        panel's trace before ours, so every reader syncs first)."""
        fmt = self.labels.get(self.vars["format"].get())
        if fmt is None or fmt == self._format:
            return
        spec = formats.spec_for(fmt)
        if not spec.available():
            self.note.configure(text=f"{spec.label}: {formats.unavailable_why(spec)}")
            self.vars["format"].set(self._label_of(self._format))
            return
        old = formats.spec_for(self._format)
        old_quality, new_quality = old.option("quality"), spec.option("quality")
        if old_quality and new_quality and self.vars["quality"].get() == old_quality.default:
            # An untouched quality follows the format (AVIF's default is not JPEG's).
            self.vars["quality"].set(new_quality.default)
        self.note.configure(text="")
        self._show(fmt)

    def _label_of(self, fmt: OutputFormat) -> str:
        return next(label for label, f in self.labels.items() if f == fmt)

    def _show(self, fmt: OutputFormat) -> None:
        self._frames[self._format].grid_remove()
        self._format = fmt
        self._frames[fmt].grid(row=3, column=0, columnspan=2, sticky="ew")
        if not self._loading:
            self.update_states()

    @property
    def current_format(self) -> OutputFormat:
        if not self._loading:
            self._sync()
        return self._format

    def update_states(self) -> None:
        """Enable what applies to the chosen format with the other options as they are."""
        spec = formats.spec_for(self.current_format)
        opts = self.get_options(EncodeOptions())
        for field in SHARED:
            self._enable(field, spec.applies(field, opts))
        for option in spec.options:
            if option.field not in SHARED:
                self._enable(self.key(spec.format, option.field), spec.applies(option.field, opts))
        self._enable_widget(self.animated_check, spec.animated)

    def _enable(self, key: str, on: bool) -> None:
        for widget in self._widgets.get(key, []):
            self._enable_widget(widget, on)

    @staticmethod
    def _enable_widget(widget: tk.Widget, on: bool) -> None:
        if isinstance(widget, ttk.Combobox):
            widget.configure(state="readonly" if on else "disabled")
        elif isinstance(widget, ttk.Widget):
            widget.state(["!disabled"] if on else ["disabled"])

    # -- EncodeOptions in and out -----------------------------------------------------

    def set_options(self, opts: EncodeOptions, *, animated: bool = True) -> None:
        """Show ``opts`` (and the animation switch) in the widgets."""
        self._loading = True
        try:
            self.vars["format"].set(self._label_of(opts.format))
            self.vars["quality"].set(opts.quality)
            self.vars["lossless"].set(opts.lossless)
            self.vars["animated"].set(animated)
            for spec in formats.SPECS.values():
                for option in spec.options:
                    if option.field in SHARED:
                        continue
                    value = getattr(opts, option.field)
                    var = self.vars[self.key(spec.format, option.field)]
                    var.set("" if value is None else value)
            self._show(opts.format)
        finally:
            self._loading = False
        spec = formats.spec_for(opts.format)
        why = "" if spec.available() else f"{spec.label}: {formats.unavailable_why(spec)}"
        self.note.configure(text=why)
        self.update_states()

    def get_options(self, base: EncodeOptions) -> EncodeOptions:
        """``base`` with the chosen format and its options from the widgets.

        A number that does not parse or is out of range keeps ``base``'s value.
        """
        spec = formats.spec_for(self.current_format)
        values: dict[str, Any] = {"format": spec.format}
        for option in spec.options:
            if option.field in SHARED:
                var = self.vars[option.field]
            else:
                var = self.vars[self.key(spec.format, option.field)]
            value = self._read(option, var, getattr(base, option.field))
            values[option.field] = value
        return dataclasses.replace(base, **values)

    @property
    def animated(self) -> bool:
        return bool(self.vars["animated"].get())

    @staticmethod
    def _read(option: formats.OptionSpec, var: tk.Variable, old: Any) -> Any:
        raw = var.get()
        if option.kind == "bool":
            return bool(raw)
        if option.kind == "choice":
            return raw if raw in option.choices else old
        text = str(raw).strip()
        if text == "" and option.default is None:
            return None  # an optional number left empty: off (WebP near-lossless)
        try:
            value = int(float(text))
        except ValueError:
            return old
        return value if option.check(value) is None else old
