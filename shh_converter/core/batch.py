"""The one door to a batch, for the CLI, the window and the watch folder.

:func:`run` plans (one discovery, one planner), lets the sidecars screen the jobs
(images too big for the free memory fail alone), then runs them, sending every
event through the sidecars' hooks (the log file, performance details) to the
front end's callback. The core cannot import the sidecars, so they come in as a
:class:`Hooks` value -- ``sidecars.startup.batch_hooks`` builds the real one; a
:class:`Hooks` made with no arguments wires nothing (tools, tests).

Background removal that cannot start at all (a missing or damaged model) is one
:class:`~.errors.BackgroundRemovalError` for the whole batch, raised before any
work, unless the request says to go on without it (then one warning).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import plan as planner
from . import runner
from .errors import BackgroundRemovalError
from .events import BatchFinished, BatchPlanned, CancelToken, EventCallback
from .jobs import Job
from .recipe import Recipe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """What to convert, into where, how."""

    inputs: Sequence[Path]
    dest: Path
    recipe: Recipe
    recursive: bool = False
    only: Collection[Path] | None = None  # keep just these sources (the window's rows)
    workers: int | None = None  # None: the sidecars' configured number, else automatic
    continue_without_bg: bool = False  # removal cannot start: convert without it


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


@dataclass
class Outcome:
    """A finished batch: its plan and its final event."""

    plan: planner.Plan
    finished: BatchFinished
    recipe: Recipe  # as run (background removal off after continue_without_bg)


def preflight(request: Request, warn: Callable[[str], None]) -> Recipe:
    """The recipe to run: raises when background removal cannot start (unless told to go on)."""
    from . import background

    recipe = request.recipe.check()
    if not recipe.shared.background_removal.enabled:
        return recipe
    try:
        background.preflight(recipe.shared.background_removal)
    except BackgroundRemovalError as exc:
        if not request.continue_without_bg:
            raise
        warn(f"background removal cannot start: {exc}; converting without it")
        off = dataclasses.replace(recipe.shared.background_removal, enabled=False)
        return recipe.with_shared(background_removal=off)
    return recipe


def plan(request: Request) -> planner.Plan:
    """What ``request`` would do, without doing it: nothing is written or removed."""
    recipe = request.recipe.check()
    return planner.plan_batch(
        request.inputs,
        request.dest,
        recipe,
        recursive=request.recursive,
        only=request.only,
        clean=False,
    )


def run(
    request: Request,
    on_event: EventCallback,
    cancel: CancelToken | None = None,
    hooks: Hooks | None = None,
    warm: runner.BatchRunner | None = None,
) -> Outcome:
    """Plan and run ``request``; blocking (the window calls it from a worker thread).

    ``warm``: worker processes the caller keeps between its batches (the window's);
    else this batch starts its own and stops them at the end.
    """
    hooks = hooks or Hooks()
    recipe = preflight(request, hooks.warn)
    workers = request.workers or hooks.workers
    with contextlib.ExitStack() as own:
        if warm is None:
            warm = own.enter_context(runner.BatchRunner())
        warm.start(recipe.shared, workers)  # the workers import the engine while we plan
        plan = planner.plan_batch(
            request.inputs, request.dest, recipe, recursive=request.recursive, only=request.only
        )
        emit = hooks.wrap(on_event)
        emit(BatchPlanned(tuple(plan.jobs), plan.dest))
        jobs = hooks.screen(plan.jobs)
        finished = warm.run(
            jobs, recipe.shared, emit, cancel, workers, memory_guard=hooks.memory_guard
        )
    return Outcome(plan, finished, recipe)
