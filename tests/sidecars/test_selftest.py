"""Self-test: the real installation passes; a damaged model or unwritable folder fails."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

from support import REPO, run_cli, start_xvfb

from shh_converter import paths
from shh_converter.sidecars import selftest

if TYPE_CHECKING:
    from pathlib import Path


def _no_display_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def test_self_test_command_passes_here(app_home: Path) -> None:
    proc = run_cli("self-test", timeout=120, env=_no_display_env())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert set(statuses) == set(selftest.CHECKS)
    assert statuses == {
        "folders": "pass",
        "codecs": "pass",
        "onnxruntime": "pass",
        "model": "pass",
        "tk": "skip",
    }
    assert report["ok"] is True
    model = next(c for c in report["checks"] if c["name"] == "model")
    assert "md5 ok" in model["detail"] and "inference" in model["detail"]
    assert (app_home / "config").is_dir() and (app_home / "logs").is_dir()


def _run_frozen_like(bundle: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a frozen app would: assets from ``sys._MEIPASS``."""
    code = (
        "import sys; sys._MEIPASS = sys.argv.pop(1); "
        "from shh_converter.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(bundle), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


def test_damaged_model_fails_with_checksum_message(tmp_path: Path) -> None:
    models = tmp_path / "bundle" / "assets" / "models"
    models.mkdir(parents=True)
    blob = bytearray(paths.bundled_model_path().read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # one flipped byte somewhere in the weights
    (models / "u2netp.onnx").write_bytes(bytes(blob))
    proc = _run_frozen_like(tmp_path / "bundle", "self-test", "--only", "model")
    assert proc.returncode == 1
    (check,) = json.loads(proc.stdout)["checks"]
    assert check["status"] == "fail" and "checksum" in check["detail"]


def test_missing_model_fails(tmp_path: Path) -> None:
    (tmp_path / "bundle" / "assets").mkdir(parents=True)
    proc = _run_frozen_like(tmp_path / "bundle", "self-test", "--only", "model")
    assert proc.returncode == 1
    assert "bundled model missing" in proc.stdout


def test_unwritable_folder_fails(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    env = _no_display_env()
    env[paths.HOME_ENV] = str(blocker)
    proc = run_cli("self-test", "--only", "folders", env=env, timeout=60)
    assert proc.returncode == 1
    (check,) = json.loads(proc.stdout)["checks"]
    assert check["status"] == "fail"


def test_unknown_check_is_a_usage_error() -> None:
    proc = run_cli("self-test", "--only", "nope", timeout=60)
    assert proc.returncode == 2 and "unknown check" in proc.stderr


def test_tk_check_passes_on_a_display() -> None:
    xvfb, display = start_xvfb("800x600x24")
    try:
        env = dict(os.environ, DISPLAY=display)
        proc = run_cli("self-test", "--only", "tk", env=env, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        (check,) = json.loads(proc.stdout)["checks"]
        assert check["status"] == "pass" and check["detail"].startswith("Tk ")
    finally:
        xvfb.terminate()
        xvfb.wait(10)
