"""Translations: every catalog covers every message, keeps its placeholders, is compiled.

The messages are extracted from the source right here with Babel (as
``scripts/translations.py`` does), so a newly marked string without a translation,
a translation that drops ``{name}`` or ``%s``, or a ``.po`` edit without a new
``.mo`` fails this test rather than a user's window.
"""

from __future__ import annotations

import gettext
import locale
import os
import re
from typing import TYPE_CHECKING

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from support import REPO, run_cli

from shh_converter import i18n

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from babel.messages.catalog import Catalog

LOCALE = REPO / "shh_converter" / "locale"
TRANSLATED = [code for code in i18n.LANGUAGES if code != "en"]
# {name}, {size:.1f}, %s, %d, %(name)s: what .format() and % fill in.
PLACEHOLDER = re.compile(
    r"\{[A-Za-z_][A-Za-z0-9_]*(?:![rsa])?(?::[^{}]*)?\}|%(?:\([a-z_]+\))?[sdifr]|%%"
)

Key = tuple[str | None, str | tuple[str, ...]]  # (context, id; a tuple for plurals)


def extracted() -> dict[Key, tuple[str, ...]]:
    """Every marked message in the package: (context, id) -> its forms."""
    found: dict[Key, tuple[str, ...]] = {}
    method_map = [("**.py", "python")]
    for _file, _line, message, _comments, context in extract_from_dir(
        str(REPO / "shh_converter"), method_map
    ):
        forms = (message,) if isinstance(message, str) else tuple(m for m in message if m)
        found[(context, forms[0] if len(forms) == 1 else forms)] = forms
    return found


def catalog(code: str) -> Catalog:
    with (LOCALE / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.po").open("rb") as fh:
        return read_po(fh, locale=code)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


class _AnyKey(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "x"


def percent_formats(text: str) -> bool:
    """Whether ``text`` survives ``%`` formatting (argparse formats every help text)."""
    try:
        text % _AnyKey()
    except (ValueError, TypeError, KeyError):
        return False
    return True


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv(i18n.ENV)  # conftest pins English through it; these tests choose
    yield
    i18n.setup("en")  # leave the process in English for the tests that follow


def test_there_is_something_to_translate() -> None:
    messages = extracted()
    assert len(messages) > 50
    assert (None, "Download") in messages and (None, "Language") in messages


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalog_covers_every_message_and_keeps_placeholders(code: str) -> None:
    po = catalog(code)
    problems = []
    for (context, key), forms in extracted().items():
        message = po.get(key if isinstance(key, str) else key[0], context=context)
        if message is None or not message.string:
            problems.append(f"untranslated: {key!r}")
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {key!r}")
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        if not all(strings):
            problems.append(f"a plural form missing: {key!r}")
        wanted = set().union(*(placeholders(f) for f in forms))
        if percent_formats(forms[0]) and not all(percent_formats(t) for t in strings):
            problems.append(f"a lone % breaks %-formatting (write %%): {strings!r}")
        for text in strings:
            # A plural form may leave the number out ("one file"), never add or rename one.
            got = placeholders(text)
            if got != wanted and not (len(forms) > 1 and got < wanted):
                problems.append(f"placeholders {sorted(got)} != {sorted(wanted)} in {text!r}")
    assert not problems, f"{code}: " + "\n".join(problems)


@pytest.mark.parametrize("code", TRANSLATED)
def test_compiled_catalog_matches_its_source(code: str) -> None:
    """The committed .mo holds exactly the .po's translations (run scripts/translations.py)."""
    mo = LOCALE / code / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    with mo.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    for message in catalog(code):
        if not message.id:
            continue
        if message.context:
            assert isinstance(message.id, str)
            assert compiled.pgettext(message.context, message.id) == message.string
        elif isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, message.id
        else:
            plurals = message.string
            assert isinstance(plurals, (tuple, list))
            for n, form in ((1, 0), (2, 1)):
                want = plurals[min(form, len(plurals) - 1)]
                assert compiled.ngettext(message.id[0], message.id[1], n) == want


def test_every_language_loads_and_translates(english: None) -> None:
    for code in TRANSLATED:
        assert i18n.setup(code) == code
        assert i18n._("Download") != "Download", code
        assert i18n.current_language() == code
    assert i18n.setup("en") == "en" and i18n._("Download") == "Download"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANGUAGE": "pt_BR:fr:en", "LANG": "pt_BR.UTF-8"}, "fr"),  # first we have
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "de_DE.UTF-8"}, "ja"),  # LC_ALL beats LANG
        ({"LANG": "es_MX"}, "es"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "pt_PT.UTF-8"}, "en"),  # a language without a catalog: English
    ],
)
def test_language_follows_the_system(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], expected: str
) -> None:
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG", i18n.ENV):
        monkeypatch.delenv(var, raising=False)
    for var, value in environ.items():
        monkeypatch.setenv(var, value)
    monkeypatch.setattr(locale, "getlocale", lambda: (None, None))
    assert i18n.choose("auto") == expected


def test_setting_and_environment_override_the_system(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(i18n.ENV, raising=False)
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    assert i18n.choose("fr") == "fr"  # Preferences beat the system
    assert i18n.choose("de-AT") == "de"
    monkeypatch.setenv(i18n.ENV, "ja")
    assert i18n.choose("fr") == "ja"  # the environment beats Preferences (one run)
    monkeypatch.setenv(i18n.ENV, "xx")
    assert i18n.choose("auto") == "de"  # a bad override falls back, never fails


def test_config_language_is_used(app_home: Path, english: None) -> None:
    from shh_converter.sidecars import config

    cfg = config.load(environ={})
    cfg.set("ui.language", "es")
    with pytest.raises(ValueError):
        cfg.set("ui.language", "klingon")
    assert i18n.setup(config.language_from(cfg)) == "es"
    assert i18n._("Cancel") == "Cancelar"


def test_cli_messages_follow_the_language() -> None:
    done = run_cli("models", "verify", env={**os.environ, i18n.ENV: "de"})
    assert done.returncode == 0, done.stderr
    assert "1 geprüft, 0 beschädigt" in done.stdout and "u2netp: in Ordnung" in done.stdout
    english = run_cli("models", "verify", env={**os.environ, i18n.ENV: "en"})
    assert "1 checked, 0 damaged" in english.stdout


def test_mnemonic_marks_the_access_key() -> None:
    assert i18n.mnemonic("&File") == {"label": "File", "underline": 0}
    assert i18n.mnemonic("Pr&eferences…") == {"label": "Preferences…", "underline": 2}
    assert i18n.mnemonic("ファイル(&F)") == {"label": "ファイル(F)", "underline": 5}
    assert i18n.mnemonic("Plain") == {"label": "Plain", "underline": -1}
    assert i18n.mnemonic("&Convert", "text") == {"text": "Convert", "underline": 0}


def test_text_columns_count_wide_characters_twice() -> None:
    assert i18n.text_columns("Add") == 3
    assert i18n.text_columns("追加") == 4
    assert i18n.text_columns("Größe") == 5


def test_format_option_labels_are_translated() -> None:
    """The window shows core.formats' labels through _(): each must be a catalog message."""
    from shh_converter.core import formats

    labels = {spec.label for spec in formats.SPECS.values()} | {
        option.label for spec in formats.SPECS.values() for option in spec.options
    }
    names = {"WebP", "JPEG", "PNG", "AVIF", "GIF", "JPEG XL"}  # format names stay as they are
    missing = sorted(labels - names - {key for _ctx, key in extracted() if isinstance(key, str)})
    assert not missing, f"mark these with N_() in core/formats/: {missing}"


def test_built_in_preset_names_are_translated() -> None:
    """The window shows core.presets' built-in names through _(): each is a catalog message."""
    from shh_converter.core.presets import BUILTIN

    known = {key for _ctx, key in extracted() if isinstance(key, str)}
    missing = sorted(set(BUILTIN) - known)
    assert not missing, f"add these to PRESET_NAMES in gui/window.py: {missing}"
