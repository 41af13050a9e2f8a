"""Entry points: ``shh-converter`` (CLI, or the window with no command) and ``shh-converter-gui``.

Order at start-up: arguments -> logging -> crash hooks -> GUI or CLI.
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence


def _wants_gui(args: Sequence[str]) -> bool:
    """No arguments, or only paths (how "Open with..." and drops on the app icon arrive)."""
    if not args:
        return True
    if any(a.startswith("-") for a in args):
        return False
    from .cli import command_names

    if args[0] in command_names():
        return False
    return all(Path(a).exists() for a in args)


def main(argv: Sequence[str] | None = None) -> int:
    multiprocessing.freeze_support()  # frozen Windows/macOS builds start workers through main
    args = list(sys.argv[1:] if argv is None else argv)
    if _wants_gui(args):
        return gui_main(args)
    from .cli import main as cli_main

    return cli_main(args)


def gui_main(argv: Sequence[str] | None = None) -> int:
    """Open the window; ``argv`` paths are queued as if dropped."""
    multiprocessing.freeze_support()
    args = list(sys.argv[1:] if argv is None else argv)
    from . import i18n
    from .sidecars import config

    i18n.setup(config.language_from())  # before the window's modules: labels translate on import
    from .gui.app import run_app

    return run_app([Path(a) for a in args])


if __name__ == "__main__":
    sys.exit(main())
