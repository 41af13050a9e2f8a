"""The outputs list: the recipe's outputs, one of them edited at a time.

Each input makes every output listed here. The selected output is edited with
the settings panel below (the controller copies it in and out); Add, Duplicate,
Remove and the arrows change the list; "Add set" appends a built-in set
(responsive, favicon, social) in one click. What is shared by all outputs
(background removal, metadata, colour, animation) is edited on any of them and
applies to all (:meth:`OutputsPanel.recipe`).
"""

from __future__ import annotations

import dataclasses
import tkinter as tk
from tkinter import ttk
from typing import TYPE_CHECKING

from ..core import formats
from ..core.recipe import SETS, SHARED_FIELDS, Recipe, builtin_set
from ..core.settings import DEFAULT_SETTINGS, ResizeMode, Settings
from ..i18n import N_, _, text_columns

if TYPE_CHECKING:
    from collections.abc import Callable

NEW_OUTPUT_SUFFIX = "-{n}"


def describe(out: Settings) -> str:
    """A short line for the list: format, size, name (e.g. "WEBP · 480 px wide · name-480.webp")."""
    r = out.resize
    if r.mode == ResizeMode.FIT and bool(r.width) != bool(r.height):
        box = f"{r.width} px wide" if r.width else f"{r.height} px high"
    elif r.mode in (ResizeMode.FIT, ResizeMode.FILL, ResizeMode.PAD) and (r.width or r.height):
        box = f"{r.width}×{r.height} {r.mode.value}"
    elif r.mode == ResizeMode.MAX_SIDE and r.size:
        box = f"≤{r.size} px"
    elif r.mode == ResizeMode.PERCENT and r.percent:
        box = f"{r.percent:g}%"
    else:
        box = _("full size")
    name = out.name_template.replace("{stem}", "name").replace(
        "{ext}", formats.spec_for(out.encode.format).extension
    )
    target = f" · ≤{out.max_kb} KB" if out.max_kb else ""
    return f"{out.encode.format.value.upper()} · {box}{target} · {name}"


class OutputsPanel(ttk.LabelFrame):
    """The list of outputs with its buttons; ``on_select(index)`` when the selection moves."""

    def __init__(
        self,
        master: tk.Misc,
        *,
        on_select: Callable[[int], None],
        on_change: Callable[[], None],
    ) -> None:
        super().__init__(master, text=_("Outputs of each image"), padding=6)
        self._on_select, self._on_change = on_select, on_change
        self.outputs: list[Settings] = [DEFAULT_SETTINGS]
        self.manifest: str | None = None
        self.index = 0
        self.listbox = tk.Listbox(self, height=3, exportselection=False, activestyle="none")
        self.listbox.grid(row=0, column=0, columnspan=6, sticky="ew")
        self.listbox.bind("<<ListboxSelect>>", self._picked)
        buttons = [
            (N_("Add"), self.add),
            (N_("Duplicate"), self.duplicate),
            (N_("Remove"), self.remove),
            ("▲", lambda: self.move(-1)),
            ("▼", lambda: self.move(1)),
        ]
        self.buttons: dict[str, ttk.Button] = {}
        for col, (text, command) in enumerate(buttons):
            label = _(text)  # the dict below keeps the English names
            button = ttk.Button(self, text=label, command=command, width=text_columns(label) + 2)
            button.grid(row=1, column=col, sticky="w", pady=(4, 0), padx=(0, 4))
            self.buttons[text] = button
        self.set_button = ttk.Menubutton(self, text=_("Add set"))
        menu = tk.Menu(self.set_button, tearoff=False)
        for name, (what, _make) in SETS.items():
            menu.add_command(label=f"{name}: {what}", command=self._set_adder(name))
        self.set_button.configure(menu=menu)
        self.set_button.grid(row=1, column=5, sticky="e", pady=(4, 0))
        # The <picture> HTML of the last batch's responsive sets (core/srcset.py), made
        # when asked: it may read the sizes of outputs that were already up to date.
        self._html: Callable[[], str] | None = None
        self.copy_html_button = ttk.Button(
            self, text=_("Copy HTML"), command=self.copy_html, state="disabled"
        )
        self.copy_html_button.grid(row=2, column=0, columnspan=6, sticky="w", pady=(4, 0))
        self.columnconfigure(5, weight=1)
        self._refresh()

    # -- the recipe ----------------------------------------------------------------

    @property
    def selected(self) -> Settings:
        return self.outputs[self.index]

    def recipe(self) -> Recipe:
        """Every output, the selected one's shared fields applied to all."""
        shared = {name: getattr(self.selected, name) for name in SHARED_FIELDS}
        outs = tuple(dataclasses.replace(o, **shared) for o in self.outputs)
        return Recipe(outs, manifest=self.manifest)

    def set_recipe(self, recipe: Recipe) -> None:
        self.outputs = list(recipe.outputs)
        self.manifest = recipe.manifest
        self.index = 0
        self._refresh()
        self._on_select(0)

    def update_selected(self, out: Settings) -> None:
        """The settings panel changed the selected output."""
        if out != self.outputs[self.index]:
            self.outputs[self.index] = out
            self._refresh()

    # -- the last batch's HTML -----------------------------------------------------

    def offer_html(self, make: Callable[[], str] | None) -> None:
        """Enable *Copy HTML* with ``make`` giving the text (None: nothing to copy)."""
        self._html = make
        self.copy_html_button.state(["!disabled"] if make else ["disabled"])

    def copy_html(self) -> str:
        """Put the ``<picture>`` HTML on the system clipboard; returns it."""
        text = self._html() if self._html else ""
        if text:
            self.clipboard_clear()
            self.clipboard_append(text)
        return text

    # -- buttons -------------------------------------------------------------------

    def add(self) -> None:
        n = len(self.outputs) + 1
        suffix = NEW_OUTPUT_SUFFIX.format(n=n)
        fresh = dataclasses.replace(self.selected, name_template="{stem}" + suffix + ".{ext}")
        self._insert(fresh)

    def duplicate(self) -> None:
        copy = self.selected
        stem, dot, ext = copy.name_template.rpartition(".")
        name = f"{stem}-copy{dot}{ext}" if dot else copy.name_template + "-copy"
        self._insert(dataclasses.replace(copy, name_template=name))

    def remove(self) -> None:
        if len(self.outputs) == 1:
            return  # a recipe always has an output
        del self.outputs[self.index]
        if self.manifest and not any(o.encode.format.value == "png" for o in self.outputs):
            self.manifest = None
        self.index = min(self.index, len(self.outputs) - 1)
        self._changed_selection()

    def move(self, step: int) -> None:
        j = self.index + step
        if not 0 <= j < len(self.outputs):
            return
        self.outputs[self.index], self.outputs[j] = self.outputs[j], self.outputs[self.index]
        self.index = j
        self._refresh()
        self._on_change()

    def add_set(self, name: str) -> None:
        """Append a built-in set (keeping what the selected output shares with all)."""
        extra = builtin_set(name, self.selected)
        if len(self.outputs) == 1 and self.outputs[0] == DEFAULT_SETTINGS:
            self.outputs = []  # the untouched default output gives way to the set
        self.outputs.extend(extra.outputs)
        self.manifest = self.manifest or extra.manifest
        self.index = len(self.outputs) - len(extra.outputs)
        self._changed_selection()

    def _set_adder(self, name: str) -> Callable[[], None]:
        return lambda: self.add_set(name)

    def _insert(self, out: Settings) -> None:
        self.index += 1
        self.outputs.insert(self.index, out)
        self._changed_selection()

    def _changed_selection(self) -> None:
        self._refresh()
        self._on_select(self.index)
        self._on_change()

    def _picked(self, _event: object = None) -> None:
        chosen = self.listbox.curselection()
        if chosen and chosen[0] >= len(self.outputs):  # the manifest line: not editable
            self._refresh()
        elif chosen and chosen[0] != self.index:
            self.index = int(chosen[0])
            self._on_select(self.index)

    def _refresh(self) -> None:
        self.listbox.delete(0, "end")
        for n, out in enumerate(self.outputs, start=1):
            self.listbox.insert("end", f"{n}. {describe(out)}")
        if self.manifest:
            line = _("+ {manifest} (lists the PNG icons)").format(manifest=self.manifest)
            self.listbox.insert("end", line)
            self.listbox.itemconfigure("end", foreground="#777777")
        self.listbox.configure(height=min(6, max(2, len(self.outputs) + bool(self.manifest))))
        self.listbox.selection_clear(0, "end")
        self.listbox.selection_set(self.index)
        self.listbox.see(self.index)
        self.buttons["Remove"].state(["disabled" if len(self.outputs) == 1 else "!disabled"])
