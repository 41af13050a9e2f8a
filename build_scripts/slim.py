"""Post-build trimming that PyInstaller's own ``strip`` option cannot do safely.

``EXE(strip=True)`` strips every shared library, and that breaks the wheels'
libraries that auditwheel patched (seen: numpy's OpenBLAS "ELF load command
address/offset not page-aligned"). Only the Python library itself is stripped of
its debug information here: a Python built from source (pyenv, as on the Linux CI)
ships ~18 MB of it; python.org's macOS build and Windows have none to remove.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path


def strip_python_debug_info(internal: Path) -> int:
    """``strip --strip-debug`` the bundle's libpython (Linux only); returns bytes saved."""
    strip = shutil.which("strip")
    if not sys.platform.startswith("linux") or strip is None:
        return 0
    saved = 0
    for lib in internal.glob("libpython*.so*"):
        if lib.is_symlink() or not lib.is_file():
            continue
        before = lib.stat().st_size
        subprocess.run([strip, "--strip-debug", str(lib)], check=True)
        saved += before - lib.stat().st_size
    return saved
