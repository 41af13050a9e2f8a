"""Presets: named recipes, shared by the window and the CLI.

Built-ins live here (:data:`BUILTIN`); the user's live in the config under
``ui.presets`` as ``{name: recipe dict}`` (:meth:`Recipe.to_dict`; a plain Settings
dict written by older versions is a one-output recipe). The core does not read
the config itself: :class:`PresetBook` is given the mapping and a way to store it
back, by the window's prefs and by ``shh-converter presets``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .recipe import Recipe, builtin_set
from .settings import (
    DEFAULT_SETTINGS,
    BackgroundMode,
    BackgroundRemoval,
    EncodeOptions,
    OutputFormat,
    ResizeMode,
    ResizeOptions,
    Settings,
)

if TYPE_CHECKING:
    from pathlib import Path


def _one(**kw: Any) -> Recipe:
    return Recipe.single(Settings(**kw))


BUILTIN: dict[str, Recipe] = {
    "Web 1600 WebP": Recipe.single(DEFAULT_SETTINGS),  # the default recipe
    "Product cut-out": _one(
        encode=EncodeOptions(format=OutputFormat.WEBP, quality=90),
        resize=ResizeOptions(mode=ResizeMode.MAX_SIDE, size=1200, upscale=False),
        background_removal=BackgroundRemoval(
            enabled=True, mode=BackgroundMode.AI, model="u2netp", trim=True, trim_padding="4%"
        ),
    ),
    "Email JPEG 1280": _one(
        encode=EncodeOptions(format=OutputFormat.JPEG, quality=80),
        resize=ResizeOptions(mode=ResizeMode.MAX_SIDE, size=1280, upscale=False),
    ),
    "Thumbnail 400 WebP": _one(
        encode=EncodeOptions(format=OutputFormat.WEBP, quality=75),
        resize=ResizeOptions(mode=ResizeMode.FIT, width=400, height=400, upscale=False),
    ),
    "Lossless PNG": _one(encode=EncodeOptions(format=OutputFormat.PNG)),
    "Responsive images (srcset)": builtin_set("responsive", DEFAULT_SETTINGS),
    "Favicon set": builtin_set("favicon", DEFAULT_SETTINGS),
    "Social media sizes": builtin_set("social", DEFAULT_SETTINGS),
}
DEFAULT = "Web 1600 WebP"  # the preset that is DEFAULT_SETTINGS


def recipe_from_data(data: Any, where: str) -> Recipe:
    """A stored preset as a recipe, strictly checked (UsageError names the output and field)."""
    if not isinstance(data, Mapping):
        msg = f"{where}: a preset must be an object"
        raise UsageError(msg)
    if "outputs" not in data:  # older versions stored one Settings dict
        data = {"outputs": [dict(data)]}
    return Recipe.from_dict(data, where=where)


class PresetBook:
    """Built-in and user presets by name, over the user's stored mapping."""

    def __init__(
        self,
        stored: Callable[[], Mapping[str, Any]],
        store: Callable[[dict[str, Any]], None],
    ) -> None:
        self._stored, self._store = stored, store

    def _user(self) -> dict[str, Any]:
        data = self._stored()
        return dict(data) if isinstance(data, Mapping) else {}

    def names(self) -> list[str]:
        user = sorted(n for n in self._user() if n not in BUILTIN)
        return [*BUILTIN, *user]

    def is_builtin(self, name: str) -> bool:
        return name in BUILTIN

    def get(self, name: str) -> Recipe:
        """The preset ``name`` (UsageError when unknown or damaged)."""
        if name in BUILTIN:
            return BUILTIN[name]
        user = self._user()
        if name not in user:
            msg = f"unknown preset {name!r} (see 'shh-converter presets list')"
            raise UsageError(msg)
        return recipe_from_data(user[name], f"preset {name!r}")

    def save(self, name: str, recipe: Recipe) -> None:
        """Store a user preset (UsageError for an empty name or a built-in's)."""
        name = name.strip()
        if not name:
            msg = "a preset needs a name"
            raise UsageError(msg)
        if name in BUILTIN:
            msg = f"{name!r} is a built-in preset: choose another name"
            raise UsageError(msg)
        user = self._user()
        user[name] = recipe.to_dict()
        self._store(user)

    def delete(self, name: str) -> bool:
        user = self._user()
        if name not in user:
            return False
        del user[name]
        self._store(user)
        return True

    def export(self, name: str, path: Path) -> None:
        """Write the preset as a JSON recipe file (``--recipe`` reads it back)."""
        data = {"name": name, **self.get(name).to_dict()}
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def import_file(self, path: Path, name: str | None = None) -> str:
        """Store the preset in ``path`` (its own name, or ``name``); returns the name."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            msg = f"cannot read the preset file {path}: {exc}"
            raise UsageError(msg) from None
        if not isinstance(data, dict):
            msg = f"{path}: a preset file holds an object"
            raise UsageError(msg)
        chosen = (name or str(data.pop("name", "") or path.stem)).strip()
        data.pop("name", None)
        self.save(chosen, recipe_from_data(data, f"{path.name}"))
        return chosen
