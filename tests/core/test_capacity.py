"""The planner for bigger machines: inferences at once and threads each follow cores and memory.

Simulated machines (cores and free memory patched into ``capacity``); only the
2-core one is real here. The choice for 4-16 cores is the planner's rule, not a
measurement (docs/performance.md says "not measured").
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import pytest
from support.images import solid

from shh_converter.core import capacity
from shh_converter.core.plan import plan_batch
from shh_converter.core.settings import (
    BackgroundRemoval,
    EncodeOptions,
    Limits,
    OutputFormat,
    Settings,
)

if TYPE_CHECKING:
    from pathlib import Path

AI = Settings(
    encode=EncodeOptions(format=OutputFormat.PNG),
    background_removal=BackgroundRemoval(enabled=True),
)
GB = 1024.0


def simulate(monkeypatch: pytest.MonkeyPatch, cores: int, free_mb: float) -> None:
    monkeypatch.setattr(capacity, "cpu_budget", lambda: cores)
    monkeypatch.setattr(capacity, "available_mb", lambda: free_mb)


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    paths = []
    for i in range(40):
        path = tmp_path / f"{i}.png"
        solid(path, (64, 48), (i, 0, 0))
        paths.append(path)
    return paths


# cores, GB free -> (inferences at once, threads each, files in flight)
MACHINES = {
    (2, 8): (1, 2, 2),  # this machine's shape, the one measured
    (4, 8): (1, 4, 4),
    (4, 16): (1, 4, 4),
    (4, 32): (1, 4, 4),
    (8, 8): (2, 4, 8),
    (8, 16): (2, 4, 8),
    (8, 32): (2, 4, 8),
    (16, 8): (4, 4, 16),
    (16, 16): (4, 4, 16),
    (16, 32): (4, 4, 16),
}


@pytest.mark.parametrize(("cores", "gb"), list(MACHINES))
def test_ai_batch_shape_for_simulated_machines(
    monkeypatch: pytest.MonkeyPatch, photos: list[Path], tmp_path: Path, cores: int, gb: int
) -> None:
    simulate(monkeypatch, cores, gb * GB)
    jobs = plan_batch(photos, tmp_path / "out", AI).jobs
    shape = capacity.batch_shape(jobs, AI)
    inferences, threads, slots = MACHINES[(cores, gb)]
    assert (shape.inferences, shape.ai_threads, shape.slots) == (inferences, threads, slots)
    assert shape.processes == 1  # the model and interpreter in memory once
    assert shape.ai_threads is not None
    assert shape.inferences * shape.ai_threads <= cores  # never more inference threads than cores
    # What the batch may use grows with cores (450 MB on 2, +150 MB per further core) ...
    budget = capacity.ai_budget_mb(AI)
    assert budget == capacity.auto_ai_memory_mb(cores)
    # ... and holds every inference's scratch plus room for the images in flight.
    fixed = capacity.ai_fixed_mb(capacity.inference_scratch_mb("u2netp"), shape.inferences)
    assert shape.room_bytes is not None and shape.room_bytes >= 100 * 2**20
    assert fixed + shape.room_bytes / 2**20 == pytest.approx(budget, abs=1)


def test_little_free_memory_means_fewer_inferences_with_more_threads(
    monkeypatch: pytest.MonkeyPatch, photos: list[Path], tmp_path: Path
) -> None:
    jobs = plan_batch(photos, tmp_path / "out", AI).jobs
    simulate(monkeypatch, 16, 1.5 * GB)  # 16 cores but only 1.5 GB free: 70% of it is the budget
    shape = capacity.batch_shape(jobs, AI)
    assert (shape.inferences, shape.ai_threads) == (2, 8)
    simulate(monkeypatch, 16, 0.6 * GB)
    assert capacity.batch_shape(jobs, AI).inferences == 1  # always at least one
    # A target set by the user binds the same way.
    simulate(monkeypatch, 16, 32 * GB)
    tight = Settings(
        background_removal=BackgroundRemoval(enabled=True), limits=Limits(ai_memory_mb=700)
    )
    assert capacity.batch_shape(jobs, tight).inferences == 1


@pytest.mark.parametrize("cores", [4, 8, 16])
def test_plain_batches_use_a_process_per_core_within_memory(
    monkeypatch: pytest.MonkeyPatch, photos: list[Path], tmp_path: Path, cores: int
) -> None:
    plain = Settings()
    jobs = plan_batch(photos, tmp_path / "out", plain).jobs
    simulate(monkeypatch, cores, 8 * GB)
    assert capacity.batch_shape(jobs, plain).processes == cores
    simulate(monkeypatch, cores, 200.0)  # 200 MB free: one ~120 MB worker fits
    assert capacity.batch_shape(jobs, plain).processes == 1


def test_started_early_the_shape_is_per_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before planning (no jobs yet) workers are started for the machine, not for a batch."""
    simulate(monkeypatch, 8, 16 * GB)
    assert capacity.batch_shape(None, Settings()).processes == 8
    assert capacity.batch_shape(None, Settings(), 3).processes == 3
    early = capacity.batch_shape(None, AI)
    assert (early.processes, early.slots, early.inferences) == (1, 8, 2)


def test_png_with_its_oxipng_pass_budgets_more_per_pixel(
    monkeypatch: pytest.MonkeyPatch, photos: list[Path], tmp_path: Path
) -> None:
    """oxipng re-decodes the PNG and keeps its trials (~17 B/px): files in flight must see it,
    where it runs: not on photographs decoded from JPEG unless asked for."""
    pytest.importorskip("oxipng")
    simulate(monkeypatch, 2, 8 * GB)  # the measured machine: 450 MB target
    jobs = plan_batch(photos, tmp_path / "out", AI).jobs
    plain = dataclasses.replace(AI.encode, png_optimise=False)
    photos_too = dataclasses.replace(AI.encode, png_optimise_photos=True)
    default = capacity.batch_shape(jobs, AI)
    zlib_only = capacity.batch_shape(jobs, dataclasses.replace(AI, encode=plain))
    everything = capacity.batch_shape(jobs, dataclasses.replace(AI, encode=photos_too))
    oxipng = capacity.AI_OXIPNG_BYTES_PER_PIXEL
    mp20 = 20_000_000
    assert zlib_only.cost(mp20, False, "PNG") == zlib_only.cost(mp20, False, "JPEG")
    assert default.cost(mp20, False, "JPEG") == zlib_only.cost(mp20, False, "JPEG")
    assert default.cost(mp20, False, "PNG") == zlib_only.cost(mp20, False, "PNG") + mp20 * oxipng
    assert everything.cost(mp20, False, "JPEG") == default.cost(mp20, False, "PNG")
    # A 20 MP cut-out with the pass takes more than all the room: it runs with nothing beside it.
    room = 300_000 * (capacity.AI_BYTES_PER_PIXEL + oxipng)
    assert not everything.fits([everything.cost(mp20, False, "JPEG")], room)
    assert default.fits([default.cost(mp20, False, "JPEG")], room)
    assert all(capacity.job_header(job)[2] == "JPEG" for job in jobs if job.source.suffix == ".jpg")
