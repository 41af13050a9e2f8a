"""Workers with several job slots (AI batches): results, a worker killed on two files,
a timeout next to an innocent file, and the runner's memory room. Real processes."""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from support.images import noisy

from shh_converter.core import capacity, pool, runner
from shh_converter.core.atomic import TEMP_PREFIX
from shh_converter.core.events import Event, FileFinished, FileStarted
from shh_converter.core.jobs import Job, JobResult
from shh_converter.core.plan import plan_batch
from shh_converter.core.settings import BackgroundRemoval, EncodeOptions, Limits, Settings

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.timeout(240)

SLOW = Settings(encode=EncodeOptions(method=6, lossless=True))  # noisy images take seconds
KILL = getattr(signal, "SIGKILL", signal.SIGTERM)


def started_pool(settings: Settings, slots: int) -> pool.Pool:
    workers = pool.Pool(1, settings, slots=slots)
    deadline = time.monotonic() + 60
    while not workers.idle():
        assert time.monotonic() < deadline, "worker did not start"
        workers.collect(0.1)
    return workers


def one_worker_on(jobs: list[Job]) -> tuple[pool.Pool, pool.Worker]:
    """A started two-slot pool whose one worker has been given ``jobs``."""
    workers = started_pool(SLOW, slots=2)
    worker = workers.idle()[0]
    for job in jobs:
        worker.give(job)
    return workers, worker


def collect_until(workers: pool.Pool, count: int) -> list[tuple[Job, JobResult]]:
    done: list[tuple[Job, JobResult]] = []
    deadline = time.monotonic() + 120
    while len(done) < count:
        assert time.monotonic() < deadline, f"only {len(done)} of {count} results"
        done.extend(workers.collect(0.2))
    return done


def test_one_worker_takes_two_files_and_returns_both(tmp_path: Path) -> None:
    jobs = [Job.one(i, noisy(tmp_path / f"{i}.bmp", 900 + i), tmp_path / "out" / f"{i}.webp", SLOW)
            for i in range(2)]  # fmt: skip
    workers, _ = one_worker_on(jobs)
    try:
        assert workers.idle() == []  # both slots taken by one process
        done = collect_until(workers, 2)
    finally:
        workers.close()
    assert sorted(job.index for job, _ in done) == [0, 1]
    assert all(result.status == "converted" and result.output for _, result in done)


def test_killed_on_two_files_each_is_retried_alone(tmp_path: Path) -> None:
    jobs = [Job.one(i, noisy(tmp_path / f"{i}.bmp", 1400 + i), tmp_path / "out" / f"{i}.webp", SLOW)
            for i in range(2)]  # fmt: skip
    workers, worker = one_worker_on(jobs)
    try:
        os.kill(worker.proc.pid, KILL)
        deadline = time.monotonic() + 30
        while not workers.retry:
            assert time.monotonic() < deadline
            assert workers.collect(0.2) == []  # nobody is failed: nobody knows who did it
        assert sorted(j.index for j in workers.retry) == [0, 1]
        assert workers.suspects == {0, 1}

        # A suspect runs alone: its worker takes nothing else meanwhile.
        while not workers.idle():
            workers.collect(0.1)
        fresh = workers.idle()[0]
        assert workers.can_take(fresh, jobs[0])
        fresh.give(jobs[0])
        assert not workers.can_take(fresh, jobs[1])
        # Killed again while alone on it: now that file is the one that failed.
        os.kill(fresh.proc.pid, KILL)
        (job, result), *_ = collect_until(workers, 1)
    finally:
        workers.close()
    assert job.index == 0 and result.status == "failed"
    assert "worker process stopped" in (result.error or "")
    assert (
        not list((tmp_path / "out").glob(".shh-partial*")) if (tmp_path / "out").exists() else True
    )


def test_a_timeout_spares_the_file_beside_it(tmp_path: Path) -> None:
    slow = Job.one(0, noisy(tmp_path / "slow.bmp", 2600), tmp_path / "out" / "slow.webp", SLOW)
    other = Job.one(1, noisy(tmp_path / "other.bmp", 2500), tmp_path / "out" / "other.webp", SLOW)
    workers, worker = one_worker_on([slow, other])
    try:
        worker.running[slow.index].since -= 60  # as if it had been at it for a minute
        late = workers.overdue(30)
        assert late == [slow]
        assert workers.retry == [other]  # not to blame: it runs again
        assert all(not w.running for w in workers.workers)  # the stuck worker was replaced
    finally:
        workers.close()
    assert not list(tmp_path.rglob(TEMP_PREFIX + "*"))


def test_ai_batch_starts_files_only_while_they_fit(tmp_path: Path) -> None:
    """Room 0: one file at a time. Plenty of room: up to a file per core at once."""
    sources = []
    for i in range(4):
        path = tmp_path / "src" / f"{i}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        img = Image.new("RGB", (160, 120), "white")
        img.paste((200, 30, 30), (40, 30, 120, 90))
        img.save(path)
        sources.append(path)

    def most_at_once(ai_memory_mb: float) -> int:
        settings = Settings(
            background_removal=BackgroundRemoval(enabled=True),
            limits=Limits(ai_memory_mb=ai_memory_mb),
        )
        jobs = plan_batch(sources, tmp_path / f"out-{ai_memory_mb:g}", settings).jobs
        running: set[int] = set()
        most = 0

        def on_event(event: Event) -> None:
            nonlocal most
            if isinstance(event, FileStarted):
                running.add(event.job.index)
                most = max(most, len(running))
            elif isinstance(event, FileFinished):
                running.discard(event.result.index)

        final = runner.run_batch(jobs, settings, on_event)
        assert final.converted == 4, [r.error for r in final.results]
        return most

    assert most_at_once(100) == 1  # less than the fixed cost: nothing fits beside a file
    if capacity.cpu_budget() >= 2:
        assert most_at_once(100_000) >= 2


@pytest.mark.skipif(capacity.cpu_budget() < 2, reason="one slot per core: needs two cores")
def test_runner_retries_both_files_of_a_killed_ai_worker(tmp_path: Path) -> None:
    import psutil

    sources = [noisy(tmp_path / "src" / f"{i}.bmp", 700 + i) for i in range(2)]
    settings = Settings(
        background_removal=BackgroundRemoval(enabled=True), limits=Limits(ai_memory_mb=100_000)
    )
    jobs = plan_batch(sources, tmp_path / "out", settings).jobs
    events: list[Event] = []
    running: set[int] = set()
    killed: list[int] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if isinstance(event, FileStarted):
            running.add(event.job.index)
        elif isinstance(event, FileFinished):
            running.discard(event.result.index)
        if len(running) == 2 and not killed:
            workers = [
                p for p in psutil.Process().children(recursive=True)
                if any("spawn_main" in part for part in p.cmdline())
            ]  # fmt: skip
            assert len(workers) == 1  # two files, one process
            os.kill(workers[0].pid, KILL)
            killed.append(workers[0].pid)

    final = runner.run_batch(jobs, settings, on_event)
    assert killed
    assert final.converted == 2, [r.error for r in final.results]  # the last two: none pending
    assert sorted(e.job.index for e in events if isinstance(e, FileStarted)) == [0, 1]
    assert sorted(e.result.index for e in events if isinstance(e, FileFinished)) == [0, 1]
    assert not list(tmp_path.rglob(TEMP_PREFIX + "*"))
