"""Helpers of the fault tests: images, privilege drops, a real small tmpfs.

Kept beside the tests (imported as ``from faultkit import ...`` through the
``tests/faults`` conftest's path) rather than in ``tests/support/``, which other
engineers edit.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from support import REPO
from support.images import solid

if TYPE_CHECKING:
    from collections.abc import Iterator


def image(path: Path, color: tuple[int, int, int] = (200, 30, 30), size: int = 16) -> Path:
    """A small real PNG at ``path`` (folders made)."""
    return solid(path, (size, size), color, fmt="PNG")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def without_dac_override(argv: list[str]) -> list[str]:
    """``argv`` run so file permissions apply, also as root.

    Root reads every file whatever its mode, so a test of "no permission" run as
    root drops the two capabilities that allow it (util-linux ``setpriv``; the
    process stays root otherwise, so the virtual environment stays readable).
    """
    if not is_root():
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        msg = "running as root without setpriv: permissions cannot be tested"
        raise RuntimeError(msg)
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", *argv]


def cli_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "shh_converter", *args]


def run_cli_limited(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """The CLI as a real process that file permissions apply to (see above)."""
    return subprocess.run(
        without_dac_override(cli_argv(*args)),
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


@contextlib.contextmanager
def small_tmpfs(size: str = "2m") -> Iterator[Path]:
    """A real tmpfs of ``size`` mounted on a fresh folder; unmounted afterwards.

    Raises ``PermissionError`` where mounting is impossible (not root, no mount
    command, a container without CAP_SYS_ADMIN): callers skip with that reason.
    """
    mount = shutil.which("mount")
    if not sys.platform.startswith("linux") or not is_root() or mount is None:
        msg = "mounting a tmpfs needs Linux, root and mount(8)"
        raise PermissionError(msg)
    where = Path(tempfile.mkdtemp(prefix="shh-tmpfs-"))
    done = subprocess.run(
        [mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        where.rmdir()
        msg = f"mount -t tmpfs failed: {done.stderr.strip()}"
        raise PermissionError(msg)
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], capture_output=True)
        with contextlib.suppress(OSError):
            where.rmdir()


def temps_under(folder: Path) -> list[Path]:
    from shh_converter.core.atomic import TEMP_PREFIX

    return [p for p in folder.rglob("*") if p.name.startswith(TEMP_PREFIX)]
