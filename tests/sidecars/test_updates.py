"""Update check against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import sys
import threading
import time
from typing import TYPE_CHECKING, Any

import pytest
from support.web import QuietHandler, local_server

from shh_converter import __version__
from shh_converter.sidecars import config, updates

if TYPE_CHECKING:
    from collections.abc import Iterator


class _Handler(QuietHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.hits.append((self.path, self.headers.get("If-None-Match")))
        route = getattr(self, "route_" + self.path.strip("/").replace("-", "_"), None)
        if route is None:
            self._send(404, b'{"message": "Not Found"}')
        else:
            route()

    def _send(self, code: int, body: bytes, **headers: str) -> None:
        self.send_response(code)
        headers.setdefault("Content-Type", "application/json")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _release(self, tag: str, prerelease: bool = False, etag: str = '"e1"') -> None:
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        body = {
            "tag_name": tag,
            "html_url": f"https://example.invalid/releases/{tag}",
            "body": f"What is new in {tag}",
            "prerelease": prerelease,
        }
        self._send(200, json.dumps(body).encode(), ETag=etag)

    def route_newer(self) -> None:
        self._release("v99.0.0")

    def route_same(self) -> None:
        self._release(__version__)

    def route_pre(self) -> None:
        self._release("v99.1.0rc1", prerelease=True)

    def route_badtag(self) -> None:
        self._release("nightly-build")

    def route_ratelimit(self) -> None:
        self._send(403, b'{"message": "API rate limit exceeded"}', X_RateLimit_Remaining="0")

    def route_error(self) -> None:
        self._send(500, b"oops")

    def route_garbage(self) -> None:
        self._send(200, b"<html>not json at all")

    def route_huge_declared(self) -> None:
        self._send(200, b"[" + b"1," * 3_000_000 + b"1]")

    def route_huge(self) -> None:
        # No Content-Length: the client has to count while streaming.
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        chunk = b" " * 65536
        for _ in range(80):  # 5 MB
            self.wfile.write(chunk)

    def route_hang(self) -> None:
        self.server.release.wait(30)  # accepted, never answers

    def route_trickle(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        for _ in range(100):
            if self.server.release.wait(0.3):
                return
            self.wfile.write(b" ")
            self.wfile.flush()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    hits: list[tuple[str, str | None]]
    release: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The client hanging up on a huge or slow answer is what the tests want.
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


@pytest.fixture
def server() -> Iterator[_Server]:
    with local_server(_Handler, _Server) as srv:
        srv.hits, srv.release = [], threading.Event()
        yield srv
        srv.release.set()  # a hanging answer ends before the server stops


@pytest.fixture
def cfg() -> config.Config:
    return config.load(environ={})


def _point(monkeypatch: pytest.MonkeyPatch, srv: _Server, route: str) -> str:
    url = f"http://127.0.0.1:{srv.server_address[1]}/{route}"
    monkeypatch.setenv(updates.URL_ENV, url)
    return url


def test_url_from_config_and_environment(
    cfg: config.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(updates.URL_ENV, raising=False)
    assert updates.release_url(cfg) == (
        "https://api.github.com/repos/LWR95/ImageToWebp/releases/latest"
    )
    monkeypatch.setenv(updates.URL_ENV, "http://127.0.0.1:9/x")
    assert updates.release_url(cfg) == "http://127.0.0.1:9/x"


def test_newer_release_then_cache_then_etag(
    server: _Server, cfg: config.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point(monkeypatch, server, "newer")
    first = updates.check(cfg)
    assert first.update_available and first.error is None
    assert first.latest_version == "99.0.0" and first.current_version == __version__
    assert first.url and first.url.endswith("v99.0.0")
    assert first.notes == "What is new in v99.0.0"
    assert server.hits == [("/newer", None)]
    again = updates.check(cfg)  # within a day: no request at all
    assert again.from_cache and again.latest_version == "99.0.0"
    assert len(server.hits) == 1
    forced = updates.check(cfg, force=True)  # asks, with the ETag; 304 reuses the cache
    assert server.hits[-1] == ("/newer", '"e1"')
    assert forced.update_available and forced.from_cache and forced.notes == first.notes


def test_skip_this_version(
    server: _Server, cfg: config.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point(monkeypatch, server, "newer")
    cfg.set("updates.skipped_version", "99.0.0")
    quiet = updates.check(cfg)
    assert not quiet.update_available and quiet.skipped
    asked = updates.check(cfg, force=True)
    assert asked.update_available and asked.skipped


def test_same_version(server: _Server, cfg: config.Config, monkeypatch: pytest.MonkeyPatch) -> None:
    _point(monkeypatch, server, "same")
    result = updates.check(cfg)
    assert not result.update_available and result.error is None
    assert result.latest_version == __version__


def test_prerelease_only_when_opted_in(
    server: _Server, cfg: config.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point(monkeypatch, server, "pre")
    assert not updates.check(cfg).update_available
    cfg.set("updates.include_prereleases", True)
    result = updates.check(cfg, force=True)
    assert result.update_available and result.latest_version == "99.1.0rc1"


@pytest.mark.parametrize(
    ("route", "words"),
    [
        ("ratelimit", "rate limit"),
        ("missing", "HTTP 404"),
        ("error", "HTTP 500"),
        ("garbage", "unreadable"),
        ("huge", "too large"),
        ("huge-declared", "too large"),
        ("badtag", "not a version"),
    ],
)
def test_failures_are_reported_not_raised(
    server: _Server, cfg: config.Config, monkeypatch: pytest.MonkeyPatch, route: str, words: str
) -> None:
    _point(monkeypatch, server, route)
    result = updates.check(cfg, force=True)
    assert not result.update_available
    assert result.error and words in result.error
    assert len(result.error.splitlines()) == 1


def test_failed_check_is_not_cached(
    server: _Server, cfg: config.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point(monkeypatch, server, "error")
    updates.check(cfg)
    updates.check(cfg)
    assert len(server.hits) == 2


def test_refused_connection(cfg: config.Config, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv(updates.URL_ENV, f"http://127.0.0.1:{port}/x")
    result = updates.check(cfg, force=True)
    assert result.error and "cannot reach" in result.error


@pytest.mark.parametrize("route", ["hang", "trickle"])
def test_silent_or_slow_server_gives_up_within_five_seconds(
    server: _Server, cfg: config.Config, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    _point(monkeypatch, server, route)
    start = time.monotonic()
    result = updates.check(cfg, force=True)
    elapsed = time.monotonic() - start
    assert elapsed < updates.TIMEOUT + 0.6
    assert result.error and "within 5 s" in result.error


def test_background_check_calls_back_from_another_thread(
    server: _Server, cfg: config.Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point(monkeypatch, server, "newer")
    got: list[tuple[updates.UpdateResult, str]] = []
    done = threading.Event()

    def callback(result: updates.UpdateResult) -> None:
        got.append((result, threading.current_thread().name))
        done.set()

    thread = updates.check_in_background(callback, cfg, force=True)
    assert done.wait(10)
    thread.join(5)
    assert not thread.is_alive()
    result, name = got[0]
    assert name == "update-check" and result.update_available


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("v1.2.0", "1.2.0"), ("1.2.0", "1.2.0"), ("V2.0rc1", "2.0rc1"), ("latest", None), ("", None)],
)
def test_parse_version(tag: str, expected: str | None) -> None:
    parsed = updates.parse_version(tag)
    assert (str(parsed) if parsed else None) == expected


CLI_KEYS = {"update_available", "current_version", "latest_version", "url", "notes", "error"}


@pytest.mark.parametrize(
    ("route", "available"), [("newer", True), ("same", False), ("error", False)]
)
def test_check_update_command_prints_json_and_exit_code(
    server: _Server, monkeypatch: pytest.MonkeyPatch, route: str, available: bool
) -> None:
    import os

    from support import run_cli

    url = _point(monkeypatch, server, route)
    proc = run_cli("check-update", "--force", env=dict(os.environ, **{updates.URL_ENV: url}))
    assert proc.returncode == (3 if route == "error" else 0), proc.stderr  # 3: could not check
    answer = json.loads(proc.stdout)
    assert set(answer) >= CLI_KEYS
    assert answer["update_available"] is available
    assert answer["current_version"] == __version__
    assert (answer["error"] is None) is (route != "error")
    assert server.hits[-1][0] == f"/{route}"
