"""macOS: files from the Finder and the Dock, the app menu's Preferences and Quit.

On macOS a document is not passed on the command line: "Open With", a drop on the
Dock icon and a double-click on an associated file (Info.plist declares images,
see ``build_scripts/shh_converter.spec``) send an Apple Event, which Tk turns
into a call of the Tcl command ``::tk::mac::OpenDocument`` with the paths --
at launch and while running. Likewise the application menu's "Preferences…"
(Cmd+,) calls ``::tk::mac::ShowPreferences``, and Cmd+Q / "Quit" calls
``::tk::mac::Quit``, which without a handler ends the process at once.

The handlers are Tcl commands, so they can be registered on any platform (on X11
and Windows nothing calls them); the tests call them through Tk. ``run_app``
registers them before the event loop first runs, and nothing before that processes
window-system events (no ``update()`` while the window is built), so the Apple Event
carrying the files a launch was started with finds them in place.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tkinter as tk
    from collections.abc import Callable

log = logging.getLogger(__name__)

OPEN_DOCUMENT = "::tk::mac::OpenDocument"
SHOW_PREFERENCES = "::tk::mac::ShowPreferences"
QUIT = "::tk::mac::Quit"
REOPEN = "::tk::mac::ReopenApplication"  # a click on the Dock icon
HANDLERS = (OPEN_DOCUMENT, SHOW_PREFERENCES, QUIT, REOPEN)


def install(
    root: tk.Tk,
    add_paths: Callable[[list[Path]], None],
    show_preferences: Callable[[], None],
    request_close: Callable[[], None],
) -> None:
    """Register the ``::tk::mac::*`` handlers on ``root``'s interpreter.

    ``add_paths`` is the controller's add-paths method (what a drop calls),
    ``request_close`` its graceful close (asks first while a batch runs).
    """

    def open_document(*names: str) -> None:
        received = [Path(name) for name in names if name]
        log.info("macOS handed over %d document(s)", len(received))
        if received:
            add_paths(received)

    def reopen() -> None:
        root.deiconify()
        root.lift()

    root.createcommand(OPEN_DOCUMENT, open_document)
    root.createcommand(SHOW_PREFERENCES, lambda: show_preferences())
    root.createcommand(QUIT, lambda: request_close())
    root.createcommand(REOPEN, reopen)
