"""Small platform helpers for the window: HiDPI, theme, icon, opening folders.

Each helper is guarded by platform checks rather than mocks: the Windows-only
DPI call only runs on Windows, ``open`` only on macOS, ``xdg-open`` elsewhere.
Nothing here goes through a shell.
"""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
import threading
import tkinter as tk
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .pump import Post

log = logging.getLogger(__name__)


def enable_hidpi() -> None:
    """Tell Windows we draw at the real DPI, so text is sharp rather than bitmap-scaled.

    Must run before the first Tk window exists. No-op elsewhere (Tk on macOS and
    X11 already reports the real scaling).
    """
    if sys.platform != "win32":
        return
    import ctypes

    try:
        ctypes.windll.shcore.SetProcessDpiAwareness(1)
    except (AttributeError, OSError):
        try:  # Windows 7/8: the older, system-wide call
            ctypes.windll.user32.SetProcessDPIAware()
        except (AttributeError, OSError):
            log.debug("DPI awareness not available")


def lower_this_thread_priority() -> bool:
    """Run the calling worker thread (and threads it starts) below normal priority.

    For CPU-heavy helpers inside the window's process (the preview's AI model uses a
    pool of threads): at normal priority they compete with the Tk thread for the CPU
    and the window stutters. Linux: per-thread nice, inherited by threads created
    afterwards (onnxruntime's pool). Windows: BELOW_NORMAL for this thread. macOS
    has no per-thread nice: no-op there. Returns whether it was applied.
    """
    try:
        if sys.platform.startswith("linux"):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
            return True
        if sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32
            return bool(kernel32.SetThreadPriority(kernel32.GetCurrentThread(), -1))
    except (OSError, AttributeError) as exc:
        log.debug("thread priority unchanged: %s", exc)
    return False


def apply_theme(root: tk.Misc) -> str:
    """Use sv-ttk in the OS's light or dark mode; returns the mode applied ("" if none)."""
    try:
        import darkdetect
        import sv_ttk
    except ImportError:
        log.info("sv-ttk/darkdetect missing: using the default ttk theme")
        return ""
    mode = "dark" if (darkdetect.theme() or "Light").lower() == "dark" else "light"
    try:
        sv_ttk.set_theme(mode, root)  # type: ignore[arg-type]
    except tk.TclError as exc:
        log.warning("could not load the sv-ttk theme: %s", exc)
        return ""
    return mode


THEME_POLL_S = 2.0  # darkdetect on Linux runs `gsettings get` (~5 ms) per look


def os_theme() -> str:
    """``dark`` or ``light`` as the OS says now; ``""`` when it cannot be told."""
    try:
        import darkdetect

        return "dark" if (darkdetect.theme() or "Light").lower() == "dark" else "light"
    except Exception:  # no darkdetect, or its probe failed: keep what is shown
        return ""


class ThemeWatcher:
    """Follows the OS's light/dark setting while the window is open.

    A daemon thread looks every :data:`THEME_POLL_S` seconds (cheap on every
    platform: a registry read on Windows, a user default on macOS, ``gsettings``
    on Linux; darkdetect's listeners are per-platform and Linux's misses the
    newer ``color-scheme`` key, so polling is the one behaviour everywhere). A
    change is posted to the Tk thread, which switches sv-ttk's theme; ttk widgets
    get ``<<ThemeChanged>>`` and classic ones that care listen to it.
    """

    def __init__(self, root: tk.Misc, post: Post, current: str, interval: float = THEME_POLL_S):
        self.root = root
        self._post = post
        self.mode = current
        self._seen = current
        self._stop = threading.Event()
        self._interval = interval
        self._thread = threading.Thread(target=self._loop, name="theme-watch", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            mode = os_theme()
            if mode and mode != self._seen:
                self._seen = mode
                self._post(functools.partial(self.apply, mode))

    def apply(self, mode: str) -> None:
        """Switch the window to ``mode`` (Tk thread)."""
        if mode == self.mode or self._stop.is_set():
            return
        try:
            import sv_ttk

            sv_ttk.set_theme(mode, self.root)  # type: ignore[arg-type]
        except (ImportError, tk.TclError) as exc:
            log.warning("could not switch to the %s theme: %s", mode, exc)
            return
        self.mode = mode
        log.info("theme follows the system: %s", mode)

    def stop(self) -> None:
        self._stop.set()


def set_icon(root: tk.Tk, icon_path: Path | None) -> tk.PhotoImage:
    """Set the window/taskbar icon from ``icon_path`` or, if missing, one drawn in code.

    The returned image must be kept referenced (Tk drops images nobody holds).
    """
    if icon_path is not None and icon_path.is_file():
        try:
            image = tk.PhotoImage(master=root, file=str(icon_path))
            root.iconphoto(True, image)
            return image
        except tk.TclError as exc:
            log.warning("bad icon %s: %s", icon_path, exc)
    image = _drawn_icon(root)
    root.iconphoto(True, image)
    return image


def _drawn_icon(root: tk.Misc, size: int = 64) -> tk.PhotoImage:
    """A simple icon drawn in code: a blue rounded square with a white "picture" mark."""
    image = tk.PhotoImage(master=root, width=size, height=size)
    image.put("#2f6fdf", to=(4, 4, size - 4, size - 4))
    image.put("#ffffff", to=(14, 18, size - 14, size - 18))
    image.put("#7fb24a", to=(16, 34, size - 16, size - 20))  # "hills"
    image.put("#f2c230", to=(36, 22, 44, 30))  # "sun"
    return image


def opener(path: Path) -> list[str] | None:
    """The command that opens ``path`` with the user's default application (None on
    Windows, where ``os.startfile`` does it)."""
    if sys.platform == "win32":
        return None
    return ["open" if sys.platform == "darwin" else "xdg-open", str(path)]


def open_path(path: Path) -> bool:
    """Open a file or folder the platform's way (``os.startfile`` on Windows, ``open``
    on macOS, ``xdg-open`` elsewhere; never a shell); False if that failed (logged)."""
    path = Path(path)
    if not path.exists():
        log.warning("cannot open %s: it does not exist", path)
        return False
    command = opener(path)
    try:
        if command is None:
            os.startfile(str(path))  # type: ignore[attr-defined]
        else:
            subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError as exc:
        log.warning("cannot open %s: %s", path, exc)
        return False
    log.info("opened %s", path)
    return True


def open_folder(folder: Path) -> bool:
    """Show ``folder`` in the system file manager; False if that failed (logged)."""
    if not Path(folder).is_dir():
        log.warning("cannot open %s: not a folder", folder)
        return False
    return open_path(folder)


def show_in_folder(path: Path) -> bool:
    """Show the folder holding ``path`` with the file selected where the file manager
    can (Explorer's ``/select``, Finder's ``open -R``); elsewhere the folder opens."""
    path = Path(path)
    if not path.exists():
        return open_folder(path.parent)
    command: list[str] | None = None
    if sys.platform == "win32":
        command = ["explorer", "/select,", str(path)]
    elif sys.platform == "darwin":
        command = ["open", "-R", str(path)]
    if command is None:
        return open_folder(path.parent)
    try:
        subprocess.Popen(command)
    except OSError as exc:
        log.warning("cannot show %s: %s", path, exc)
        return False
    return True


def default_destination(first_input: Path | None) -> Path:
    """A "converted" folder beside the first input, else in Pictures (or home)."""
    if first_input is not None:
        base = first_input if first_input.is_dir() else first_input.parent
        return base / "converted"
    pictures = Path.home() / "Pictures"
    return (pictures if pictures.is_dir() else Path.home()) / "SHH Converter"
