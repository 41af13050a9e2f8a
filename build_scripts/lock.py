"""The lock: the exact version of every distribution, for every platform the project installs on.

    python build_scripts/lock.py              # after pyproject.toml changed; keeps today's pins
    python build_scripts/lock.py --upgrade    # the newest versions everywhere (then run the suite)
    python build_scripts/lock.py --check      # what is newer upstream; does the lock still resolve
                                              # and has every pin a wheel everywhere? Writes nothing
    python build_scripts/lock.py --platforms  # the wheel check alone (a CI step)

Two files, both written here and nowhere else:

- ``constraints.txt``: the app's dependencies, the ``build``, ``test`` and ``lock`` extras and pip
  itself, resolved separately for each of :data:`TARGETS` (CPython 3.11, the version CI and the
  release workflow use). A distribution whose version is the same everywhere it is needed has one
  plain pin, otherwise one pin per version with the marker of its targets (onnxruntime, for one,
  has no macOS x86_64 wheel after 1.23.2). ``scripts/test.sh``, ``scripts/run.sh`` and the release
  workflow install with ``pip install -c build_scripts/constraints.txt``, so a commit installs the
  same versions on any day.
- ``constraints-lowest.txt``: Linux only; the app's dependencies at the floors ``pyproject.toml``
  promises, and the test tools resolved around them. ``scripts/test.sh`` runs the engine's tests
  on it, so the floors are proven, not hoped for.

Resolving needs uv (``pip install -c build_scripts/constraints.txt ".[lock]"``): unlike pip it
resolves for another platform's markers and wheels (``--python-platform``). The wheel check reads
the index's JSON file lists (PEP 691), so it runs anywhere the index can be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from collections import defaultdict
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging import tags
from packaging.requirements import Requirement
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version

if TYPE_CHECKING:
    from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "build_scripts" / "constraints.txt"
LOWEST = ROOT / "build_scripts" / "constraints-lowest.txt"
EXTRAS = ("build", "test", "lock")
# Installed by the lock too, though no package requires them: the installer of every environment.
TOOLS = ("pip",)
PYTHON = (3, 11)
MACOS = (14, 0)  # the oldest macOS the release supports (onnxruntime's arm64 wheels need 14)
INDEX = os.environ.get("SHH_LOCK_INDEX", "https://pypi.org/simple")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: TARGETS holds each once
class Target:
    """A platform the lock is made for: how uv names it, its marker, which wheels it takes."""

    name: str
    uv_platform: str
    marker: str
    environment: Mapping[str, str]
    wheel_platforms: tuple[str, ...]

    def takes(self, marker: Marker | None, extra: str = "") -> bool:
        """Whether a requirement with ``marker`` applies on this target."""
        return marker is None or marker.evaluate({**self.environment, "extra": extra})

    def wheel_tags(self) -> frozenset[tags.Tag]:
        """Every wheel tag pip accepts on this target, CPython :data:`PYTHON`."""
        interpreter = f"cp{PYTHON[0]}{PYTHON[1]}"
        both = [
            *tags.cpython_tags(PYTHON, platforms=self.wheel_platforms),
            *tags.compatible_tags(PYTHON, interpreter, platforms=self.wheel_platforms),
        ]
        return frozenset(both)


def _environment(sys_platform: str, system: str, os_name: str, machine: str) -> dict[str, str]:
    python = f"{PYTHON[0]}.{PYTHON[1]}"
    return {
        "sys_platform": sys_platform,
        "platform_system": system,
        "os_name": os_name,
        "platform_machine": machine,
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
    }


_MANYLINUX = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
    "linux_x86_64",
)
_DARWIN = 'sys_platform == "darwin"'
TARGETS = (
    Target(
        "linux-x86_64",
        "x86_64-manylinux_2_28",
        'sys_platform == "linux"',
        _environment("linux", "Linux", "posix", "x86_64"),
        _MANYLINUX,
    ),
    Target(
        "windows-amd64",
        "x86_64-pc-windows-msvc",
        'sys_platform == "win32"',
        _environment("win32", "Windows", "nt", "AMD64"),
        ("win_amd64",),
    ),
    Target(
        "macos-arm64",
        "aarch64-apple-darwin",
        f'{_DARWIN} and platform_machine == "arm64"',
        _environment("darwin", "Darwin", "posix", "arm64"),
        tuple(tags.mac_platforms(MACOS, "arm64")),
    ),
    Target(
        "macos-x86_64",
        "x86_64-apple-darwin",
        f'{_DARWIN} and platform_machine == "x86_64"',
        _environment("darwin", "Darwin", "posix", "x86_64"),
        tuple(tags.mac_platforms(MACOS, "x86_64")),
    ),
)
LINUX = TARGETS[0]
Pins = dict[str, str]  # canonical name -> version


# -- reading and writing lock files ---------------------------------------------------------


class LockError(ValueError):
    """A lock file that breaks its promise: a line that is no exact pin, or two pins at once."""


def read_lock(path: Path, target: Target) -> Pins:
    """The pins of ``path`` that apply on ``target``; :class:`LockError` if one is not exact."""
    pins: Pins = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        req = Requirement(line)
        exact = [spec for spec in req.specifier if spec.operator == "=="]
        if len(exact) != 1 or len(req.specifier) != 1 or req.extras or req.url:
            msg = f"{path.name}:{number}: not one exact pin: {line!r}"
            raise LockError(msg)
        if not target.takes(req.marker):
            continue
        name = canonicalize_name(req.name)
        if name in pins:
            msg = f"{path.name}:{number}: a second pin of {name} on {target.name}"
            raise LockError(msg)
        pins[name] = exact[0].version
    return pins


def lock_lines(by_target: Mapping[Target, Pins]) -> list[str]:
    """One line per distribution and version, with the marker of the targets it is for."""
    versions: dict[str, dict[str, list[Target]]] = defaultdict(lambda: defaultdict(list))
    for target, pins in by_target.items():
        for name, version in pins.items():
            versions[name][version].append(target)
    lines = []
    for name in sorted(versions):
        for version, targets in sorted(versions[name].items(), key=lambda kv: Version(kv[0])):
            if len(targets) == len(by_target):
                lines.append(f"{name}=={version}")
            else:
                either = " or ".join(
                    f"({t.marker})" if " and " in t.marker else t.marker for t in targets
                )
                lines.append(f"{name}=={version} ; {either}")
    return lines


def _header(what: str, targets: Iterable[Target]) -> str:
    names = ", ".join(t.name for t in targets)
    python = f"{PYTHON[0]}.{PYTHON[1]}"
    macos = f" (macOS {MACOS[0]}+)" if "macos" in names else ""
    return (
        f"# {what}\n# Written by build_scripts/lock.py for CPython {python} on {names}"
        f"{macos}; do not edit by hand.\n"
    )


# -- what pyproject.toml asks for -------------------------------------------------------------


def project() -> dict[str, object]:
    import tomllib  # Python 3.11+ (a maintainer's and CI's tool; the app itself needs 3.10)

    data: dict[str, object] = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    return data


def requirements(extras: Iterable[str] = EXTRAS) -> list[tuple[Requirement, str]]:
    """The app's dependencies and those of ``extras``, each with its extra ("" for none)."""
    data = project()
    found = [(Requirement(text), "") for text in data["dependencies"]]  # type: ignore[attr-defined]
    optional = data["optional-dependencies"]
    for extra in extras:
        found += [(Requirement(text), extra) for text in optional[extra]]  # type: ignore[index]
    return found


def floors(dependencies: Iterable[str]) -> list[str]:
    """``name==X`` for each dependency that has a floor ``>=X`` (markers kept)."""
    pins = []
    for req in map(Requirement, dependencies):
        lowest = [spec.version for spec in req.specifier if spec.operator == ">="]
        if lowest:
            marker = f" ; {req.marker}" if req.marker else ""
            pins.append(f"{req.name}=={lowest[0]}{marker}")
    return pins


# -- resolving with uv --------------------------------------------------------------------------


def _uv() -> str:
    found = shutil.which("uv") or shutil.which("uv", path=str(Path(sys.executable).parent))
    if not found:
        msg = 'lock.py needs uv: pip install -c build_scripts/constraints.txt ".[lock]"'
        raise SystemExit(msg)
    return found


def resolve(
    target: Target,
    preferred: Pins,
    *,
    upgrade: bool,
    extras: Iterable[str] = EXTRAS,
    constraints: Iterable[str] = (),
) -> Pins:
    """uv's resolution for ``target``: wheels only, no pre-releases, ``preferred`` where it fits."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        out = work / "out.txt"
        out.write_text("".join(f"{n}=={v}\n" for n, v in preferred.items()), encoding="utf-8")
        (work / "tools.in").write_text("\n".join(TOOLS) + "\n", encoding="utf-8")
        (work / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
        command = [_uv(), "pip", "compile", str(PYPROJECT), str(work / "tools.in")]
        command += [arg for extra in extras for arg in ("--extra", extra)]
        command += ["--constraint", str(work / "constraints.txt"), "--output-file", str(out)]
        command += ["--python-version", f"{PYTHON[0]}.{PYTHON[1]}"]
        command += ["--python-platform", target.uv_platform, "--only-binary", ":all:"]
        command += ["--prerelease", "disallow", "--no-header", "--no-annotate", "--quiet"]
        command += ["--index-url", INDEX, "--no-config"]
        if upgrade:
            command.append("--upgrade")
        env = {**os.environ, "MACOSX_DEPLOYMENT_TARGET": f"{MACOS[0]}.{MACOS[1]}"}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            msg = f"uv could not resolve for {target.name}:\n{done.stderr}"
            raise SystemExit(msg)
        pins: Pins = {}
        for line in out.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, _, version = line.partition("==")
                pins[canonicalize_name(name)] = version.strip()
        return pins


def resolve_all(upgrade: bool) -> tuple[dict[Target, Pins], Pins]:
    """The full lock for every target and the lowest lock for Linux, as uv resolves them today."""
    full = {t: resolve(t, _current(LOCK, t), upgrade=upgrade) for t in TARGETS}
    lowest = resolve(
        LINUX,
        _current(LOWEST, LINUX),
        upgrade=upgrade,
        extras=("test",),
        constraints=floors(project()["dependencies"]),  # type: ignore[arg-type]
    )
    return full, lowest


def _current(path: Path, target: Target) -> Pins:
    return read_lock(path, target) if path.exists() else {}


def write(full: Mapping[Target, Pins], lowest: Pins) -> None:
    what = 'Exact versions: pip install -c build_scripts/constraints.txt ".[build]" (or ".[test]")'
    LOCK.write_text(_header(what, TARGETS) + "\n".join(lock_lines(full)) + "\n", encoding="utf-8")
    what = "The app's dependencies at pyproject.toml's floors, and the test tools around them"
    lines = lock_lines({LINUX: lowest})
    LOWEST.write_text(_header(what, [LINUX]) + "\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {LOCK.name} ({sum(map(len, full.values()))} pins over {len(full)} targets)")
    print(f"wrote {LOWEST.name} ({len(lowest)} pins)")


def differences(old: Pins, new: Pins) -> list[str]:
    """``name old -> new`` for each pin that differs (``-`` where one side has none)."""
    return [
        f"{name} {old.get(name, '-')} -> {new.get(name, '-')}"
        for name in sorted(set(old) | set(new))
        if old.get(name) != new.get(name)
    ]


# -- every pin has a wheel for every target -----------------------------------------------------


def index_files(name: str, index: str = INDEX) -> list[str]:
    """The file names the index lists for ``name`` (its PEP 691 JSON page)."""
    request = urllib.request.Request(
        f"{index.rstrip('/')}/{name}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return [f["filename"] for f in json.load(answer)["files"]]


def has_wheel(files: Iterable[str], version: str, accepted: frozenset[tags.Tag]) -> bool:
    for filename in files:
        try:
            _name, wheel_version, _build, wheel_tags = parse_wheel_filename(filename)
        except InvalidWheelFilename:
            continue  # an sdist, or a name that is no wheel's
        if wheel_version == Version(version) and wheel_tags & accepted:
            return True
    return False


def missing_wheels(
    by_target: Mapping[Target, Pins], index: str = INDEX
) -> list[tuple[str, str, str]]:
    """``(name, version, target name)`` for each pin that has no wheel for its target."""
    names = sorted({name for pins in by_target.values() for name in pins})
    with ThreadPoolExecutor(8) as pool:
        files = dict(zip(names, pool.map(lambda n: index_files(n, index), names), strict=True))
    missing = []
    for target, pins in by_target.items():
        accepted = target.wheel_tags()
        for name, version in sorted(pins.items()):
            if not has_wheel(files[name], version, accepted):
                missing.append((name, version, target.name))
    return missing


def check_platforms(index: str = INDEX) -> int:
    """Print each pin without a wheel for its target; 1 if there is one, else 0."""
    by_target = {t: read_lock(LOCK, t) for t in TARGETS}
    missing = missing_wheels(by_target, index)
    for name, version, target in missing:
        print(f"no wheel: {name}=={version} for {target} (CPython {PYTHON[0]}.{PYTHON[1]})")
    pins = sum(map(len, by_target.values()))
    print(f"{pins} pins over {len(TARGETS)} targets: {len(missing)} without a wheel")
    return 1 if missing else 0


def check() -> int:
    """What is newer upstream (information), whether the lock still resolves as written, wheels."""
    newest_full, newest_lowest = resolve_all(upgrade=True)
    for target, pins in newest_full.items():
        newer = differences(read_lock(LOCK, target), pins)
        print(f"newer upstream for {target.name}: {', '.join(newer) or 'nothing'}")
    newer = differences(read_lock(LOWEST, LINUX), newest_lowest)
    print(f"newer upstream in the lowest lock: {', '.join(newer) or 'nothing'}")
    stale = 0
    kept_full, kept_lowest = resolve_all(upgrade=False)
    for name, target, pins in [
        *((LOCK.name, t, p) for t, p in kept_full.items()),
        (LOWEST.name, LINUX, kept_lowest),
    ]:
        drift = differences(read_lock(ROOT / "build_scripts" / name, target), pins)
        if drift:
            stale = 1
            print(f"{name} does not resolve as written for {target.name} (run lock.py): {drift}")
    return stale | check_platforms()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--upgrade", action="store_true", help="take the newest versions")
    mode.add_argument("--check", action="store_true", help="report only; writes nothing")
    mode.add_argument("--platforms", action="store_true", help="only the wheel check")
    args = parser.parse_args(argv)
    if args.platforms:
        return check_platforms()
    if args.check:
        return check()
    write(*resolve_all(upgrade=args.upgrade))
    return check_platforms()


if __name__ == "__main__":
    sys.exit(main())
