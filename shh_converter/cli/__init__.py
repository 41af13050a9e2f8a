"""Command-line front end: ``shh-converter <command> ...``.

This module only builds the top-level parser and dispatches. Each command lives
in its own module exposing ``register(subparsers)``, which adds a sub-parser whose
``func(args) -> int`` runs the command and returns the exit code (the table is
``cli/exitcodes.py``).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import TYPE_CHECKING

from .. import __version__
from ..core.errors import UsageError
from ..i18n import _
from .exitcodes import EXIT_INTERRUPTED, EXIT_PIPE_CLOSED, EXIT_USAGE

if TYPE_CHECKING:
    from collections.abc import Sequence

# One module per command; each has register(subparsers).
COMMAND_MODULES = (
    "shh_converter.cli.convert",
    "shh_converter.cli.models",
    "shh_converter.cli.presets",
    "shh_converter.cli.tools",
    "shh_converter.cli.watch",
)


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (argparse's own default, made explicit)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    from .encoder_flags import format_names

    parser = _Parser(
        prog="shh-converter",
        description=(
            f"Convert images to web-ready {format_names()}. Run with no arguments for the window."
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
    """Run one command; returns its exit code (see the module docstring)."""
    _printable_streams()
    try:
        code = _run(argv)
        sys.stdout.flush()  # a closed pipe shows here for short outputs
    except BrokenPipeError:
        return _pipe_closed()
    return code


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    _start_sidecars(args)
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(_("shh-converter: error: {reason}").format(reason=exc), file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(_("shh-converter: interrupted"), file=sys.stderr)
        return EXIT_INTERRUPTED


def _printable_streams() -> None:
    """A file name that is not valid text is printed escaped instead of raising."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)  # absent on a replaced stream
        if reconfigure is not None:
            reconfigure(errors="backslashreplace")


def _pipe_closed() -> int:
    """The reader of our output went away: say nothing more, exit like a POSIX tool."""
    from .output import silence_stdout

    silence_stdout()
    return EXIT_PIPE_CLOSED


def _start_sidecars(args: argparse.Namespace) -> None:
    """Config, log file, crash hooks (``startup.startup``); a failure never stops a command."""
    try:
        from .. import i18n
        from ..sidecars.config import language_from
        from ..sidecars.startup import startup

        cfg = startup(
            "cli",
            verbose=bool(getattr(args, "verbose", False)),
            quiet=bool(getattr(args, "quiet", False)),
        )
        i18n.setup(language_from(cfg))  # messages follow ui.language (help text: the system's)
    except Exception as exc:
        print(
            _("shh-converter: warning: start-up failed: {error}").format(error=exc), file=sys.stderr
        )
