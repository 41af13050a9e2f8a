"""A front end's batches: preflight once, sidecar hooks, warm workers, then plan, run or watch.

:meth:`Session.run` plans (one discovery, one planner), lets the sidecars screen
the jobs (images too big for the free memory fail alone), then runs them,
sending every event through the sidecars' hooks (the log file, performance
details) to the front end's callback. :meth:`Session.watch` gives a watch folder
the same hooks and workers for each group of arrivals.

Background removal that cannot start at all (a missing or damaged model) is one
:class:`~..errors.BackgroundRemovalError` when the session is made, before any
work, unless it is told to go on without it (then one warning).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import plan as planner
from .. import runner
from ..errors import BackgroundRemovalError
from ..events import BatchFinished, BatchPlanned, CancelToken, EventCallback
from ..recipe import Recipe
from ..watch import WatchCallback, Watcher, WatchOptions
from .hooks import Hooks

if TYPE_CHECKING:
    from collections.abc import Callable, Collection, Mapping, Sequence
    from pathlib import Path

    from ..jobs import Job
    from ..settings import Settings
    from ..watch_ready import Signature


@dataclass
class Outcome:
    """A finished batch: its plan and its final event."""

    plan: planner.Plan
    finished: BatchFinished
    recipe: Recipe  # as run (background removal off after continue_without_bg)


def preflight(recipe: Recipe, continue_without_bg: bool, warn: Callable[[str], None]) -> Recipe:
    """The recipe to run: raises when background removal cannot start (unless told to go on)."""
    from ..background import removal

    recipe = recipe.check()
    if not recipe.shared.background_removal.enabled:
        return recipe
    try:
        removal.preflight(recipe.shared.background_removal)
    except BackgroundRemovalError as exc:
        if not continue_without_bg:
            raise
        warn(f"background removal cannot start: {exc}; converting without it")
        off = dataclasses.replace(recipe.shared.background_removal, enabled=False)
        return recipe.with_shared(background_removal=off)
    return recipe


class Session:
    """The one door: batches and watches of one recipe, through the same hooks and workers.

    ::

        with Session(recipe, hooks) as session:   # raises if background removal cannot start
            session.plan(inputs, dest)              # --dry-run: nothing written
            session.run(inputs, dest, on_event)     # blocking; -> Outcome
            session.watch(folders, dest, on_event).run()  # blocking until stopped

    ``workers``: at most this many processes (else the hooks' configured number,
    else automatic). ``warm``: worker processes the caller keeps between its
    sessions (the window's); else the session starts its own at the first batch
    or watch and stops them on :meth:`close`.
    """

    def __init__(
        self,
        recipe: Recipe,
        hooks: Hooks | None = None,
        *,
        workers: int | None = None,
        continue_without_bg: bool = False,
        warm: runner.BatchRunner | None = None,
    ) -> None:
        self.hooks = hooks or Hooks()
        self.workers = workers or self.hooks.workers
        self.recipe = preflight(recipe, continue_without_bg, self.hooks.warn)  # as run
        self._own = warm is None
        self._runner = warm
        self._started = False

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the session's own workers (a caller's warm ones stay). Never raises."""
        if self._own and self._runner is not None:
            self._runner.close()

    def worker_pids(self) -> list[int]:
        """Process ids of the session's workers (for memory figures; none before the first)."""
        return self._runner.worker_pids() if self._runner is not None else []

    def plan(
        self,
        inputs: Sequence[Path],
        dest: Path,
        *,
        recursive: bool = False,
        only: Collection[Path] | None = None,
    ) -> planner.Plan:
        """What :meth:`run` would do, without doing it: nothing is written or removed."""
        return planner.plan_batch(
            inputs, dest, self.recipe, recursive=recursive, only=only, clean=False
        )

    def run(
        self,
        inputs: Sequence[Path],
        dest: Path,
        on_event: EventCallback,
        cancel: CancelToken | None = None,
        *,
        recursive: bool = False,
        only: Collection[Path] | None = None,
    ) -> Outcome:
        """Plan and run a batch; blocking (the window calls it from a worker thread).

        ``only``: keep just these sources (the window's rows).
        """
        warm = self._workers()  # they import the engine while we plan
        plan = planner.plan_batch(inputs, dest, self.recipe, recursive=recursive, only=only)
        emit = self.hooks.wrap(on_event)
        emit(BatchPlanned(tuple(plan.jobs), plan.dest))
        finished = self._run(warm, plan.jobs, self.recipe.shared, emit, cancel)
        return Outcome(plan, finished, self.recipe)

    def watch(
        self,
        folders: Sequence[Path],
        dest: Path,
        on_event: WatchCallback,
        options: WatchOptions | None = None,
        leave: Mapping[Path, Signature] | None = None,
    ) -> Watcher:
        """A watcher of ``folders`` whose groups of arrivals run as this session's batches.

        The workers start now, before the first arrival, and stay up between groups.
        """
        self._workers()
        return Watcher(folders, dest, self.recipe, on_event, options, self._run_group, leave)

    def _run_group(
        self, jobs: list[Job], settings: Settings, on_event: EventCallback, cancel: CancelToken
    ) -> BatchFinished:
        """One group of a watch's arrivals: a batch without its own plan."""
        return self._run(self._workers(), jobs, settings, self.hooks.wrap(on_event), cancel)

    def _run(
        self,
        warm: runner.BatchRunner,
        jobs: Sequence[Job],
        settings: Settings,
        emit: EventCallback,
        cancel: CancelToken | None,
    ) -> BatchFinished:
        screened = self.hooks.screen(jobs)
        guard = self.hooks.memory_guard
        return warm.run(screened, settings, emit, cancel, self.workers, memory_guard=guard)

    def _workers(self) -> runner.BatchRunner:
        """The session's worker processes, started once (a batch of another shape replaces them)."""
        if self._runner is None:
            self._runner = runner.BatchRunner()
        if not self._started:
            self._runner.start(self.recipe.shared, self.workers)
            self._started = True
        return self._runner
