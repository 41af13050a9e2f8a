"""What the sidecars add around every batch of a :class:`~.session.Session`.

The core cannot import the sidecars, so they come in as a :class:`Hooks` value:
``sidecars.startup.batch_hooks`` builds the real one; a :class:`Hooks` made
with no arguments wires nothing (tools, tests).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..events import EventCallback
from ..jobs import Job

log = logging.getLogger(__name__)


def _same(on_event: EventCallback) -> EventCallback:
    return on_event


def _all(jobs: Sequence[Job]) -> list[Job]:
    return list(jobs)


@dataclass(frozen=True)
class Hooks:
    """What the sidecars add around a batch."""

    wrap: Callable[[EventCallback], EventCallback] = _same  # log each event, then hand it on
    screen: Callable[[Sequence[Job]], list[Job]] = _all  # fail what cannot fit in memory
    memory_guard: Callable[[], bool] | None = None  # False: hold back new files
    workers: int | None = None  # configured worker processes
    warn: Callable[[str], None] = log.warning  # one-off warnings for people
