"""Per-user folders: one override root, platformdirs otherwise, nothing created at import."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from support import run_python

from shh_converter import paths

if TYPE_CHECKING:
    import pytest

SHOW = (
    "import json; from shh_converter import paths; "
    "print(json.dumps({k: str(v) for k, v in paths.all_dirs().items()}))"
)


def _dirs_in_subprocess(env: dict[str, str]) -> dict[str, str]:
    proc = run_python("-c", SHOW, timeout=60, env=env)
    assert proc.returncode == 0, proc.stderr
    dirs: dict[str, str] = json.loads(proc.stdout)
    return dirs


def test_home_override_relocates_everything(tmp_path: Path) -> None:
    paths.configure(tmp_path / "portable")
    root = (tmp_path / "portable").resolve()
    for name, folder in paths.all_dirs().items():
        assert folder.parent == root, name
    assert len(set(paths.all_dirs().values())) == 5


def test_platformdirs_used_without_override(tmp_path: Path) -> None:
    env = dict(os.environ, HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    env.pop(paths.HOME_ENV, None)
    for name in ("XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME"):
        env.pop(name, None)
    dirs = _dirs_in_subprocess(env)
    if sys.platform.startswith("linux"):
        assert dirs["config"] == str(tmp_path / "cfg" / paths.APP_DIR_NAME)
        assert dirs["cache"] == str(tmp_path / ".cache" / paths.APP_DIR_NAME)
    for folder in dirs.values():
        assert Path(folder).is_relative_to(tmp_path)
        assert paths.APP_DIR_NAME in folder
    assert list(tmp_path.iterdir()) == []  # nothing created just by importing


def test_env_override_in_a_subprocess(tmp_path: Path) -> None:
    env = dict(os.environ, **{paths.HOME_ENV: str(tmp_path / "x")})
    dirs = _dirs_in_subprocess(env)
    assert dirs["logs"] == str((tmp_path / "x" / "logs").resolve())
    assert not (tmp_path / "x").exists()


def test_ensure_creates_folders(tmp_path: Path) -> None:
    paths.configure(tmp_path)
    assert not paths.crash_dir.exists()
    assert paths.ensure(paths.crash_dir).is_dir()


def test_redact_home() -> None:
    home = str(Path.home())
    text = f"cannot open {home}/Pictures/a b.jpg; also {home.replace(os.sep, '/')}/x"
    redacted = paths.redact_home(text)
    assert home not in redacted
    assert "~/Pictures/a b.jpg" in redacted.replace("\\", "/")
    assert paths.redact_home("/srv/images/a.jpg") == "/srv/images/a.jpg"


def test_bundled_model_found() -> None:
    model = paths.bundled_model_path()
    assert model.is_file() and model.name == "u2netp.onnx"
    assert model.parent.parent == paths.asset_dir()


def test_redact_home_replaces_whole_folder_names_only(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    home = tmp_path / "al"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))
    assert Path.home() == home
    assert paths.redact_home(f"{home}/a.png") == "~/a.png"
    assert paths.redact_home(f"'{home}'") == "'~'"
    assert paths.redact_home(f"{home}ice/a.png") == f"{home}ice/a.png"
