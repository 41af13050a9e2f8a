"""Start-up of the sidecars for the CLI, and their hooks around one CLI batch.

``cli.main`` calls :func:`startup` once the arguments are parsed: config loaded
(a one-time notice about a damaged config file goes to stderr), logging set up
(``--verbose``/``--quiet`` of the command, or ``ui.enable_debug_mode``), crash hooks
installed, SIGTERM routed to the Ctrl-C path. Commands read the loaded config
with :func:`current_config`.

``cli.convert`` wraps its batch in :func:`batch_sidecars`: a memory monitor (the
runner's ``memory_guard``) and the event logger (each file, background-removal
attempt and the batch summary in the log file).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..core.events import Event, EventCallback
from ..core.jobs import Job
from ..core.settings import Settings
from . import config, crash, logs, shutdown
from .memory import MemoryMonitor

log = logging.getLogger(__name__)

_config: config.Config | None = None


def startup(kind: str = "cli", verbose: bool = False, quiet: bool = False) -> config.Config:
    """Load the config, set up logging and crash hooks; returns the config."""
    global _config
    cfg = config.load()
    logs.setup(kind, verbose=verbose, cfg=cfg, quiet=quiet)
    crash.install_hooks()
    if kind == "cli":
        shutdown.forward_terminate_to_interrupt()
    notice = cfg.take_notice()
    if notice and kind == "cli":
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


def check_feature_flags(settings: Settings, cfg: Any = None) -> None:
    """Refuse what the config's feature flags turn off (``UsageError``: exit 2)."""
    from ..core.errors import UsageError

    cfg = cfg if cfg is not None else current_config()
    if settings.background_removal.enabled and not cfg.get("features.background_removal_enabled"):
        raise UsageError(
            "background removal is disabled in the config (features.background_removal_enabled)"
        )


@dataclass
class BatchSidecars:
    """What the CLI passes to ``run_batch``: a wrapped callback, the memory guard, workers."""

    monitor: MemoryMonitor
    logger: logs.EventLogger
    workers: int | None
    settings: Settings

    @property
    def memory_guard(self) -> Any:
        return self.monitor.may_start_job

    def screen(self, jobs: Sequence[Job]) -> list[Job]:
        """Jobs whose image would not fit in free memory fail alone (``MemoryMonitor.screen``)."""
        return self.monitor.screen(jobs, self.settings.limits.max_pixels)

    def wrap(self, on_event: EventCallback) -> EventCallback:
        """Log each event to the file, then hand it on."""

        def both(event: Event) -> None:
            self.logger(event)
            on_event(event)

        return both


@contextlib.contextmanager
def batch_sidecars(settings: Settings, cfg: Any = None) -> Iterator[BatchSidecars]:
    """Memory monitor running for the batch, event logger, configured worker count."""
    cfg = cfg if cfg is not None else current_config()
    monitor = MemoryMonitor.from_config(cfg).start()
    perf = bool(cfg.get("performance.enable_performance_logging"))
    try:
        yield BatchSidecars(
            monitor, logs.EventLogger(settings, monitor, perf), config.workers_from(cfg), settings
        )
    finally:
        monitor.stop()
