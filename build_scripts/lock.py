"""Write ``build_scripts/constraints.txt``: the exact versions a frozen build installs.

    python build_scripts/lock.py          # after upgrading what the app depends on

Two builds of one tag ship the same wheels because the release workflow installs
with ``pip install -c build_scripts/constraints.txt ".[build]"``. The pins are the
versions installed in the environment this runs in, for the app's dependencies
(``pyproject.toml``), the ``build`` extra and everything they pull in. Packages
that only other platforms need (PyInstaller's Windows and macOS helpers, tqdm's
colorama) are pinned from :data:`OTHER_PLATFORMS` with their markers; bump them
by hand. ``tests/test_distribution.py`` fails when a dependency has no pin.
"""

from __future__ import annotations

import importlib.metadata as md
import re
import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build_scripts" / "constraints.txt"
WIN, MAC = 'sys_platform == "win32"', 'sys_platform == "darwin"'
# Looked up on PyPI (latest at the time), not installed here: the first release run
# on each runner is what proves them.
OTHER_PLATFORMS = {
    "colorama": ("0.4.6", WIN),
    "pefile": ("2024.8.26", WIN),
    "pywin32-ctypes": ("0.2.3", WIN),
    "winrt-runtime": ("4.1.0", WIN),
    "winrt-windows-applicationmodel-core": ("4!10.0.28000.2705", WIN),
    "winrt-windows-data-xml-dom": ("4!10.0.28000.2705", WIN),
    "winrt-windows-foundation": ("4!10.0.28000.2705", WIN),
    "winrt-windows-foundation-collections": ("4!10.0.28000.2705", WIN),
    "winrt-windows-ui-notifications": ("4!10.0.28000.2705", WIN),
    "macholib": ("1.16.4", MAC),
    "rubicon-objc": ("0.5.7", MAC),
}
# Marker environments of the other release platforms (what their markers test).
PLATFORM_ENVIRONMENTS = {
    "win32": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
    "darwin": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
}


def canonical(name: str) -> str:
    """PyPI's normal form of a project name (``Pillow`` -> ``pillow``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def root_requirements() -> list[str]:
    """The app's dependencies plus its ``build`` extra, from ``pyproject.toml``."""
    import tomllib  # Python 3.11+ (this is a maintainer's tool; the app needs 3.10)

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["build"]]


def closure(requirements: list[str]) -> dict[str, str]:
    """Every distribution the requirements need here (markers evaluated), name -> version."""
    found: dict[str, str] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonical(req.name)
        if name in found or (req.marker and not req.marker.evaluate({"extra": ""})):
            continue
        try:
            dist = md.distribution(req.name)
        except md.PackageNotFoundError:
            missing = f"{req.name} is not installed: pip install -e '.[build]' first"
            raise SystemExit(missing) from None
        found[name] = dist.version
        todo.extend(Requirement(r) for r in dist.requires or [])
    return found


def other_platform_needs(found: dict[str, str]) -> set[str]:
    """Names the installed closure requires only on Windows or macOS (not installed here)."""
    needs = set()
    for name in found:
        for text in md.distribution(name).requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                continue
            for env in PLATFORM_ENVIRONMENTS.values():
                if req.marker.evaluate({"extra": "", **env}):
                    needs.add(canonical(req.name))
    return needs


def main() -> int:
    pins = closure(root_requirements())
    unknown = other_platform_needs(pins) - set(pins) - set(OTHER_PLATFORMS)
    if unknown:
        raise SystemExit(f"add to OTHER_PLATFORMS (a version from PyPI): {sorted(unknown)}")
    lines = [
        "# Exact versions for the frozen build: pip install -c build_scripts/constraints.txt",
        '#   ".[build]". Written by build_scripts/lock.py (Python '
        f"{sys.version_info.major}.{sys.version_info.minor}, {sys.platform}); do not edit by hand.",
    ]
    lines += [f"{name}=={version}" for name, version in sorted(pins.items())]
    for name, (version, marker) in sorted(OTHER_PLATFORMS.items()):
        if name not in pins:
            lines.append(f"{name}=={version} ; {marker}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({len(lines) - 2} pins)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
