"""The lock keeps its promises whatever PyPI publishes next.

Everything here reads the lock files, ``pyproject.toml`` and this environment's installed
metadata; nothing asks an index, so a new release upstream can never turn it red. What
needs an index (does every pin have a wheel for every target, does the lock still resolve)
is ``build_scripts/lock.py --platforms`` (a step of ``scripts/test.sh``) and ``--check``.
"""

from __future__ import annotations

import http.server
import json
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import REPO

sys.path.insert(0, str(REPO / "build_scripts"))
import lock

WINDOWS, MAC_ARM, MAC_INTEL = (next(t for t in lock.TARGETS if t.name == n) for n in (
    "windows-amd64", "macos-arm64", "macos-x86_64"))


class _Index(http.server.BaseHTTPRequestHandler):
    """A PEP 691 simple index holding ``server.files`` (project -> file names)."""

    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        name = self.path.strip("/").rpartition("/")[2]
        body = json.dumps({"name": name, "files": [{"filename": f} for f in self.server.files[name]]})
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.end_headers()
        self.wfile.write(body.encode())


@pytest.fixture
def index() -> Iterator[Any]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Index)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


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
