"""``shh-converter presets list|show NAME|export NAME FILE|import FILE [--name NAME]``.

The same presets as the window's preset bar: built-ins from ``core/presets.py``,
the user's from the config. ``export`` writes a JSON recipe file that ``convert
--recipe`` and ``presets import`` read back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.errors import UsageError
from ..i18n import _
from .exitcodes import EXIT_OK

if TYPE_CHECKING:
    import argparse


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "presets", help=_("list, show, export and import presets (shared with the window)")
    )
    sub = parser.add_subparsers(dest="presets_command", metavar="ACTION", required=True)
    sub.add_parser("list", help=_("preset names (built-in ones first)")).set_defaults(func=_list)
    show = sub.add_parser("show", help=_("a preset's outputs as JSON"))
    show.add_argument("name", metavar="NAME")
    show.set_defaults(func=_show)
    export = sub.add_parser("export", help=_("write a preset to a JSON recipe file"))
    export.add_argument("name", metavar="NAME")
    export.add_argument("file", metavar="FILE", type=Path)
    export.set_defaults(func=_export)
    imp = sub.add_parser("import", help=_("add the preset in FILE to your presets"))
    imp.add_argument("file", metavar="FILE", type=Path)
    imp.add_argument("--name", help=_("store it under this name (default: the file's own)"))
    imp.set_defaults(func=_import)


def _book() -> Any:
    from ..sidecars import startup

    return startup.preset_book()


def _list(args: argparse.Namespace) -> int:
    book = _book()
    for name in book.names():
        print(f"{name}\t({_('built-in') if book.is_builtin(name) else _('yours')})")
    return EXIT_OK


def _show(args: argparse.Namespace) -> int:
    print(json.dumps(_book().get(args.name).to_dict(), indent=2, ensure_ascii=False))
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    try:
        _book().export(args.name, args.file)
    except OSError as exc:
        msg = f"cannot write {args.file}: {exc.strerror or exc}"
        raise UsageError(msg) from None
    print(_("exported {name} to {file}").format(name=repr(args.name), file=args.file))
    return EXIT_OK


def _import(args: argparse.Namespace) -> int:
    name = _book().import_file(args.file, args.name)
    print(_("imported preset {name}").format(name=repr(name)))
    return EXIT_OK
