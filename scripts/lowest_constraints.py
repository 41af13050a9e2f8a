"""Write pip constraints pinning every runtime dependency to its lowest allowed version.

    python scripts/lowest_constraints.py > build/constraints-lowest.txt
    pip install -c build/constraints-lowest.txt -e ".[test]"

Reads ``[project] dependencies`` of ``pyproject.toml``: each ``name>=X`` becomes
``name==X`` (environment markers kept), so CI can prove the floors we promise
really work (``scripts/test.sh --lowest``). A dependency without a floor is
left out (pip takes the newest). Needs Python 3.11+ (``tomllib``).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*([^;]*)(;.*)?$")


def lowest_pins(dependencies: list[str]) -> list[str]:
    """``["Pillow>=11.3,<14", ...]`` -> ``["Pillow==11.3", ...]``."""
    pins = []
    for requirement in dependencies:
        match = _REQUIREMENT.match(requirement)
        if match is None:
            raise ValueError(f"cannot read the requirement {requirement!r}")
        name, _extras, spec, marker = match.groups()
        floor = re.search(r">=\s*([^,\s]+)", spec or "")
        if floor:
            pins.append(f"{name}=={floor.group(1)}{(' ' + marker) if marker else ''}")
    return pins


def main() -> int:
    import tomllib  # Python 3.11+ (CI and scripts/test.sh run 3.11)

    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    print("# lowest allowed runtime versions, from pyproject.toml (scripts/lowest_constraints.py)")
    for pin in lowest_pins(project["dependencies"]):
        print(pin)
    return 0


if __name__ == "__main__":
    sys.exit(main())
