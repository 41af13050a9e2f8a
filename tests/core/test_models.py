"""Model registry and downloads, against a real HTTP server on 127.0.0.1.

The server serves a copy of the bundled u2netp under other names: with the right
checksum (a test-only registry entry) and as "silueta" (wrong checksum); it can cut
a body off, answer 503 first, or ignore Range, so resume, retry, checksum and cancel
all run against real sockets.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import itertools
import socket
import threading
import time
from typing import TYPE_CHECKING

import pytest
from support.web import QuietHandler, local_server

from shh_converter import paths
from shh_converter.core import downloads
from shh_converter.core.background import models
from shh_converter.core.events import CancelToken

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class ModelServer:
    """Serves ``files[name] = bytes``, honouring ``Range: bytes=N-`` with a 206.

    Scripted trouble, consumed one request at a time: ``cut[name]`` responses send
    half of what they promise and hang up; ``fail[name]`` is a list of status codes
    answered first (e.g. ``[503]``). ``ignore_range`` answers 200 with the whole body.
    Every request's path and Range header are kept in ``requests``.
    """

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.cut: dict[str, int] = {}
        self.fail: dict[str, list[int]] = {}
        self.ignore_range = False
        self.retry_after: str | None = "0"
        self.chunk_delay = 0.0  # seconds between 64 KB pieces (a slow server)
        self.requests: list[tuple[str, str | None]] = []
        owner = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                name = self.path.lstrip("/")
                wanted = self.headers.get("Range")
                owner.requests.append((name, wanted))
                body = owner.files.get(name)
                if body is None:
                    self.send_error(404, "Not Found")
                    return
                if owner.fail.get(name):
                    self.send_response(owner.fail[name].pop(0))
                    if owner.retry_after is not None:
                        self.send_header("Retry-After", owner.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = 0
                if wanted and not owner.ignore_range:
                    start = int(wanted.removeprefix("bytes=").split("-")[0])
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                rest = body[start:]
                self.send_header("Content-Length", str(len(rest)))
                self.end_headers()
                if owner.cut.get(name, 0) > 0:
                    owner.cut[name] -= 1
                    self.wfile.write(rest[: len(rest) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if owner.chunk_delay:
                    for at in range(0, len(rest), 65536):
                        self.wfile.write(rest[at : at + 65536])
                        time.sleep(owner.chunk_delay)
                    return
                self.wfile.write(rest)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request: object, client_address: object) -> None:
                pass  # a client that cancels mid-body breaks the pipe: expected here

        self._serving = contextlib.ExitStack()
        self.httpd = self._serving.enter_context(local_server(Handler, Server))
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/"

    def close(self) -> None:
        self._serving.close()


U2NETP = paths.bundled_model_path("u2netp")
U2NETP_MD5 = "md5:8e83ca70e441ab06c318d82300c84806"
NO_WAIT = downloads.RetryPolicy(attempts=3, first_wait=0.0)  # retries without back-off


@pytest.fixture
def server() -> Iterator[ModelServer]:
    srv = ModelServer()
    data = U2NETP.read_bytes()
    srv.files["renamed-model.onnx"] = data
    srv.files["silueta.onnx"] = data  # not silueta: checksum must fail
    srv.files["u2netp.onnx"] = data
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
        models.download("tiny-test", url_base=server.url, timeout=5, retry=NO_WAIT)
    assert first.read_bytes() == b"damaged"  # a failed re-download leaves the old file alone


def test_url_base_from_environment(server: ModelServer, tiny, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(models.URL_ENV, server.url.rstrip("/"))
    assert models.download("tiny-test").is_file()


def test_wrong_checksum_leaves_nothing(server: ModelServer) -> None:
    with pytest.raises(models.ModelError, match="checksum"):
        models.download("silueta", url_base=server.url)
    assert leftovers() == []
    assert models.installed_path("silueta") is None


def test_dropped_connection_resumes_with_range(server: ModelServer, tiny: models.ModelInfo) -> None:
    data = U2NETP.read_bytes()
    server.cut["renamed-model.onnx"] = 1
    seen: list[int] = []
    path = models.download(
        "tiny-test", url_base=server.url, progress=lambda d, t: seen.append(d), retry=NO_WAIT
    )
    assert path.read_bytes() == data
    (first, no_range), (second, resume_from) = server.requests
    assert first == second == "renamed-model.onnx" and no_range is None
    assert resume_from is not None
    start = int(resume_from.removeprefix("bytes=").rstrip("-"))
    assert 0 < start <= len(data) // 2  # what arrived before the cut (whole chunks)
    assert seen == sorted(seen) and seen[-1] == len(data)  # resumed, not restarted at 0
    assert leftovers() == ["tiny-test.onnx"]


def test_interrupted_download_resumes_in_a_later_call(
    server: ModelServer, tiny: models.ModelInfo
) -> None:
    data = U2NETP.read_bytes()
    server.cut["renamed-model.onnx"] = 3  # every try of the first call is cut off
    with pytest.raises(models.ModelError, match="cut off") as err:
        models.download("tiny-test", url_base=server.url, retry=NO_WAIT)
    assert "\n" not in str(err.value)
    part = paths.models_dir / "tiny-test.onnx.part"
    assert leftovers() == ["tiny-test.onnx.part"] and 0 < part.stat().st_size < len(data)
    assert models.status("tiny-test") == models.NOT_INSTALLED
    assert models.partial_bytes("tiny-test") == part.stat().st_size
    got = part.stat().st_size
    server.requests.clear()
    assert models.download("tiny-test", url_base=server.url).read_bytes() == data
    assert server.requests == [("renamed-model.onnx", f"bytes={got}-")]
    assert leftovers() == ["tiny-test.onnx"]


def test_server_ignoring_range_starts_over(server: ModelServer, tiny: models.ModelInfo) -> None:
    data = U2NETP.read_bytes()
    paths.ensure(paths.models_dir)
    (paths.models_dir / "tiny-test.onnx.part").write_bytes(b"x" * 1000)  # not the real start
    server.ignore_range = True
    assert models.download("tiny-test", url_base=server.url).read_bytes() == data
    assert server.requests == [("renamed-model.onnx", "bytes=1000-")]


def test_stale_part_file_fails_checksum_then_starts_over(
    server: ModelServer, tiny: models.ModelInfo
) -> None:
    data = U2NETP.read_bytes()
    paths.ensure(paths.models_dir)
    (paths.models_dir / "tiny-test.onnx.part").write_bytes(b"x" * 1000)  # a different file
    assert models.download("tiny-test", url_base=server.url).read_bytes() == data
    assert server.requests == [("renamed-model.onnx", "bytes=1000-"), ("renamed-model.onnx", None)]
    assert leftovers() == ["tiny-test.onnx"]


def test_complete_part_file_is_finished_without_a_body(
    server: ModelServer, tiny: models.ModelInfo
) -> None:
    data = U2NETP.read_bytes()  # e.g. the app was closed between the last byte and the rename
    paths.ensure(paths.models_dir)
    (paths.models_dir / "tiny-test.onnx.part").write_bytes(data)
    assert models.download("tiny-test", url_base=server.url).read_bytes() == data
    assert server.requests == [("renamed-model.onnx", f"bytes={len(data)}-")]  # answered 416
    assert leftovers() == ["tiny-test.onnx"]


def test_transient_503_is_retried(server: ModelServer, tiny: models.ModelInfo) -> None:
    server.fail["renamed-model.onnx"] = [503, 502]
    path = models.download("tiny-test", url_base=server.url, retry=NO_WAIT)
    assert path.read_bytes() == U2NETP.read_bytes()
    assert len(server.requests) == 3


def test_persistent_503_gives_up_cleanly(server: ModelServer, tiny: models.ModelInfo) -> None:
    server.fail["renamed-model.onnx"] = [503] * 5
    with pytest.raises(models.ModelError, match="503"):
        models.download("tiny-test", url_base=server.url, retry=NO_WAIT)
    assert len(server.requests) == NO_WAIT.attempts
    assert leftovers() == []


def test_cancel_during_retry_wait(server: ModelServer, tiny: models.ModelInfo) -> None:
    server.fail["renamed-model.onnx"] = [503]
    token = CancelToken()
    slow = downloads.RetryPolicy(attempts=3, first_wait=30.0, max_wait=30.0)
    server.retry_after = None  # so the client waits its own 30 s back-off
    threading.Timer(0.3, token.cancel).start()
    started = time.monotonic()
    with pytest.raises(models.DownloadCancelled):
        models.download("tiny-test", url_base=server.url, cancel=token, retry=slow)
    assert time.monotonic() - started < 10  # the wait was cut short, not slept out
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
        models.download("u2net", url_base=f"http://127.0.0.1:{port}/", timeout=5, retry=NO_WAIT)
    assert leftovers() == []


def test_missing_file_on_server(server: ModelServer) -> None:
    with pytest.raises(models.ModelError, match="404"):
        models.download("u2net", url_base=server.url)
    assert len(server.requests) == 1  # a 404 is not retried


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

    def counting(path: Path, algorithm: str) -> str:
        hashed.append(path)
        return real(path, algorithm)

    monkeypatch.setattr(models, "file_checksum", counting)
    models.verified_path("u2netp")
    models.verified_path("u2netp")
    assert hashed == [U2NETP]


def test_registry_checksums_are_well_formed() -> None:
    for info in models.MODELS.values():
        algorithm, _, digest = info.checksum.partition(":")
        assert len(digest) == hashlib.new(algorithm).digest_size * 2
        assert info.file_name == f"{info.name}.onnx"


def test_status_and_delete(server: ModelServer, tiny: models.ModelInfo) -> None:
    assert models.status("u2netp") == models.BUNDLED
    assert models.status("tiny-test") == models.NOT_INSTALLED
    path = models.download("tiny-test", url_base=server.url)
    assert models.status("tiny-test") == models.INSTALLED
    assert models.verified_path("tiny-test") == path
    assert models.delete("tiny-test") is True
    assert models.status("tiny-test") == models.NOT_INSTALLED and leftovers() == []
    assert models.delete("tiny-test") is False
    assert models.delete("u2netp") is False  # the bundled copy is part of the app
    assert models.verified_path("u2netp") == U2NETP
