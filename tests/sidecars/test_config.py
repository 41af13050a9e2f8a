"""Config: defaults written on first run, deep merge, validation, corrupt files, env overrides."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from shh_converter import paths
from shh_converter.core.checks import check_fields
from shh_converter.core.settings import Settings
from shh_converter.sidecars import config

if TYPE_CHECKING:
    from pathlib import Path

REVIEW_KEYS = (
    "features.background_removal_enabled",
    "features.max_image_size_mb",
    "features.max_batch_size",
    "features.processing_timeout_seconds",
    "performance.memory_warning_threshold_mb",
    "performance.enable_performance_logging",
    "performance.max_concurrent_operations",
    "ui.show_advanced_options",
    "ui.enable_debug_mode",
)


def _default(key: str) -> Any:
    return config.BY_KEY[key].default


def _file() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(config.config_path().read_text(encoding="utf-8"))
    return data


def test_first_run_writes_every_default(app_home: Path) -> None:
    assert not config.config_path().exists()
    cfg = config.load(environ={})
    on_disk = _file()
    assert config.config_path().parent == paths.config_dir
    assert on_disk["schema_version"] == config.SCHEMA_VERSION
    for option in config.OPTIONS:
        node = on_disk
        for part in option.key.split("."):
            node = node[part]
        assert node == option.default, option.key
        assert cfg.get(option.key) == option.default
    for key in REVIEW_KEYS:
        assert key in config.BY_KEY
    assert cfg.notice is None and cfg.warnings == []


def test_deep_merge_keeps_nested_defaults_and_unknown_keys() -> None:
    path = config.config_path()
    paths.ensure(path.parent)
    path.write_text(
        json.dumps(
            {
                "features": {"max_batch_size": 7, "future_flag": "x"},
                "plugins": {"a": [1, 2]},
            }
        ),
        encoding="utf-8",
    )
    cfg = config.load(environ={})
    assert cfg.get("features.max_batch_size") == 7
    # a sibling missing from the file still has its default (a shallow merge loses it)
    assert cfg.get("features.background_removal_enabled") is True
    assert cfg.get("features.processing_timeout_seconds") == 300
    cfg.set("ui.show_advanced_options", True)
    cfg.save()
    on_disk = _file()
    assert on_disk["features"]["future_flag"] == "x"
    assert on_disk["plugins"] == {"a": [1, 2]}
    assert on_disk["ui"]["show_advanced_options"] is True
    assert config.load(environ={}).get("ui.show_advanced_options") is True


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("features.max_batch_size", "ten"),
        ("features.max_batch_size", -3),
        ("features.max_batch_size", True),
        ("features.background_removal_enabled", "yes"),
        ("updates.repository", "no-slash"),
        ("updates.api_base", "ftp://x"),
        ("performance.memory_warning_threshold_mb", 1),
    ],
)
def test_bad_value_falls_back_to_default_with_warning(key: str, bad: object) -> None:
    tree = config.default_tree()
    section, name = key.split(".")
    tree[section][name] = bad
    path = config.config_path()
    paths.ensure(path.parent)
    path.write_text(json.dumps(tree), encoding="utf-8")
    cfg = config.load(environ={})
    assert cfg.get(key) == config.BY_KEY[key].default
    assert any(key in w for w in cfg.warnings)
    with pytest.raises(ValueError):
        cfg.set(key, bad)


def test_unknown_key_raises() -> None:
    cfg = config.load(environ={})
    with pytest.raises(KeyError):
        cfg.get("features.nope")
    with pytest.raises(KeyError):
        cfg.set("nope", 1)


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", "", "\x00\x01"])
def test_corrupt_file_is_moved_aside_and_user_told_once(content: str) -> None:
    path = config.config_path()
    paths.ensure(path.parent)
    path.write_text(content, encoding="utf-8")
    cfg = config.load(environ={})
    aside = list(path.parent.glob("config.json.corrupt-*"))
    assert len(aside) == 1
    assert aside[0].read_text(encoding="utf-8") == content
    notice = cfg.take_notice()
    assert notice and aside[0].name in notice
    assert cfg.take_notice() is None
    assert cfg.get("features.max_batch_size") == _default("features.max_batch_size")
    assert _file()["schema_version"] == config.SCHEMA_VERSION  # a good file replaced it
    assert config.load(environ={}).notice is None  # the next start says nothing


def test_save_is_atomic_and_leaves_no_temp_files() -> None:
    cfg = config.load(environ={})
    for i in range(5):
        cfg.set("features.max_batch_size", i + 1)
        cfg.save()
    names = sorted(p.name for p in config.config_path().parent.iterdir())
    assert names == ["config.json"]
    assert _file()["features"]["max_batch_size"] == 5


def test_settings_and_presets_round_trip() -> None:
    cfg = config.load(environ={})
    settings = Settings()
    cfg.set("ui.settings", settings.to_dict())
    cfg.set("ui.presets", {"mine": settings.to_dict()})
    cfg.set("ui.window_geometry", "800x600+10+10")
    cfg.save()
    again = config.load(environ={})
    assert check_fields(Settings, again.get("ui.settings")).value == settings
    assert check_fields(Settings, again.get("ui.presets")["mine"]).value == settings
    assert again.get("ui.window_geometry") == "800x600+10+10"


def test_environment_overrides_are_not_saved() -> None:
    env = {
        "SHH_CONVERTER_FEATURES__MAX_BATCH_SIZE": "10",
        "SHH_CONVERTER_FEATURES__BACKGROUND_REMOVAL_ENABLED": "false",
        "SHH_CONVERTER_UI__NOPE": "1",
        "SHH_CONVERTER_FEATURES__MAX_IMAGE_SIZE_MB": "-5",
        "SHH_CONVERTER_HOME": "/ignored",
    }
    cfg = config.load(environ=env)
    assert cfg.get("features.max_batch_size") == 10
    assert cfg.get("features.background_removal_enabled") is False
    assert cfg.get("features.max_image_size_mb") == _default("features.max_image_size_mb")
    assert len(cfg.warnings) == 2
    cfg.save()
    assert _file()["features"]["max_batch_size"] == _default("features.max_batch_size")


def test_limits_from_config() -> None:
    cfg = config.load(environ={})
    limits = config.limits_from(cfg)
    assert limits.max_file_bytes == _default("features.max_image_size_mb") * 1024 * 1024
    assert limits.timeout_seconds == 300
    assert limits.max_batch == _default("features.max_batch_size")
    cfg.set("features.max_image_size_mb", 0)
    cfg.set("features.processing_timeout_seconds", 0)
    cfg.set("features.max_batch_size", 0)
    limits = config.limits_from(cfg)
    assert (limits.max_file_bytes, limits.timeout_seconds, limits.max_batch) == (None, None, None)
    assert config.workers_from(cfg) is None
    cfg.set("performance.max_concurrent_operations", 3)
    assert config.workers_from(cfg) == 3
    assert limits.ai_memory_mb is None  # 0: automatic (capacity.auto_ai_memory_mb)
    cfg.set("performance.ai_memory_mb", 600)
    assert config.limits_from(cfg).ai_memory_mb == 600


# -- the flags really gate (through the real CLI) ----------------------------------------


def _write_config(**flags: object) -> None:
    cfg = config.load(environ={})
    for key, value in flags.items():
        cfg.set(key.replace("__", "."), value)
    cfg.save()


def _images(folder: Path) -> tuple[Path, Path]:
    import os

    from PIL import Image
    from support.images import solid

    folder.mkdir()
    small, big = folder / "small.png", folder / "big.png"
    solid(small, (8, 8), (200, 10, 10))
    Image.frombytes("RGB", (128, 128), os.urandom(128 * 128 * 3)).save(big)  # ~48 KB
    return small, big


def test_remove_bg_disabled_in_config_exits_2(tmp_path: Path) -> None:
    from support.inprocess import cli_in_process

    _write_config(features__background_removal_enabled=False)
    small, _ = _images(tmp_path / "in")
    proc = cli_in_process("convert", str(small), "-o", str(tmp_path / "out"), "--remove-bg")
    assert proc.returncode == 2
    assert "background removal is disabled in the config" in proc.stderr
    assert "features.background_removal_enabled" in proc.stderr
    assert not list((tmp_path / "out").glob("*.webp"))


def test_file_size_limit_from_config_fails_only_that_file(tmp_path: Path) -> None:
    from support.inprocess import cli_in_process

    _write_config(features__max_image_size_mb=0.02)  # 20 KB
    small, big = _images(tmp_path / "in")
    assert small.stat().st_size < 20 * 1024 < big.stat().st_size
    proc = cli_in_process("convert", str(small), str(big), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1
    outputs = sorted(p.name for p in (tmp_path / "out").glob("*.webp"))
    assert outputs == ["small.webp"]
    failed = [line for line in proc.stderr.splitlines() if "big.png" in line]
    assert len(failed) == 1 and "failed" in failed[0] and "too large" in failed[0]


def test_batch_limit_from_config(tmp_path: Path) -> None:
    from support.inprocess import cli_in_process

    _write_config(features__max_batch_size=1)
    small, big = _images(tmp_path / "in")
    proc = cli_in_process("convert", str(small), str(big), "-o", str(tmp_path / "out"))
    assert proc.returncode == 2
    assert "limit of 1" in proc.stderr


def test_corrupt_config_notice_reaches_the_cli_user_once(tmp_path: Path) -> None:
    from support.inprocess import cli_in_process

    path = config.config_path()
    paths.ensure(path.parent)
    path.write_text("{broken", encoding="utf-8")
    small, _ = _images(tmp_path / "in")
    first = cli_in_process("convert", str(small), "-o", str(tmp_path / "out"))
    second = cli_in_process("convert", str(small), "-o", str(tmp_path / "out2"))
    assert first.returncode == 0 and second.returncode == 0
    assert "settings file was damaged" in first.stderr
    assert "damaged" not in second.stderr
