"""The dependency floors promised in pyproject.toml are ones that work.

Pillow below 11.3 has no AVIF; onnxruntime below 1.19 cannot load with numpy 2;
psutil below 5.9.4 has no wheels for Python 3.11+. ``scripts/test.sh`` installs the
floors (``scripts/lowest_constraints.py``) and runs the engine's tests on them.
"""

from __future__ import annotations

import importlib.util

import tomllib
from packaging.version import Version
from support import REPO

FLOORS = {"Pillow": "11.3", "onnxruntime": "1.19", "psutil": "5.9.4"}


def _script():  # type: ignore[no-untyped-def]
    path = REPO / "scripts" / "lowest_constraints.py"
    spec = importlib.util.spec_from_file_location("lowest_constraints", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_floors_are_at_least_the_working_versions() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    pins = dict(pin.split("==", 1) for pin in _script().lowest_pins(deps))
    for name, lowest in FLOORS.items():
        assert Version(pins[name]) >= Version(lowest), (name, pins[name])


def test_lowest_pins_keep_markers_and_skip_unbounded() -> None:
    pins = _script().lowest_pins(
        ["a>=1.2,<2", "b[x]>=3; sys_platform == 'win32'", "c", "d<5", "e >= 0.4"]
    )
    assert pins == ["a==1.2", "b==3 ; sys_platform == 'win32'", "e==0.4"]


def test_ci_runs_the_engine_tests_on_the_floors() -> None:
    script = (REPO / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert "lowest_constraints.py" in script and "tests/core" in script
