"""The output formats: one module each, registered in :mod:`.registry`.

``formats.SPECS``, ``formats.spec_for(...)`` and the rest of the registry's names
are read through this package; the registry is imported on first use. The
package itself imports nothing at start, because :mod:`..settings` is built from
its plain-data modules (:mod:`.names`, :mod:`.options`) while the format modules
read settings: Python runs a package's ``__init__`` before any of its modules, so
an ``__init__`` that imported the registry would make settings wait for itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # what mypy sees; at run time __getattr__ below fetches the same names
    from . import avif, base, gif, ico, jpeg, jxl, png, webp
    from .registry import (
        ADVANCED_OPTIONS,
        SPECS,
        FormatSpec,
        OptionSpec,
        all_options,
        available_formats,
        chroma,
        default_options,
        field_names,
        format_named,
        jpeg_qtables,
        normalise_mode,
        oxipng_runs,
        photo_source,
        problems,
        save_options,
        spec_for,
        unavailable_why,
    )
else:

    def __getattr__(name: str) -> object:
        """A name of the registry (or a format's module), importing the registry once."""
        if name == "registry":  # not imported yet: ``from . import registry`` asks first
            raise AttributeError(name)
        from . import registry

        return getattr(registry, name)


__all__ = [
    "ADVANCED_OPTIONS",
    "SPECS",
    "FormatSpec",
    "OptionSpec",
    "all_options",
    "available_formats",
    "avif",
    "base",
    "chroma",
    "default_options",
    "field_names",
    "format_named",
    "gif",
    "ico",
    "jpeg",
    "jpeg_qtables",
    "jxl",
    "normalise_mode",
    "oxipng_runs",
    "photo_source",
    "png",
    "problems",
    "save_options",
    "spec_for",
    "unavailable_why",
    "webp",
]
