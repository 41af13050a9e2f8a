"""Per-user folders, in one place.

Everything the app writes at run time (config, logs, crash reports, downloaded
models, cache) lives under per-user folders chosen by platformdirs:

* Windows: ``%LOCALAPPDATA%\\SHH Converter\\...``
* macOS:   ``~/Library/Application Support/SHH Converter`` (logs in ``~/Library/Logs``)
* Linux:   the XDG folders (``~/.config``, ``~/.local/state``, ``~/.cache`` ...)

``SHH_CONVERTER_HOME`` relocates all of them under one root (portable installs,
tests). The folders are module attributes, read at call time (``paths.config_dir``),
so tests can repoint them with :func:`configure` and nothing ever lands in the
real home folder while tests run. Nothing is created at import time.
"""

from __future__ import annotations

import functools
import os
import re
import sys
from pathlib import Path

import platformdirs

APP_DIR_NAME = "SHH Converter"
HOME_ENV = "SHH_CONVERTER_HOME"

config_dir: Path
log_dir: Path
crash_dir: Path
models_dir: Path
cache_dir: Path


def configure(root: str | os.PathLike[str] | None = None) -> None:
    """(Re)compute every folder: under ``root``, else ``$SHH_CONVERTER_HOME``, else platformdirs."""
    global config_dir, log_dir, crash_dir, models_dir, cache_dir
    root = root if root is not None else os.environ.get(HOME_ENV) or None
    if root is not None:
        base = Path(root).expanduser().resolve()
        config_dir = base / "config"
        log_dir = base / "logs"
        crash_dir = base / "crash-reports"
        models_dir = base / "models"
        cache_dir = base / "cache"
        return
    dirs = platformdirs.PlatformDirs(APP_DIR_NAME, appauthor=False, roaming=False)
    config_dir = Path(dirs.user_config_dir)
    log_dir = Path(dirs.user_log_dir)
    data = Path(dirs.user_data_dir)
    crash_dir = data / "crash-reports"
    models_dir = data / "models"
    cache_dir = Path(dirs.user_cache_dir)


def ensure(folder: Path) -> Path:
    """Create ``folder`` (and parents) if needed and return it."""
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def all_dirs() -> dict[str, Path]:
    """Every per-user folder by name (for the self-test and the About box)."""
    return {
        "config": config_dir,
        "logs": log_dir,
        "crash_reports": crash_dir,
        "models": models_dir,
        "cache": cache_dir,
    }


def asset_dir() -> Path:
    """Folder of the shipped data files (icons, the bundled model).

    Frozen (PyInstaller): ``<bundle>/assets``. Installed wheel:
    ``site-packages/shh_converter/assets``. Source checkout: ``<repo>/assets``.
    """
    frozen_base = getattr(sys, "_MEIPASS", None)
    if frozen_base:
        return Path(frozen_base) / "assets"
    here = Path(__file__).resolve().parent
    installed = here / "assets"
    if (installed / "models").is_dir():
        return installed
    return here.parent / "assets"


def bundled_model_path(name: str = "u2netp") -> Path:
    """Path of a model shipped with the app (may not exist for non-bundled names)."""
    return asset_dir() / "models" / f"{name}.onnx"


def redact_home(text: str) -> str:
    """Write the user's home folder as ``~`` (logs and crash reports never name the user).

    Only whole folder names are replaced: with home ``/home/al`` the path
    ``/home/alice`` is left alone.
    """
    home = os.path.expanduser("~")
    if len(home) <= 1:
        return text
    return _home_pattern(home).sub("~", text)


@functools.lru_cache(maxsize=4)
def _home_pattern(home: str) -> re.Pattern[str]:
    """The home folder (either slash style) not followed by more of a folder name."""
    flags = re.IGNORECASE if os.name == "nt" else 0  # Windows paths ignore case
    variants = sorted({re.escape(home), re.escape(home.replace("\\", "/"))}, key=len)
    return re.compile(f"(?:{'|'.join(variants)})" + r"(?![^\\/\s'\":;,)\]}>])", flags)


configure()
