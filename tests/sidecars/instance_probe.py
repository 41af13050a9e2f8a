"""Run by ``test_single_instance.py`` as a real process: the app's own start-up
(``shh_converter.__main__.main``), plus a line on stdout whenever the window's file
list changes, so the test can see what the window lists::

    listed ["/abs/a.jpg", "/abs/b.png"]

    python tests/sidecars/instance_probe.py [PATH...]

``SHH_PROBE_MAC_OPEN`` (paths joined by ``os.pathsep``): once the window runs, call
``::tk::mac::OpenDocument`` with them, as macOS does for the Finder and the Dock.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from shh_converter import __main__ as entry
from shh_converter.gui import app as app_module

_original_init = app_module.App.__init__


def _init_and_report(self: Any, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    last: list[str] = []

    def report() -> None:
        listed = [str(p) for p in self.window.files.files()]
        if listed != last:
            last[:] = listed
            print("listed", json.dumps(listed), flush=True)
        self.root.after(50, report)

    print("window", flush=True)
    self.root.after(50, report)
    mac_open = os.environ.get("SHH_PROBE_MAC_OPEN")
    if mac_open:  # runs inside mainloop, after run_app registered the handlers
        names = mac_open.split(os.pathsep)
        self.root.after(100, lambda: self.root.tk.call("::tk::mac::OpenDocument", *names))


app_module.App.__init__ = _init_and_report  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(entry.main(sys.argv[1:]))
