"""The app's JSON config with feature flags, declared in one place.

Every option is declared once in :data:`OPTIONS` (key, type, default, validation,
help). The file lives at ``paths.config_dir / "config.json"`` and carries a
``schema_version``.

Rules (architecture rule 6):

* first run writes the file with every default, so users can find and edit the flags;
* loading deep-merges the file over the defaults: a nested key missing from the file
  takes its default, the others survive;
* a bad value falls back to its default with a warning (logged and kept in
  :attr:`Config.warnings`);
* keys this version does not know are kept and written back on save;
* saves are atomic (temp file in the same folder, then ``os.replace``);
* a corrupt file is renamed aside as ``config.json.corrupt-<time>``, the app starts
  on defaults and :attr:`Config.notice` carries a one-time message for the user
  (the next start finds a good file, so the notice is shown once);
* environment overrides for scalar flags: ``SHH_CONVERTER_FEATURES__MAX_BATCH_SIZE=10``
  sets ``features.max_batch_size`` for this run only (never saved).

Call points: the CLI's start-up (``startup.startup``) and the GUI (``gui.prefs``)
call :func:`load`; both build ``Settings.limits`` with :func:`limits_from`.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import paths
from ..core.atomic import atomic_write
from ..core.background.providers import PREFERENCES as AI_PROVIDERS
from ..core.settings import Limits
from ..i18n import LANGUAGES

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
FILE_NAME = "config.json"
ENV_PREFIX = "SHH_CONVERTER_"
MB = 1024 * 1024


@dataclass(frozen=True)
class Option:
    """One config option: dotted key, accepted type(s), default, extra check, help text."""

    key: str
    type: type | tuple[type, ...]
    default: Any
    check: Callable[[Any], bool] | None = None
    help: str = ""
    nullable: bool = False

    def valid(self, value: object) -> bool:
        """True when ``value`` is acceptable for this option."""
        if value is None:
            return self.nullable
        if isinstance(value, bool) and bool not in _as_tuple(self.type):
            return False  # bool is an int subclass: "max_batch_size": true is a mistake
        if not isinstance(value, self.type):
            return False
        return self.check is None or bool(self.check(value))


def _as_tuple(t: type | tuple[type, ...]) -> tuple[type, ...]:
    return t if isinstance(t, tuple) else (t,)


def _between(lo: float, hi: float) -> Callable[[Any], bool]:
    return lambda v: lo <= v <= hi


def _http_url(v: str) -> bool:
    return v.startswith(("https://", "http://"))


def _repo_name(v: str) -> bool:
    owner, _, name = v.partition("/")
    return bool(owner) and bool(name) and "/" not in name


NUM = (int, float)
OPTIONS: tuple[Option, ...] = (
    # -- feature flags (the production review's keys) ----------------------------
    # Defaults differ from the review's sketch where it would refuse ordinary use:
    # 50 MB refuses a 16-bit TIFF scan, 100 files refuses one folder of holiday photos.
    # Decoded size is guarded by Limits.max_pixels and the memory monitor anyway.
    Option("features.background_removal_enabled", bool, True, help="Offer background removal"),
    Option(
        "features.max_image_size_mb",
        NUM,
        200,
        _between(0, 100_000),
        "Largest SOURCE FILE accepted, in MB on disk (0 = no limit)",
    ),
    Option(
        "features.max_batch_size",
        int,
        200_000,  # planning 100,000 files takes seconds (bench_scale.py)
        _between(0, 10_000_000),
        "Most files in one batch (0 = no limit)",
    ),
    Option(
        "features.processing_timeout_seconds",
        NUM,
        300,
        _between(0, 86_400),
        "Longest time for one file, in seconds (0 = no limit)",
    ),
    # -- performance ---------------------------------------------------------------
    Option(
        "performance.memory_warning_threshold_mb",
        NUM,
        1024,
        _between(16, 1_000_000),
        "Memory budget: a warning in the log above it (new files are held only when"
        " the system itself runs low)",
    ),
    Option(
        "performance.ai_memory_mb",
        NUM,
        0,
        _between(0, 1_000_000),
        "Memory an AI background-removal batch's processes aim to stay under: files wait"
        " for each other rather than overlap beyond it (0 = automatic: 450 MB on 2 cores,"
        " 150 MB more per further core; raise it to overlap big photos)",
    ),
    Option(
        "performance.ai_provider",
        str,
        "auto",
        lambda v: v in AI_PROVIDERS,
        "Where AI background removal runs: auto (a GPU where onnxruntime has one: CoreML on"
        " macOS, CUDA or DirectML on Windows, CUDA on Linux; else the CPU), cpu, or one of"
        " coreml, directml, cuda (the CPU, with a note, where it is missing or fails)",
    ),
    Option(
        "performance.enable_performance_logging",
        bool,
        True,
        help="Log time and memory for each file",
    ),
    Option(
        "performance.max_concurrent_operations",
        int,
        0,
        _between(0, 256),
        "Files converted at once (0 = automatic, one per CPU core)",
    ),
    # -- window --------------------------------------------------------------------
    Option("ui.show_advanced_options", bool, False, help="Show advanced options"),
    Option("ui.enable_debug_mode", bool, False, help="Debug-level logging"),
    Option(
        "ui.language",
        str,
        "auto",
        lambda v: v == "auto" or v in LANGUAGES,
        "Language of the window and messages: auto (the system's), en, de, es, fr, ja",
    ),
    Option("ui.window_geometry", str, None, nullable=True, help="Last window size and position"),
    Option("ui.window_geometries", dict, {}, help="Window size and position per screen size"),
    Option("ui.notify_when_done", bool, True, help="Notify when a long batch ends unwatched"),
    Option("ui.last_input_dir", str, None, nullable=True, help="Last folder images came from"),
    Option("ui.last_output_dir", str, None, nullable=True, help="Last destination folder"),
    Option("ui.settings", dict, None, nullable=True, help="Last conversion settings"),
    Option("ui.recipe", dict, None, nullable=True, help="Last outputs list (a recipe)"),
    Option("ui.presets", dict, {}, help="User presets: name -> recipe (core/presets.py)"),
    Option("ui.watch_folders", list, [], help="Watched folders: folder, dest, settings each"),
    Option("ui.resume_watching", bool, False, help="Resume the watched folders at start-up"),
    # -- update check --------------------------------------------------------------
    Option("updates.check_on_startup", bool, True, help="Check for a new version at start-up"),
    Option("updates.api_base", str, "https://api.github.com", _http_url, "Release API base URL"),
    Option("updates.repository", str, "LWR95/ImageToWebp", _repo_name, "owner/name on GitHub"),
    Option("updates.include_prereleases", bool, False, help="Also offer pre-releases"),
    Option("updates.skipped_version", str, None, nullable=True, help="Version the user skipped"),
    # The last answer, its ETag and time live in paths.cache_dir/update-check.json,
    # not here: the check runs in a background thread and must not race the window's
    # own saves of this file.
)
BY_KEY: dict[str, Option] = {o.key: o for o in OPTIONS}


def default_tree() -> dict[str, Any]:
    """The full nested dict of defaults, with the schema version."""
    tree: dict[str, Any] = {"schema_version": SCHEMA_VERSION}
    for option in OPTIONS:
        _put(tree, option.key, copy.deepcopy(option.default))
    return tree


def _lookup(tree: Mapping[str, object], key: str) -> tuple[bool, Any]:
    node: object = tree
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _put(tree: dict[str, Any], key: str, value: object) -> None:
    *parents, leaf = key.split(".")
    node = tree
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[leaf] = value


def _deep_merge(base: Mapping[str, object], over: Mapping[str, object]) -> dict[str, Any]:
    """``over`` on top of ``base``, recursively (nested keys of ``base`` survive)."""
    out = dict(base)
    for name, value in over.items():
        below = out.get(name)
        if isinstance(value, Mapping) and isinstance(below, dict):
            out[name] = _deep_merge(below, value)
        else:
            out[name] = copy.deepcopy(value)
    return out


class Config:
    """The loaded config: ``get("a.b")``, ``set("a.b", v)``, ``save()``.

    Unknown keys raise ``KeyError``; a value that fails validation raises ``ValueError``
    from :meth:`set` (the file on disk is never given a bad value by the app).
    """

    def __init__(
        self,
        path: Path,
        data: dict[str, object] | None = None,
        *,
        env: dict[str, object] | None = None,
        notice: str | None = None,
        warnings: list[str] | None = None,
    ) -> None:
        self.path = path
        self.data: dict[str, Any] = data if data is not None else default_tree()
        self.env: dict[str, Any] = env or {}  # environment overrides (this run only)
        self.warnings: list[str] = warnings if warnings is not None else []
        self.notice = notice  # one-time message for the user (corrupt file)

    def get(self, key: str) -> Any:
        """The value of a declared option (environment override first)."""
        option = BY_KEY[key]
        if key in self.env:
            return self.env[key]
        found, value = _lookup(self.data, key)
        return copy.deepcopy(value) if found else copy.deepcopy(option.default)

    def set(self, key: str, value: object) -> None:
        """Change a declared option in memory (call :meth:`save` to keep it)."""
        option = BY_KEY[key]
        if not option.valid(value):
            msg = f"bad value for {key}: {value!r} ({option.help})"
            raise ValueError(msg)
        _put(self.data, key, copy.deepcopy(value))

    def add_notice(self, text: str) -> None:
        """Add a paragraph to the one-time notice (several problems make one message)."""
        self.notice = text if not self.notice else f"{self.notice}\n\n{text}"

    def take_notice(self) -> str | None:
        """The one-time notice (then cleared), for the GUI's dialog or the CLI's stderr."""
        notice, self.notice = self.notice, None
        return notice

    def save(self) -> None:
        """Write the file atomically (unknown keys included, env overrides not)."""
        paths.ensure(self.path.parent)
        self.data["schema_version"] = SCHEMA_VERSION
        blob = json.dumps(self.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        with atomic_write(self.path, owned=False) as fh:  # no psutil on the Tk thread
            fh.write(blob.encode("utf-8"))
        log.debug("config saved to %s", paths.redact_home(str(self.path)))

    def _warn(self, message: str) -> None:
        _warn(self.warnings, message)


def _warn(warnings: list[str], message: str) -> None:
    warnings.append(message)
    log.warning("config: %s", message)


def config_path() -> Path:
    """Where the config file lives (read at call time: tests repoint ``paths``)."""
    return paths.config_dir / FILE_NAME


def load(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Config:
    """Read the config (creating it with defaults on first run); never raises for bad files."""
    path = path or config_path()
    warnings: list[str] = []
    raw, notice = _read(path, warnings)
    data = default_tree() if raw is None else _validated(raw, warnings)
    env = _env_overrides(os.environ if environ is None else environ, warnings)
    cfg = Config(path, data, env=env, notice=notice, warnings=warnings)
    # First run, a corrupt file moved aside, or new options: written for users to find.
    if raw is None or data != raw:
        _try_save(cfg)
    return cfg


def _read(path: Path, warnings: list[str]) -> tuple[dict[str, Any] | None, str | None]:
    """The file's contents (None: none yet, or corrupt) and the notice for a corrupt one."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        log.info("no config yet: writing defaults to %s", paths.redact_home(str(path)))
        return None, None
    except OSError as exc:
        _warn(warnings, f"cannot read {path.name} ({exc.strerror}); using defaults")
        return {}, None
    try:
        raw = json.loads(text)
        if not isinstance(raw, dict):
            msg = "the top level is not an object"
            raise ValueError(msg)
    except ValueError as exc:
        return None, _move_aside(path, str(exc))
    return raw, None


def _move_aside(path: Path, why: str) -> str:
    """Rename a corrupt file aside; the one-time notice that says so."""
    aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        os.replace(path, aside)
        where = f"it was kept as {aside.name}"
    except OSError as exc:
        where = f"it could not be moved aside ({exc.strerror})"
    notice = (
        f"The settings file was damaged ({why}); the app started with default settings "
        f"and {where} in {paths.redact_home(str(path.parent))}."
    )
    log.warning("config: %s", notice)
    return notice


def _validated(raw: Mapping[str, object], warnings: list[str]) -> dict[str, Any]:
    """Deep-merge ``raw`` over the defaults; bad values take their default with a warning."""
    data = _deep_merge(default_tree(), raw)
    version = raw.get("schema_version")
    if version != SCHEMA_VERSION:
        log.info("config schema %r read by schema %d", version, SCHEMA_VERSION)
    for option in OPTIONS:
        found, value = _lookup(data, option.key)
        if not found or not option.valid(value):
            if found:
                message = f"{option.key}={value!r} is not valid; using {option.default!r}"
                _warn(warnings, message)
            _put(data, option.key, copy.deepcopy(option.default))
    data["schema_version"] = SCHEMA_VERSION
    return data


def _try_save(cfg: Config) -> None:
    try:
        cfg.save()
    except OSError as exc:  # a read-only home must not stop the app
        cfg._warn(f"cannot write {cfg.path.name} ({exc.strerror})")


def _env_overrides(environ: Mapping[str, str], warnings: list[str]) -> dict[str, object]:
    """``SHH_CONVERTER_SECTION__NAME=value`` for scalar options."""
    found: dict[str, object] = {}
    for name, text in environ.items():
        if not name.startswith(ENV_PREFIX) or "__" not in name:
            continue
        key = name[len(ENV_PREFIX) :].lower().replace("__", ".")
        option = BY_KEY.get(key)
        if option is None or option.type in (dict,):
            _warn(warnings, f"environment variable {name} names no config flag; ignored")
            continue
        value = _parse_env(text)
        if not option.valid(value):
            _warn(warnings, f"environment variable {name}={text!r} is not valid; ignored")
            continue
        found[key] = value
    return found


def _parse_env(text: str) -> Any:
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    try:
        return json.loads(text)
    except ValueError:
        return text


def limits_from(cfg: Config) -> Limits:
    """The engine's safety limits from the feature flags (0 means "no limit").

    ``features.max_image_size_mb`` limits the SOURCE FILE size on disk (what a user
    sees in their file manager). Decoded size is guarded separately: ``Limits.max_pixels``
    (decompression bombs) and the memory monitor's ``fits_in_memory``.
    """
    size_mb = float(cfg.get("features.max_image_size_mb"))
    timeout = float(cfg.get("features.processing_timeout_seconds"))
    batch = int(cfg.get("features.max_batch_size"))
    return Limits(
        max_file_bytes=int(size_mb * MB) if size_mb > 0 else None,
        timeout_seconds=timeout if timeout > 0 else None,
        max_batch=batch if batch > 0 else None,
        memory_budget_mb=float(cfg.get("performance.memory_warning_threshold_mb")),
        ai_memory_mb=float(cfg.get("performance.ai_memory_mb")) or None,
    )


def workers_from(cfg: Config) -> int | None:
    """``performance.max_concurrent_operations`` as the runner's ``workers`` (None = auto)."""
    value = int(cfg.get("performance.max_concurrent_operations"))
    return value if value > 0 else None


def language_from(cfg: Config | None = None) -> str | None:
    """``ui.language`` for ``i18n.setup`` (loading the config when not given).

    None when it cannot be read (no config yet, an old one): the system language will do.
    """
    try:
        return str((load() if cfg is None else cfg).get("ui.language"))
    except Exception:
        log.debug("ui.language unavailable", exc_info=True)
        return None
