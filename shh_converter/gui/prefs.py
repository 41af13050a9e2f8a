"""What the window remembers (through the config sidecar) and the named presets.

:class:`Prefs` is a thin typed layer over ``shh_converter.sidecars.config``: the window
reads and writes its keys here, in one place, so the key names are not spread
over the widgets. Presets are whole :class:`Settings` stored by name; built-ins
cannot be deleted or overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..core.checks import check_fields
from ..core.settings import (
    BackgroundMode,
    BackgroundRemoval,
    EncodeOptions,
    OutputFormat,
    ResizeMode,
    ResizeOptions,
    Settings,
)

log = logging.getLogger(__name__)

BUILTIN_PRESETS: dict[str, Settings] = {
    "Web 1600 WebP": Settings(
        encode=EncodeOptions(format=OutputFormat.WEBP, quality=82),
        resize=ResizeOptions(mode=ResizeMode.MAX_SIDE, size=1600, upscale=False),
    ),
    "Product cut-out": Settings(
        encode=EncodeOptions(format=OutputFormat.WEBP, quality=90),
        resize=ResizeOptions(mode=ResizeMode.MAX_SIDE, size=1200, upscale=False),
        background_removal=BackgroundRemoval(
            enabled=True, mode=BackgroundMode.AI, model="u2netp", trim=True, trim_padding="4%"
        ),
    ),
    "Email JPEG 1280": Settings(
        encode=EncodeOptions(format=OutputFormat.JPEG, quality=80),
        resize=ResizeOptions(mode=ResizeMode.MAX_SIDE, size=1280, upscale=False),
    ),
    "Thumbnail 400 WebP": Settings(
        encode=EncodeOptions(format=OutputFormat.WEBP, quality=75),
        resize=ResizeOptions(mode=ResizeMode.FIT, width=400, height=400, upscale=False),
    ),
    "Lossless PNG": Settings(encode=EncodeOptions(format=OutputFormat.PNG)),
}


def load_config() -> Any:
    """The app's config object (defaults written on first run; never raises for bad files)."""
    from ..sidecars import config

    return config.load()


class Prefs:
    """Typed access to the GUI's keys in the config."""

    def __init__(self, cfg: Any) -> None:
        self.cfg = cfg
        self._reported: set[str] = set()  # problems of saved settings already reported

    def _get(self, key: str, default: Any = None) -> Any:
        try:
            value = self.cfg.get(key)
        except (KeyError, ValueError):
            return default
        return default if value is None else value

    def _set(self, key: str, value: Any) -> None:
        try:
            self.cfg.set(key, value)
        except (KeyError, ValueError) as exc:
            log.warning("cannot remember %s: %s", key, exc)

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
        return BUILTIN_PRESETS["Web 1600 WebP"]

    def _checked(
        self, key: str, data: dict[str, Any], put_back: Callable[[Settings], Any]
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
                add_notice(f"Some saved settings could not be used and were reset:\n{lines}")
        return checked.value

    def set_settings(self, settings: Settings) -> None:
        self._set("ui.settings", settings.to_dict())

    # -- presets ---------------------------------------------------------------

    def _user_presets(self) -> dict[str, dict[str, Any]]:
        data = self._get("ui.presets", {})
        return dict(data) if isinstance(data, dict) else {}

    def preset_names(self) -> list[str]:
        return list(BUILTIN_PRESETS) + sorted(
            n for n in self._user_presets() if n not in BUILTIN_PRESETS
        )

    def preset(self, name: str) -> Settings | None:
        if name in BUILTIN_PRESETS:
            return BUILTIN_PRESETS[name]
        data = self._user_presets().get(name)
        if not isinstance(data, dict):
            return None
        return self._checked(f"ui.presets.{name}", data, lambda s: self.save_preset(name, s))

    def save_preset(self, name: str, settings: Settings) -> bool:
        """Store a user preset; False for an empty name or a built-in's name."""
        name = name.strip()
        if not name or name in BUILTIN_PRESETS:
            return False
        presets = self._user_presets()
        presets[name] = settings.to_dict()
        self._set("ui.presets", presets)
        return True

    def delete_preset(self, name: str) -> bool:
        presets = self._user_presets()
        if name not in presets:
            return False
        del presets[name]
        self._set("ui.presets", presets)
        return True

    def save(self) -> None:
        try:
            self.cfg.save()
        except OSError as exc:
            log.warning("could not save the config: %s", exc)
