"""The lock keeps its promises whatever PyPI publishes next.

Everything here reads the lock files, ``pyproject.toml`` and this environment's installed
metadata; nothing asks an index, so a new release upstream can never turn it red. What
needs an index (does every pin have a wheel for every target, does the lock still resolve)
is ``build_scripts/lock.py --platforms`` (a step of ``scripts/test.sh``) and ``--check``.
"""

from __future__ import annotations

import importlib.metadata as md
import sys
from typing import TYPE_CHECKING, Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version
from support import REPO
from support.web import QuietHandler, local_server

sys.path.insert(0, str(REPO / "build_scripts"))
import lock

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

WINDOWS, MAC_ARM, MAC_INTEL = (
    next(t for t in lock.TARGETS if t.name == n)
    for n in ("windows-amd64", "macos-arm64", "macos-x86_64")
)


# -- the files as written ------------------------------------------------------------------------


@pytest.mark.parametrize("target", lock.TARGETS, ids=lambda t: t.name)
def test_each_target_has_one_exact_pin_per_distribution(target: lock.Target) -> None:
    pins = lock.read_lock(lock.LOCK, target)  # raises on a second pin or a loose one
    assert "onnxruntime" in pins and "pip" in pins and "pytest" in pins and "pyinstaller" in pins


@pytest.mark.parametrize("target", lock.TARGETS, ids=lambda t: t.name)
def test_every_requirement_is_pinned_within_pyproject_ranges(target: lock.Target) -> None:
    pins = lock.read_lock(lock.LOCK, target)
    for req, extra in lock.requirements():
        if target.takes(req.marker, extra):
            name = canonicalize_name(req.name)
            assert name in pins, f"{name} ({extra or 'app'}) has no pin on {target.name}"
            assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])


def test_the_lowest_lock_pins_the_floors_and_stays_in_range() -> None:
    pins = lock.read_lock(lock.LOWEST, lock.LINUX)
    floors = lock.floors(lock.project()["dependencies"])
    assert len(floors) >= 15
    for floor in floors:
        req = Requirement(floor)
        if lock.LINUX.takes(req.marker):
            floor_version = Version(next(iter(req.specifier)).version)
            assert Version(pins[canonicalize_name(req.name)]) == floor_version, floor
    for req, extra in lock.requirements(extras=("test",)):
        if lock.LINUX.takes(req.marker, extra):
            assert req.specifier.contains(pins[canonicalize_name(req.name)], prereleases=True)


def test_intel_macs_get_the_last_onnxruntime_built_for_them() -> None:
    """onnxruntime has no macOS x86_64 wheel after 1.23.2 (build_scripts/lock.py --platforms)."""
    intel = lock.read_lock(lock.LOCK, MAC_INTEL)["onnxruntime"]
    assert intel == "1.23.2"
    assert lock.read_lock(lock.LOCK, MAC_ARM)["onnxruntime"] != intel


# -- this environment is the lock (scripts/test.sh installs it with -c) ------------------------


def _installed_closure(roots: list[tuple[Requirement, str]]) -> dict[str, md.Distribution]:
    """Every installed distribution the requirements need here, extras followed."""
    found: dict[str, md.Distribution] = {}
    todo = [(req, extra) for req, extra in roots if lock.LINUX.takes(req.marker, extra)]
    while todo:
        req, _ = todo.pop()
        name = canonicalize_name(req.name)
        if name in found:
            continue
        found[name] = dist = md.distribution(req.name)
        for text in dist.requires or []:
            child = Requirement(text)
            wanted = ["", *sorted(req.extras)]
            if any(_applies_here(child, extra) for extra in wanted):
                todo.append((child, ""))
    return found


def _applies_here(req: Requirement, extra: str) -> bool:
    return req.marker is None or req.marker.evaluate({"extra": extra})


def test_this_environment_was_installed_from_the_lock() -> None:
    pins = lock.read_lock(lock.LOCK, lock.LINUX)
    installed = _installed_closure(lock.requirements(extras=("build", "test")))
    assert len(installed) >= 40
    differ = {n: (d.version, pins.get(n)) for n, d in installed.items() if pins.get(n) != d.version}
    assert not differ, f"installed, pinned (pip install -c build_scripts/constraints.txt): {differ}"


def test_what_the_installed_packages_need_elsewhere_is_pinned_there() -> None:
    """One level down on Windows and macOS: requirements whose markers are false here."""
    installed = _installed_closure(lock.requirements(extras=("build", "test")))
    checked = 0
    for target in (WINDOWS, MAC_ARM, MAC_INTEL):
        pins = lock.read_lock(lock.LOCK, target)
        for dist in installed.values():
            for text in dist.requires or []:
                req = Requirement(text)
                if req.marker and not _applies_here(req, "") and target.takes(req.marker):
                    checked += 1
                    assert canonicalize_name(req.name) in pins, (dist.name, text, target.name)
    assert checked >= 5  # colorama, pywin32-ctypes, macholib, ... are found this way


def test_the_bundle_tree_leaves_the_reference_tools_out() -> None:
    bundle = _installed_closure(lock.requirements(extras=("build",)))
    assert "onnxruntime" in bundle and "pyinstaller" in bundle
    assert "rembg" not in bundle and "pymatting" not in bundle


# -- the lock's own logic -------------------------------------------------------------------------


def test_floors_keep_markers_and_skip_requirements_without_one() -> None:
    floors = lock.floors(["a>=1.2,<2", "b[x]>=3; sys_platform == 'win32'", "c", "d<5", "e >= 0.4"])
    assert floors == ["a==1.2", 'b==3 ; sys_platform == "win32"', "e==0.4"]


def test_lock_lines_read_back_the_same_on_every_target(tmp_path: Path) -> None:
    linux, windows = lock.LINUX, WINDOWS
    by_target = {
        linux: {"numpy": "2.4.6", "dbus-fast": "5.2.0", "pip": "25.3"},
        windows: {"numpy": "2.4.6", "colorama": "0.4.6", "pip": "25.3"},
        MAC_ARM: {"numpy": "2.4.6", "onnxruntime": "1.32.0", "pip": "25.3"},
        MAC_INTEL: {"numpy": "2.3.5", "onnxruntime": "1.23.2", "pip": "25.3"},
    }
    lines = lock.lock_lines(by_target)
    assert "pip==25.3" in lines  # the same everywhere: one plain pin
    assert 'dbus-fast==5.2.0 ; sys_platform == "linux"' in lines
    path = tmp_path / "constraints.txt"
    path.write_text("\n".join(lines), encoding="utf-8")
    for target, pins in by_target.items():
        assert lock.read_lock(path, target) == pins


def test_a_second_pin_or_a_loose_one_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "constraints.txt"
    path.write_text('numpy==2.4.6\nnumpy==2.3.5 ; sys_platform == "darwin"\n', encoding="utf-8")
    lock.read_lock(path, lock.LINUX)  # one pin on Linux: fine
    with pytest.raises(lock.LockError, match="a second pin of numpy on macos-arm64"):
        lock.read_lock(path, MAC_ARM)
    path.write_text("numpy>=2\n", encoding="utf-8")
    with pytest.raises(lock.LockError, match="not one exact pin"):
        lock.read_lock(path, lock.LINUX)


class _Index(QuietHandler):
    """A PEP 691 simple index holding ``server.files`` (project -> file names)."""

    server: Any

    def do_GET(self) -> None:
        name = self.path.strip("/").rpartition("/")[2]
        self.send_json(
            {"name": name, "files": [{"filename": f} for f in self.server.files[name]]},
            content_type="application/vnd.pypi.simple.v1+json",
        )


@pytest.fixture
def index() -> Iterator[Any]:
    with local_server(_Index) as server:
        yield server


def test_the_wheel_check_names_the_package_and_the_platform_without_one(index: Any) -> None:
    index.files = {
        "engine": [
            "engine-1.0.tar.gz",  # an sdist is no wheel
            "engine-1.0-cp311-cp311-manylinux_2_28_x86_64.whl",
            "engine-1.0-cp311-cp311-win_amd64.whl",
            "engine-1.0-cp311-cp311-macosx_14_0_arm64.whl",
            "engine-1.0-cp312-cp312-macosx_13_0_x86_64.whl",  # another Python
            "engine-1.1-cp311-cp311-macosx_13_0_x86_64.whl",  # another version
        ],
        "pure": ["pure-2.0-py3-none-any.whl"],
        "newer-mac": [
            "newer_mac-3.0-cp311-abi3-macosx_15_0_arm64.whl",  # needs macOS 15, the lock says 14
            "newer_mac-3.0-cp311-abi3-macosx_10_9_x86_64.whl",
        ],
    }
    pins = {"engine": "1.0", "pure": "2.0", "newer-mac": "3.0"}
    url = f"http://127.0.0.1:{index.server_port}/simple"
    missing = lock.missing_wheels({t: pins for t in lock.TARGETS}, url)
    assert sorted(missing) == [
        ("engine", "1.0", "macos-x86_64"),
        ("newer-mac", "3.0", "linux-x86_64"),
        ("newer-mac", "3.0", "macos-arm64"),
        ("newer-mac", "3.0", "windows-amd64"),
    ]
