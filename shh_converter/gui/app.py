"""Window start-up: ``run_app(paths)`` is what ``shh-converter`` with no command runs.

Order: logging and crash hooks -> HiDPI -> the Tk root (with tkdnd when it loads)
-> theme, icon, frames -> the window shows -> only then, in threads, the engine
import (numpy) and the update check. rembg/onnxruntime are imported by the
engine in worker threads/processes the first time background removal runs.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import tkinter as tk
from typing import TYPE_CHECKING

from .. import APP_NAME, paths
from ..i18n import _
from . import backend, fit
from .controller import Controller
from .desktop import apply_theme, enable_hidpi, set_icon
from .models_page import watch_model_choice
from .prefs import Prefs, load_config
from .window import DEFAULT_GEOMETRY, MIN_SIZE, MainWindow

if TYPE_CHECKING:
    from pathlib import Path

    from ..sidecars.config import Config
    from ..sidecars.shutdown import Shutdown

log = logging.getLogger(__name__)
AFTER_SHOWN_MS = 100  # after the first <Expose>
FALLBACK_SHOWN_MS = 2000
SWITCH_INTERVAL_S = 0.001


def make_root() -> tuple[tk.Tk, bool]:
    """The Tk root, with drag and drop when tkinterdnd2 can load its Tcl extension."""
    enable_hidpi()
    try:
        from tkinterdnd2 import TkinterDnD

        return TkinterDnD.Tk(), True
    except (ImportError, RuntimeError, tk.TclError) as exc:
        log.warning("drag and drop unavailable (%s): buttons only", exc)
        return tk.Tk(), False


def _fits_screen(root: tk.Tk, geometry: str) -> str:
    """Keep a remembered size but drop a position that is now off-screen."""
    match = re.fullmatch(r"(\d+)x(\d+)([+-]-?\d+)([+-]-?\d+)", geometry)
    if not match:
        return geometry if re.fullmatch(r"\d+x\d+", geometry) else DEFAULT_GEOMETRY
    w, h, x, y = (int(g) for g in match.groups())
    sw, sh = root.winfo_screenwidth(), root.winfo_screenheight()
    w, h = min(max(w, MIN_SIZE[0]), sw), min(max(h, MIN_SIZE[1]), sh)
    if not (-w // 2 < x < sw - 50 and 0 <= y < sh - 50):
        return f"{w}x{h}"
    return f"{w}x{h}+{x}+{y}"


class App:
    """The running app: the root window, its controller and its frames."""

    def __init__(
        self,
        root: tk.Tk,
        dnd: bool = True,
        cfg: Config | None = None,
        routine: Shutdown | None = None,
    ) -> None:
        self.root = root
        # Each Tk call releases the GIL; getting it back from a busy worker thread takes
        # up to the switch interval (5 ms by default), so a handler making 50 Tk calls
        # could stall 250 ms. 1 ms keeps the window responsive while threads work.
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self.prefs = Prefs(cfg if cfg is not None else load_config())
        root.title(APP_NAME)
        root.minsize(*fit.min_size(root))
        root.geometry(fit.initial_geometry(root, self.prefs.cfg))  # per screen size
        self.theme = apply_theme(root)
        icon = paths.asset_dir() / "icons" / "app.png"
        self._icon = set_icon(root, icon)
        self.controller = Controller(root, self.prefs, routine)
        self.window = MainWindow(
            root,
            self.controller,
            dnd=dnd,
            allow_background=self.prefs.background_removal_enabled,
        )
        self.controller.attach(self.window)
        self.window.outputs.set_recipe(self.prefs.recipe())
        watch_model_choice(self.window.settings.model_box, root, self.controller.ui.post)
        root.protocol("WM_DELETE_WINDOW", self.controller.request_close)
        root.report_callback_exception = self.controller.extras.report_callback_exception
        # Not at once: the first paint must not compete with the engine import. The
        # timer is a fallback for a window that never draws (minimised at start).
        self._shown = False
        root.bind("<Expose>", self._first_expose, add="+")
        root.after(FALLBACK_SHOWN_MS, self._after_shown)

    def _first_expose(self, _event: object) -> None:
        if not self._shown:
            self.root.after(AFTER_SHOWN_MS, self._after_shown)

    def _after_shown(self) -> None:
        """Work that must not delay the first paint (imports run in threads). Runs once."""
        if self._shown:
            return
        self._shown = True
        threading.Thread(target=_warm_up, name="warm-up", daemon=True).start()
        self.controller.start_services()
        notice = self.prefs.cfg.take_notice() if hasattr(self.prefs.cfg, "take_notice") else None
        if notice:  # e.g. a corrupt config file was set aside: say so once
            self.controller.extras.notice(_("Settings"), notice)
        if self._check_updates_on_start():
            self.root.after(1500, lambda: self.controller.extras.check_updates(manual=False))

    def _check_updates_on_start(self) -> bool:
        try:
            return bool(self.prefs.cfg.get("updates.check_on_startup"))
        except (KeyError, ValueError):
            return False


def _warm_up() -> None:
    try:
        backend.warm_up()
    except Exception:  # only a speed-up; the real import error shows on first use
        log.debug("engine warm-up failed", exc_info=True)


def run_app(paths_in: list[Path]) -> int:
    """Open the main window; ``paths_in`` are queued as if dropped. Returns the exit code."""
    from ..sidecars import logs, shutdown, startup
    from . import instance, macos

    channel = instance.claim_or_hand_off(paths_in)
    if channel is None:
        return 0  # a running window took the paths (one window per user)
    cfg = startup.startup("gui")  # the same start-up routine as the CLI's
    # Until the window's own handlers are in (below), a SIGTERM still ends cleanly (exit 0):
    # tkdnd maps the window while it is being built.
    routine = shutdown.Shutdown()
    routine.install_signal_handlers()
    root, dnd = make_root()
    app = App(root, dnd, cfg, routine)
    app.controller.closer.install_signal_handlers()
    instance.connect_window(channel, root, app.controller.ui.post, app.controller.add_paths)
    c = app.controller
    macos.install(root, c.add_paths, c.preferences, c.request_close)  # Finder, Dock, Cmd+Q
    log.info("window opened (drag and drop: %s, theme: %s)", dnd, app.theme or "default")
    if paths_in:
        app.controller.add_paths(list(paths_in))
    root.mainloop()
    channel.close()
    logs.flush()
    return 0
