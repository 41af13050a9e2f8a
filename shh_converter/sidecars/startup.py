"""Start-up of the sidecars, and their hooks around a batch, for both front ends.

One start-up routine for both front ends: ``cli.main`` (once the arguments are
parsed) and the window's ``run_app`` call :func:`startup`: config loaded
(a one-time notice about a damaged config file goes to stderr), logging set up
(``--verbose``/``--quiet`` of the command, or ``ui.enable_debug_mode``), crash hooks
installed, SIGTERM routed to the Ctrl-C path. Commands read the loaded config
with :func:`current_config`.

Both front ends run a batch through ``core.batch.Session`` with the hooks of
:func:`batch_hooks`: a memory monitor (the runner's ``memory_guard`` and the
memory screen) and the event logger (each file, background-removal attempt and
the batch summary in the log file, performance details when configured).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import TYPE_CHECKING

from .. import __version__
from ..core.background import providers
from . import config, crash, logs, shutdown

if TYPE_CHECKING:  # Pillow (the engine's batch modules) and psutil: not at the window's start
    from collections.abc import Iterator

    from ..core.batch import Hooks
    from ..core.events import Event, EventCallback
    from ..core.presets import PresetBook
    from ..core.settings import Settings
    from .memory import MemoryMonitor

log = logging.getLogger(__name__)

_config: config.Config | None = None


def startup(kind: str = "cli", verbose: bool = False, quiet: bool = False) -> config.Config:
    """Load the config, set up logging and crash hooks; returns the config."""
    global _config
    cfg = config.load()
    logs.setup(kind, verbose=verbose, cfg=cfg, quiet=quiet)
    crash.install_hooks()
    # The worker processes read it from the environment (spawned: they inherit it).
    providers.set_preference(cfg.get("performance.ai_provider"))
    if kind == "cli":  # the window installs its own graceful-close handlers
        shutdown.forward_terminate_to_interrupt()
        # The window shows the notice itself, once it is on screen.
        notice = cfg.take_notice()
        if notice:
            print(f"shh-converter: note: {notice}", file=sys.stderr)
    log.info("SHH Converter %s started (%s)", __version__, kind)
    _config = cfg
    return cfg


def started() -> bool:
    """Whether :func:`startup` ran in this process."""
    return _config is not None


def current_config() -> config.Config:
    """The config loaded at start-up (loaded now when start-up did not run)."""
    global _config
    if _config is None:
        _config = config.load()
    return _config


def preset_book(cfg: config.Config | None = None) -> PresetBook:
    """Built-in and the user's presets (``ui.presets`` in the config), as the window shows them."""
    from ..core.presets import PresetBook

    cfg = cfg if cfg is not None else current_config()

    def store(data: dict[str, object]) -> None:
        cfg.set("ui.presets", data)
        cfg.save()

    return PresetBook(lambda: cfg.get("ui.presets") or {}, store)


def check_feature_flags(settings: Settings, cfg: config.Config | None = None) -> None:
    """Refuse what the config's feature flags turn off (``UsageError``: exit 2)."""
    from ..core.errors import UsageError

    cfg = cfg if cfg is not None else current_config()
    if settings.background_removal.enabled and not cfg.get("features.background_removal_enabled"):
        msg = "background removal is disabled in the config (features.background_removal_enabled)"
        raise UsageError(msg)


@contextlib.contextmanager
def batch_hooks(
    settings: Settings, cfg: config.Config | None = None, monitor: MemoryMonitor | None = None
) -> Iterator[Hooks]:
    """The sidecars around one batch, for :class:`shh_converter.core.batch.Session`.

    The same for the CLI, the window and the watch folder: every event logged to
    the file (with performance details when ``performance.enable_performance_logging``
    is on), the memory screen and guard, the configured worker count. ``monitor``:
    a memory monitor that is already running (the window's); else one runs for
    the batch.
    """
    from ..core.batch import Hooks
    from .memory import MemoryMonitor

    cfg = cfg if cfg is not None else current_config()
    own = monitor is None
    running = MemoryMonitor.from_config(cfg).start() if monitor is None else monitor
    perf = bool(cfg.get("performance.enable_performance_logging"))
    logger = logs.EventLogger(settings, running, perf)
    max_pixels = settings.limits.max_pixels

    def wrap(on_event: EventCallback) -> EventCallback:
        def both(event: Event) -> None:
            logger(event)
            on_event(event)

        return both

    try:
        yield Hooks(
            wrap=wrap,
            screen=lambda jobs: running.screen(jobs, max_pixels),
            memory_guard=running.may_start_job,
            workers=config.workers_from(cfg),
            warn=lambda text: log.warning("%s", text),
        )
    finally:
        if own:
            running.stop()
