"""``shh-converter models ...`` (the CLI in-process) against a local HTTP server."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from core.test_models import U2NETP, ModelServer
from support.inprocess import cli_in_process

from shh_converter import paths
from shh_converter.core.background import models

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def server() -> Iterator[ModelServer]:
    srv = ModelServer()
    srv.files["u2netp.onnx"] = U2NETP.read_bytes()
    srv.files["silueta.onnx"] = U2NETP.read_bytes()  # wrong file for silueta
    yield srv
    srv.close()


def test_list_shows_bundled_and_missing() -> None:
    done = cli_in_process("models", "list")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:]}
    assert rows["u2netp"][3:5] == ["yes", "yes"]  # installed, bundled
    assert rows["u2net"][3:5] == ["no", "no"]
    assert {"silueta", "isnet-general-use", "birefnet-general-lite"} <= set(rows)


def test_download_then_verify(server: ModelServer) -> None:
    done = cli_in_process("models", "download", "u2netp", "--url", server.url)
    assert done.returncode == 0, done.stderr
    assert "100%" in done.stderr
    installed = paths.models_dir / "u2netp.onnx"
    assert installed.read_bytes() == U2NETP.read_bytes()
    again = cli_in_process("models", "download", "u2netp", "--url", "http://127.0.0.1:9/")
    assert again.returncode == 0 and "already installed" in again.stdout  # no network needed
    verify = cli_in_process("models", "verify")
    assert verify.returncode == 0
    assert "u2netp: ok" in verify.stdout and "1 checked, 0 damaged" in verify.stdout


def test_download_with_bad_checksum_exits_1(server: ModelServer) -> None:
    env = {**os.environ, models.URL_ENV: server.url}  # the environment override
    done = cli_in_process("models", "download", "silueta", env=env)
    assert done.returncode == 1
    assert "checksum" in done.stderr and "Traceback" not in done.stderr
    assert not (paths.models_dir / "silueta.onnx").exists()


def test_verify_finds_damaged_file() -> None:
    paths.ensure(paths.models_dir)
    (paths.models_dir / "u2netp.onnx").write_bytes(b"damaged")
    done = cli_in_process("models", "verify", "u2netp")
    assert done.returncode == 1
    assert "DAMAGED" in done.stdout


def test_unknown_model_is_usage_error() -> None:
    done = cli_in_process("models", "download", "no-such-model")
    assert done.returncode == 2
    assert "unknown model" in done.stderr


def test_offline_download_exits_1() -> None:
    done = cli_in_process("models", "download", "u2net", "--url", "http://127.0.0.1:9/")
    assert done.returncode == 1
    assert "offline or server unreachable" in done.stderr


def test_delete_removes_the_download_not_the_bundled_copy(server: ModelServer) -> None:
    assert cli_in_process("models", "download", "u2netp", "--url", server.url).returncode == 0
    done = cli_in_process("models", "delete", "u2netp")
    assert done.returncode == 0 and "u2netp: deleted" in done.stdout
    assert not (paths.models_dir / "u2netp.onnx").exists()
    again = cli_in_process("models", "delete", "u2netp")
    assert again.returncode == 1 and "bundled with the app" in again.stdout
    missing = cli_in_process("models", "delete", "u2net")
    assert missing.returncode == 1 and "u2net: not installed" in missing.stdout
