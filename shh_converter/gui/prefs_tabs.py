"""The Preferences dialog and its tabs: General (switches, language) and Models.

:class:`PreferencesDialog` builds the dialog and its switches; this module puts a
notebook into it, owns the language chooser (``ui.language``: "auto" follows the
system) and adds :class:`~.models_page.ModelsPage` as the Models tab.
"""

from __future__ import annotations

import logging
import tkinter as tk
from tkinter import ttk
from typing import TYPE_CHECKING

from ..i18n import AUTO, LANGUAGES, _
from .dialogs import Dialog
from .models_page import ModelsPage
from .watching import add_page as add_watch_page

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ..sidecars.config import Config
    from .pump import Post

log = logging.getLogger(__name__)


class PreferencesDialog(Dialog):
    """Yes/no switches for config flags (``keys``: (config key, label)), the language,
    and (given the UI queue's ``post``) the Models tab."""

    def __init__(
        self,
        master: tk.Misc,
        cfg: Config,
        keys: Sequence[tuple[str, str]],
        on_saved: Callable[[], None],
        post: Post | None = None,
    ) -> None:
        super().__init__(master, _("Preferences"))
        self._cfg = cfg
        self._on_saved = on_saved
        self.tabs = PreferenceTabs(self.body, cfg, post)
        self.switches: dict[str, tk.BooleanVar] = {}
        for key, label in keys:
            try:
                value = bool(cfg.get(key))
            except (KeyError, ValueError):
                continue
            var = tk.BooleanVar(self, value)
            ttk.Checkbutton(self.tabs.general, text=label, variable=var).pack(anchor="w", pady=2)
            self.switches[key] = var
        self.text(_("Some changes apply the next time the app starts."), foreground="#808080")
        self.save_btn = self.button(_("Save"), self.save, accent=True)
        self.button(_("Cancel"), self.destroy)

    def save(self) -> None:
        for key, var in self.switches.items():
            try:
                self._cfg.set(key, bool(var.get()))
            except (KeyError, ValueError) as exc:
                log.warning("cannot set %s: %s", key, exc)
        self.tabs.save()
        self._on_saved()
        self.destroy()


class PreferenceTabs:
    """A notebook in a dialog's ``body``: ``general`` (a frame for switches) and ``models``."""

    def __init__(self, body: tk.Misc, cfg: Config, post: Post | None) -> None:
        self.cfg = cfg
        self.notebook = ttk.Notebook(body)
        self.notebook.pack(fill="both", expand=True, pady=(0, 8))
        self.general = ttk.Frame(self.notebook, padding=8)
        self.notebook.add(self.general, text=_("General"))
        self.language = self._language_row(body)
        self.models: ModelsPage | None = None
        if post is not None:
            self.models = ModelsPage(self.notebook, post)
            self.notebook.add(self.models, text=_("Models"))
        self.watching = add_watch_page(self.notebook)  # "Watched folders" (gui/watching.py)

    def _language_row(self, master: tk.Misc) -> ttk.Combobox:
        self.choices = {AUTO: _("Automatic (the system's language)"), **LANGUAGES}
        row = ttk.Frame(self.general)
        row.pack(side="bottom", fill="x", pady=(10, 0))
        ttk.Label(row, text=_("Language")).pack(side="left")
        try:
            current = str(self.cfg.get("ui.language"))
        except (KeyError, ValueError):
            current = AUTO
        self.language_var = tk.StringVar(master, self.choices.get(current, self.choices[AUTO]))
        box = ttk.Combobox(
            row,
            textvariable=self.language_var,
            values=list(self.choices.values()),
            state="readonly",
            width=32,
        )
        box.pack(side="left", padx=8)
        return box

    def show_models(self) -> None:
        if self.models is not None:
            self.notebook.select(self.models)

    def save(self) -> None:
        """Write the chosen language into the config (applies at the next start)."""
        label = self.language_var.get()
        code = next((c for c, text in self.choices.items() if text == label), AUTO)
        try:
            self.cfg.set("ui.language", code)
        except (KeyError, ValueError) as exc:
            log.warning("cannot set the language: %s", exc)
