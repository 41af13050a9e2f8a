"""Fuzzing open -> convert with mutated corpus bytes (Hypothesis; bounded for CI).

The mutations are ``scripts/fuzz.py``'s, whose long run sends thousands of cases
through the real batch runner (per-file timeout, crash isolation). Here each
example is converted in-process: it must end as converted or as a clean one-line
failure, never an internal error (an exception nobody expected), and in bounded
time and memory.
"""

from __future__ import annotations

import importlib.util
import random
from typing import TYPE_CHECKING

import psutil
import pytest
from hypothesis import HealthCheck, given, seed
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from support import CORPUS, REPO

from shh_converter.core.convert import convert_job
from shh_converter.core.plan import plan_batch
from shh_converter.core.settings import Limits, Settings

if TYPE_CHECKING:
    from types import ModuleType


def _fuzz_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shh_fuzz", REPO / "scripts" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


FUZZ = _fuzz_module()
SEEDS = FUZZ.seeds(CORPUS) if CORPUS.is_dir() else []
SETTINGS = Settings(limits=Limits(max_pixels=40_000_000))
EXAMPLES = 60
CONVERTED: list[str] = []
# RSS just before the first example (not at import: in a full run, the tests before this
# one have grown the process already).
MEMORY_BEFORE: list[float] = []


@pytest.mark.slow
@seed(20261201)  # the same cases every CI run; scripts/fuzz.py --seed N explores more
@given(
    index=st.integers(min_value=0, max_value=max(len(SEEDS) - 1, 0)),
    rng_seed=st.integers(min_value=0, max_value=2**32 - 1),
    count=st.integers(min_value=1, max_value=5),
)
@hsettings(
    max_examples=EXAMPLES,
    deadline=20_000,  # ms per example: a hang fails here instead of stalling CI
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_mutated_files_convert_or_fail_cleanly(
    tmp_path_factory: pytest.TempPathFactory, index: int, rng_seed: int, count: int
) -> None:
    assert SEEDS, f"no corpus seeds under {CORPUS}"
    if not MEMORY_BEFORE:
        MEMORY_BEFORE.append(psutil.Process().memory_info().rss / 2**20)
    source = SEEDS[index]
    work = tmp_path_factory.mktemp("fuzz")
    case = work / f"case{source.suffix}"
    case.write_bytes(FUZZ.mutate(source.read_bytes(), random.Random(rng_seed), count))
    job = plan_batch([case], work / "out", SETTINGS).jobs[0]
    result = convert_job(job, SETTINGS)
    assert result.status in ("converted", "failed")
    assert not (result.error or "").startswith("internal error"), (source.name, result.error)
    if result.status == "converted":
        CONVERTED.append(source.name)


@pytest.mark.slow
def test_fuzzing_stayed_in_memory() -> None:
    assert MEMORY_BEFORE, "the fuzz test did not run"
    grown = psutil.Process().memory_info().rss / 2**20 - MEMORY_BEFORE[0]
    assert grown < 400, f"memory grew by {grown:.0f} MB while fuzzing"


def test_the_fuzzer_has_seeds_of_every_kind() -> None:
    kinds = {p.relative_to(CORPUS).parts[0] for p in SEEDS}
    assert len(SEEDS) >= 50 and {"jpeg", "png", "gif", "webp", "tiff"} <= kinds, sorted(kinds)
