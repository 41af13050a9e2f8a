"""Command-line front end: ``shh-converter <command> ...``.

This module only builds the top-level parser and dispatches. Each command lives
in its own module exposing ``register(subparsers)``, which adds a sub-parser whose
``func(args) -> int`` runs the command and returns the exit code:

* 0  every file converted or skipped (or the command succeeded)
* 1  at least one file failed
* 2  usage or configuration error (one line on stderr, no traceback)
* 130 interrupted by Ctrl-C
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .. import __version__
from ..core.errors import UsageError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

# One module per command; each has register(subparsers).
COMMAND_MODULES = (
    "shh_converter.cli.convert",
    "shh_converter.cli.models",
    "shh_converter.cli.tools",
    "shh_converter.cli.watch",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (argparse's own default, made explicit)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="shh-converter",
        description=(
            "Convert images to web-ready WebP/JPEG/PNG/AVIF. Run with no arguments for the window."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def command_names() -> set[str]:
    """Names of all sub-commands (so ``__main__`` can tell paths for the GUI from commands)."""
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    _start_sidecars(args)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"shh-converter: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("shh-converter: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _start_sidecars(args: argparse.Namespace) -> None:
    """Config, log file, crash hooks (``startup.startup``); a failure never stops a command."""
    try:
        from .. import i18n
        from ..sidecars.startup import startup

        cfg = startup(
            "cli",
            verbose=bool(getattr(args, "verbose", False)),
            quiet=bool(getattr(args, "quiet", False)),
        )
        i18n.setup_from_config(cfg)  # messages follow ui.language (help text: the system's)
    except Exception as exc:
        print(f"shh-converter: warning: start-up failed: {exc}", file=sys.stderr)
