"""Refresh the translation catalogs with Babel: extract -> update -> compile.

    python scripts/translations.py            # all three steps
    python scripts/translations.py compile    # only .po -> .mo

``extract`` writes ``shh_converter/locale/shh_converter.pot`` from every ``_()``,
``ngettext()`` and ``N_()`` in the package (``babel.cfg``); ``update`` merges it into
each language's ``.po`` (new messages appear untranslated, for a translator to fill);
``compile`` writes the ``.mo`` files the app loads. The ``.po`` sources and the
compiled ``.mo`` files are both committed; ``tests/test_i18n.py`` fails when a
catalog misses a message, drops a placeholder, or its ``.mo`` is out of date.
Babel is a development tool only (``pip install -e ".[test]"``); the app needs
nothing but the standard library's ``gettext`` to read the ``.mo`` files.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "shh_converter" / "locale"
DOMAIN = "shh_converter"
POT = LOCALE / f"{DOMAIN}.pot"


def pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", *args])


def extract() -> None:
    pybabel(
        "extract", "-F", str(ROOT / "babel.cfg"), "--no-location",
        "--sort-output", "--project", "SHH Converter", "-o", str(POT), str(ROOT / "shh_converter"),
    )  # fmt: skip


def update() -> None:
    pybabel(
        "update",
        "-i",
        str(POT),
        "-d",
        str(LOCALE),
        "-D",
        DOMAIN,
        "--no-fuzzy-matching",
        "--ignore-obsolete",
    )


def compile_catalogs() -> None:
    pybabel("compile", "-d", str(LOCALE), "-D", DOMAIN)


def main(argv: list[str]) -> int:
    steps = argv or ["extract", "update", "compile"]
    actions = {"extract": extract, "update": update, "compile": compile_catalogs}
    for step in steps:
        actions[step]()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
