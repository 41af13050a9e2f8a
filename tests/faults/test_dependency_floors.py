"""The dependency floors promised in pyproject.toml are ones that work.

Pillow below 11.3 has no AVIF; onnxruntime below 1.19 cannot load with numpy 2;
psutil below 5.9.4 has no wheels for Python 3.11+. ``build_scripts/lock.py`` writes
``constraints-lowest.txt`` from the floors, and ``scripts/test.sh`` runs the engine's
tests on it (``tests/test_lock.py`` checks that the file pins exactly the floors).
"""

from __future__ import annotations

import sys

import tomllib
from packaging.version import Version
from support import REPO

sys.path.insert(0, str(REPO / "build_scripts"))
import lock

FLOORS = {"Pillow": "11.3", "onnxruntime": "1.19", "psutil": "5.9.4"}


def test_floors_are_at_least_the_working_versions() -> None:
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "dependencies"
    ]
    pins = dict(pin.split("==", 1) for pin in lock.floors(deps))
    for name, lowest in FLOORS.items():
        assert Version(pins[name]) >= Version(lowest), (name, pins[name])


def test_ci_runs_the_engine_tests_on_the_floors() -> None:
    script = (REPO / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert "constraints-lowest.txt" in script and "tests/core" in script
