"""Model registry and downloads, against a real HTTP server on 127.0.0.1.

The server serves a copy of the bundled u2netp under other names: once with the
right checksum (a test-only registry entry), once as "silueta" (wrong checksum),
once cut off mid-body, and a cancel from the progress callback.
"""

from __future__ import annotations

import hashlib
import http.server
import itertools
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from shh_converter import paths
from shh_converter.core import models
from shh_converter.core.events import CancelToken


class ModelServer:
    """Serves ``files[name] = bytes``; names in ``cut`` send half the body, then hang up."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: set[str] = set()
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                body = owner.files.get(name)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if name in owner.cut:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that cancels mid-body breaks the pipe: expected here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


U2NETP = paths.bundled_model_path("u2netp")
U2NETP_MD5 = "md5:8e83ca70e441ab06c318d82300c84806"


@pytest.fixture
def server() -> Iterator[ModelServer]:
    srv = ModelServer()
    data = U2NETP.read_bytes()
    srv.files["renamed-model.onnx"] = data
    srv.files["silueta.onnx"] = data  # not silueta: checksum must fail
    srv.files["u2netp.onnx"] = data
    srv.files["cut.onnx"] = data
    srv.cut.add("cut.onnx")
    yield srv
    srv.close()


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> models.ModelInfo:
    """A registry entry whose remote file is u2netp under another name."""
    info = models.ModelInfo("tiny-test", "renamed-model.onnx", U2NETP_MD5, 4.6, 320)
    monkeypatch.setitem(models.MODELS, info.name, info)
    return info


def leftovers() -> list[str]:
    folder = paths.models_dir
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_bundled_u2netp_is_verified_and_used() -> None:
    assert models.checksum_ok(U2NETP, U2NETP_MD5)
    assert models.verified_path("u2netp") == U2NETP
    assert models.installed_path("u2net") is None


def test_download_installs_verified_file(server: ModelServer, tiny: models.ModelInfo) -> None:
    seen: list[tuple[int, int | None]] = []
    path = models.download(
        "tiny-test", url_base=server.url, progress=lambda d, t: seen.append((d, t))
    )
    assert path == paths.models_dir / "tiny-test.onnx"
    assert path.read_bytes() == U2NETP.read_bytes()
    total = U2NETP.stat().st_size
    assert seen[-1] == (total, total)
    assert len(seen) > 1 and all(a[0] < b[0] for a, b in itertools.pairwise(seen))
    assert models.verified_path("tiny-test") == path
    assert leftovers() == ["tiny-test.onnx"]


def test_verified_copy_is_not_downloaded_again(server: ModelServer, tiny: models.ModelInfo) -> None:
    first = models.download("tiny-test", url_base=server.url)
    server.close()  # nothing listens any more: a second download must not need it
    assert models.download("tiny-test", url_base=server.url) == first
    first.write_bytes(b"damaged")
    with pytest.raises(models.ModelError, match="offline or server unreachable"):
        models.download("tiny-test", url_base=server.url, timeout=5)
    assert first.read_bytes() == b"damaged"  # a failed re-download leaves the old file alone


def test_url_base_from_environment(server: ModelServer, tiny, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(models.URL_ENV, server.url.rstrip("/"))
    assert models.download("tiny-test").is_file()


def test_wrong_checksum_leaves_nothing(server: ModelServer) -> None:
    with pytest.raises(models.ModelError, match="checksum"):
        models.download("silueta", url_base=server.url)
    assert leftovers() == []
    assert models.installed_path("silueta") is None


def test_dropped_connection_leaves_nothing(server: ModelServer, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    info = models.ModelInfo("cut-test", "cut.onnx", U2NETP_MD5, 4.6, 320)
    monkeypatch.setitem(models.MODELS, info.name, info)
    with pytest.raises(models.ModelError, match="cut off") as err:
        models.download("cut-test", url_base=server.url)
    assert "\n" not in str(err.value)
    assert leftovers() == []


def test_cancel_from_progress_leaves_nothing(server: ModelServer, tiny: models.ModelInfo) -> None:
    token = CancelToken()
    calls: list[int] = []

    def progress(done: int, total: int | None) -> None:
        calls.append(done)
        token.cancel()

    with pytest.raises(models.DownloadCancelled):
        models.download("tiny-test", url_base=server.url, progress=progress, cancel=token)
    assert len(calls) == 1
    assert leftovers() == []


def test_offline_is_a_clear_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(models.ModelError, match="offline or server unreachable"):
        models.download("u2net", url_base=f"http://127.0.0.1:{port}/", timeout=5)
    assert leftovers() == []


def test_missing_file_on_server(server: ModelServer) -> None:
    with pytest.raises(models.ModelError, match="404"):
        models.download("u2net", url_base=server.url)


def test_damaged_download_is_detected_and_preferred_over_bundled(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(models, "_verified", set())
    target = paths.ensure(paths.models_dir) / "u2netp.onnx"
    target.write_bytes(b"\0" * 1000)
    with pytest.raises(models.ModelError, match=r"damaged.*models download u2netp"):
        models.verified_path("u2netp")


def test_checksum_verified_once_per_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(models, "_verified", set())
    hashed: list[Path] = []
    real = models.file_checksum
    monkeypatch.setattr(models, "file_checksum", lambda p, a: hashed.append(p) or real(p, a))
    models.verified_path("u2netp")
    models.verified_path("u2netp")
    assert hashed == [U2NETP]


def test_registry_checksums_are_well_formed() -> None:
    for info in models.MODELS.values():
        algorithm, _, digest = info.checksum.partition(":")
        assert len(digest) == hashlib.new(algorithm).digest_size * 2
        assert info.file_name == f"{info.name}.onnx"
