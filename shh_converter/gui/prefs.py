"""What the window remembers (through the config sidecar) and the named presets.

:class:`Prefs` is a thin typed layer over ``shh_converter.sidecars.config``: the window
reads and writes its keys here, in one place, so the key names are not spread
over the widgets. Presets are recipes (:mod:`shh_converter.core.presets`, the same
the CLI reads); built-ins cannot be deleted or overwritten.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import presets
from ..core.checks import check_fields
from ..core.errors import UsageError
from ..core.presets import PresetBook
from ..core.recipe import Recipe
from ..core.settings import DEFAULT_SETTINGS, Settings
from ..i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..sidecars.config import Config

log = logging.getLogger(__name__)


def load_config() -> Config:
    """The app's config object (defaults written on first run; never raises for bad files)."""
    from ..sidecars import config

    return config.load()


class Prefs:
    """Typed access to the GUI's keys in the config."""

    def __init__(self, cfg: Config) -> None:
        self.cfg = cfg
        self._reported: set[str] = set()  # problems of saved settings already reported

    def _get(self, key: str, default: object = None) -> Any:
        try:
            value = self.cfg.get(key)
        except (KeyError, ValueError):
            return default
        return default if value is None else value

    def _set(self, key: str, value: object) -> None:
        try:
            self.cfg.set(key, value)
        except (KeyError, ValueError) as exc:
            log.warning("cannot remember %s: %s", key, exc)

    @property
    def show_advanced(self) -> bool:
        """Preferences' "Show advanced options" (the encoder jargon in the settings)."""
        return bool(self._get("ui.show_advanced_options", False))

    @property
    def background_removal_enabled(self) -> bool:
        return bool(self._get("features.background_removal_enabled", True))

    def geometry(self) -> str | None:
        value = self._get("ui.window_geometry")
        return value if isinstance(value, str) and value else None

    def set_geometry(self, geometry: str) -> None:
        self._set("ui.window_geometry", geometry)

    def last_folder(self, which: str) -> Path | None:
        """``which`` is "input" or "output"; None when unknown or gone."""
        value = self._get(f"ui.last_{which}_dir")
        return Path(value) if value and Path(value).is_dir() else None

    def set_last_folder(self, which: str, folder: Path) -> None:
        self._set(f"ui.last_{which}_dir", str(folder))

    def settings(self) -> Settings:
        """The last settings; a bad saved value takes its default (reported once), the rest kept."""
        data = self._get("ui.settings")
        if isinstance(data, dict):
            return self._checked("ui.settings", data, self.set_settings)
        return DEFAULT_SETTINGS

    def _checked(
        self, key: str, data: dict[str, object], put_back: Callable[[Settings], None]
    ) -> Settings:
        """``data`` as Settings, each value checked; problems go to the log and the user once.

        The repaired settings are written back at once (``put_back``, then saved), so
        the next start finds good values and says nothing.
        """
        checked = check_fields(Settings, data, prefix=key)
        if checked.problems:
            put_back(checked.value)
            self.save()
        fresh = [str(p) for p in checked.problems if str(p) not in self._reported]
        if fresh:
            self._reported.update(fresh)
            for text in fresh:
                log.warning("saved setting not usable: %s", text)
            add_notice = getattr(self.cfg, "add_notice", None)
            if add_notice is not None:  # shown once, when the window is up
                lines = "\n".join(f"\u2022 {t}" for t in fresh)
                text = _("Some saved settings could not be used and were reset:\n{lines}")
                add_notice(text.format(lines=lines))
        return checked.value

    def set_settings(self, settings: Settings) -> None:
        self._set("ui.settings", settings.to_dict())

    # -- the outputs list and presets (shared with the CLI: core/presets.py) -------

    def recipe(self) -> Recipe:
        """The last outputs list; a damaged one gives way to the last single settings."""
        data = self._get("ui.recipe")
        if isinstance(data, dict):
            try:
                return Recipe.from_dict(data, where="ui.recipe")
            except UsageError as exc:
                self._report_once(f"the saved outputs list was reset: {exc}")
        return Recipe.single(self.settings())

    def set_recipe(self, recipe: Recipe) -> None:
        self._set("ui.recipe", recipe.to_dict())
        self.set_settings(recipe.outputs[0])

    def presets(self) -> PresetBook:
        return PresetBook(lambda: self._get("ui.presets", {}), lambda d: self._set("ui.presets", d))

    def preset_names(self) -> list[str]:
        return self.presets().names()

    def preset(self, name: str) -> Recipe | None:
        """A preset by name; a damaged user preset is reported once and repaired (or None).

        Repaired: each bad value of a preset stored as whole settings takes its
        default, the rest is kept, and the repaired preset is saved, so the next start
        has nothing to report. A preset that cannot be repaired gives None.
        """
        try:
            return self.presets().get(name)
        except UsageError as exc:
            self._report_once(str(exc))
            return self._repaired_preset(name)

    def _repaired_preset(self, name: str) -> Recipe | None:
        stored = self._get("ui.presets", {})
        data = stored.get(name) if isinstance(stored, dict) else None
        if not isinstance(data, dict):
            return None
        outputs = data.get("outputs", [data])
        known = {f.name for f in dataclasses.fields(Settings)}
        if not isinstance(outputs, list) or not all(
            isinstance(o, dict) and set(o) <= known for o in outputs
        ):
            return None  # short keys ("q": 80) or other shapes: not ours to guess
        fixed = [check_fields(Settings, o).value.to_dict() for o in outputs]
        repaired = {**data, "outputs": fixed} if "outputs" in data else fixed[0]
        try:
            recipe = presets.recipe_from_data(repaired, f"preset {name!r}")
        except UsageError:
            return None
        stored[name] = repaired
        self._set("ui.presets", stored)
        self.save()
        return recipe

    def save_preset(self, name: str, recipe: Recipe) -> bool:
        """Store a user preset; False for an empty name or a built-in's name."""
        try:
            self.presets().save(name, recipe)
        except UsageError:
            return False
        return True

    def delete_preset(self, name: str) -> bool:
        return self.presets().delete(name)

    def _report_once(self, text: str) -> None:
        """Log a problem with saved data once, and have the window say it once."""
        if text not in self._reported:
            self._reported.add(text)
            log.warning("%s", text)
            add_notice = getattr(self.cfg, "add_notice", None)
            if add_notice is not None:
                add_notice(text)

    def save(self) -> None:
        try:
            self.cfg.save()
        except OSError as exc:
            log.warning("could not save the config: %s", exc)
