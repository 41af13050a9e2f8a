"""A short soak (``scripts/soak.py``; its documented run is 2,000 files): memory does not grow.

Memory is sampled after every tenth file (this process and its workers); the slope
of the samples after warm-up must stay small. The bound is loose on purpose (a
short run on a shared machine is noisy); the long run's figure is in
docs/reliability.md.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import pytest
from support import REPO

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType


def _soak_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shh_soak", REPO / "scripts" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_slope_of_a_line_is_measured_right() -> None:
    soak = _soak_module()
    assert soak.slope_per_1000([(x, 100 + 0.02 * x) for x in range(10, 500, 10)]) == pytest.approx(
        20
    )
    assert soak.slope_per_1000([(x, 80.0) for x in range(10, 500, 10)]) == 0


@pytest.mark.slow
def test_short_soak_has_no_memory_growth(tmp_path: Path) -> None:
    result = _soak_module().soak(tmp_path, files=300)
    assert result["converted"] == 300 and result["failed"] == 0
    assert result["samples"] == 30
    assert result["total_slope_mb_per_1000"] < 25, result
    assert result["main_slope_mb_per_1000"] < 15, result
