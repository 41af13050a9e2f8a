"""Translations: gettext catalogs for the window and the command line's messages.

``from shh_converter.i18n import _, ngettext`` and wrap every string meant for
people. The language is chosen once per process, before the window's modules are
imported (their module-level tables of labels are translated at import):

1. ``$SHH_CONVERTER_UI__LANGUAGE`` (the config's usual environment override),
2. the config's ``ui.language`` (Preferences; ``"auto"`` = follow the system), which
   the caller reads (``sidecars.config.language_from``) and passes to :func:`setup`,
3. the system language: ``LANGUAGE``/``LC_ALL``/``LC_MESSAGES``/``LANG``, on Windows
   the user's UI language (``GetUserDefaultUILanguage``), on macOS the first of
   ``AppleLanguages`` in the global preferences,
4. English.

Catalogs live in ``shh_converter/locale/<lang>/LC_MESSAGES/shh_converter.mo``,
compiled from the ``.po`` sources with Babel (``pybabel compile``) and committed, so a
clean clone, a wheel and the PyInstaller bundle all ship them without a build step.
Messages the engine (``core``) puts in results stay English: they are data, logged
and written to JSON reports, where one language is easier to search. So do the CLI's
per-file lines (``converted:``, ``skipped:``, ``failed: FILE: reason``), its tables
and its JSON, which scripts parse; its errors, warnings, summaries and help are
translated.

Only the environment-variable look-up (Linux) is exercised by the tests here; the
Windows and macOS branches follow those systems' documentation, unverified.
"""

from __future__ import annotations

import gettext
import locale
import logging
import os
import sys
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

DOMAIN = "shh_converter"
ENV = "SHH_CONVERTER_UI__LANGUAGE"
AUTO = "auto"
# Code -> the language's own name (shown in Preferences in every language).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "es": "Español",
    "fr": "Français",
    "ja": "日本語",
}

_translation: gettext.NullTranslations | None = None
_language = "en"


def locale_dir() -> Path:
    """The folder of compiled catalogs (source checkout, wheel or frozen bundle alike)."""
    return Path(__file__).resolve().parent / "locale"


def normalise(code: str | None) -> str | None:
    """``"de_DE.UTF-8"``, ``"de-AT"``, ``"ja"`` -> a supported code, or None."""
    if not code:
        return None
    base = code.replace("-", "_").split(".")[0].split("@")[0].split("_")[0].lower()
    return base if base in LANGUAGES else None


def system_language() -> str | None:
    """The user's language as the OS reports it (a supported code, or None)."""
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value and value not in ("C", "POSIX") and not value.startswith("C."):
            # LANGUAGE may list several ("fr:de:en"): the first supported one wins.
            for part in value.split(":"):
                found = normalise(part)
                if found:
                    return found
            return None  # the user chose a language we have no catalog for
    if sys.platform == "win32":
        return normalise(_windows_language())
    if sys.platform == "darwin":
        return normalise(_mac_language())
    return normalise(locale.getlocale()[0])


def _windows_language() -> str | None:
    try:
        import ctypes

        lcid = ctypes.windll.kernel32.GetUserDefaultUILanguage()  # type: ignore[attr-defined]
        return locale.windows_locale.get(int(lcid))
    except (AttributeError, OSError, ValueError):
        return None


def _mac_language() -> str | None:
    """First entry of AppleLanguages (GUI apps on macOS usually get no LANG)."""
    import plistlib

    prefs = Path.home() / "Library" / "Preferences" / ".GlobalPreferences.plist"
    try:
        with prefs.open("rb") as fh:
            languages = plistlib.load(fh).get("AppleLanguages") or []
    except (OSError, ValueError, plistlib.InvalidFileException):
        return None
    return str(languages[0]) if languages else None


def choose(setting: str | None) -> str:
    """The language to use for ``setting`` (a code or ``"auto"``), environment first."""
    for wanted in (os.environ.get(ENV), setting):
        if wanted and wanted != AUTO:
            found = normalise(wanted)
            if found:
                return found
            log.warning("no translation for language %r: using the system language", wanted)
    return system_language() or "en"


def setup(setting: str | None = None) -> str:
    """Load the catalog for ``setting`` (see :func:`choose`); returns the code in use."""
    global _translation, _language
    language = choose(setting)
    _translation = gettext.translation(
        DOMAIN, localedir=str(locale_dir()), languages=[language], fallback=True
    )
    if language != "en" and not isinstance(_translation, gettext.GNUTranslations):
        log.warning("catalog for %s missing from %s: English", language, locale_dir())
        language = "en"
    _language = language
    return language


def current_language() -> str:
    """The code of the language in use (set up from the environment on first use)."""
    _catalog()
    return _language


def _catalog() -> gettext.NullTranslations:
    # Without an explicit setup (tests, library use) follow the environment and system.
    if _translation is None:
        setup(None)
    assert _translation is not None
    return _translation


def _(message: str) -> str:
    """``message`` in the user's language (itself when there is no translation)."""
    return _catalog().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural form for ``n``, as the language counts."""
    return _catalog().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` translated for ``context`` (the same English, said differently in a
    narrow place: a drop zone's button against the menu item)."""
    return _catalog().pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for extraction only; translate it later with :func:`_`."""
    return message


def mnemonic(text: str, key: str = "label") -> dict[str, Any]:
    """``"&File"`` -> ``{"label": "File", "underline": 0}`` for Tk menus (``key="text"``
    for buttons).

    The ``&`` marks the access key inside the translated text, so each language
    picks its own letter (Japanese: ``"ファイル(&F)"``); without one, nothing is underlined.
    """
    at = text.find("&")
    if at < 0:
        return {key: text, "underline": -1}
    return {key: text[:at] + text[at + 1 :], "underline": at}


def text_columns(text: str) -> int:
    """Character cells ``text`` takes: two for each wide (CJK) character, one otherwise.

    For Tk's ``width=N`` (in average character widths), so a Japanese label sized
    from its length is not clipped.
    """
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
