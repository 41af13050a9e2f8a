"""Update check: is a newer release out? Never blocks the window, never takes > 5 s.

``GET {updates.api_base}/repos/{updates.repository}/releases/latest`` with requests
(``SHH_CONVERTER_UPDATE_URL`` overrides the whole URL). Rules:

* at most once a day unless ``force``: the last answer, its ETag and the time are
  cached in ``paths.cache_dir/update-check.json`` (a file of its own: the check runs
  in a background thread and must not race the window's saves of config.json); a
  new request sends ``If-None-Match`` and a 304 reuses the cached answer;
* 5 s overall: connect/read timeouts, a deadline while streaming the body, and the
  request runs in a helper thread that the caller stops waiting for at the deadline
  (covers a slow name lookup too);
* the body is streamed and capped at :data:`MAX_BYTES`;
* versions compared with ``packaging.version`` (``v1.2.0`` and ``1.2.0`` alike);
  pre-releases ignored unless ``updates.include_prereleases``; a tag that is not a
  version is ignored (reported in ``error``); "Skip this version"
  (``updates.skipped_version``) silences the automatic notice, not a forced check.

The channel: this app is ``LWR95/ImageToWebp``'s next major version (5.x; that
repository's 4.x releases are the program it replaces), so ``updates.repository``
defaults to it and ``.github/workflows/release.yml`` publishes every tagged build
there. Old 4.x tags compare as older than :data:`shh_converter.__version__` (the
one place the version lives), so they never show as an update.

Call points: the GUI runs :func:`check` in its own thread or uses
:func:`check_in_background` (the callback runs in that thread: post it to Tk's
queue); ``shh-converter check-update`` (``cli.tools``) prints :meth:`UpdateResult.to_dict`.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import requests
from packaging.version import InvalidVersion, Version

from .. import __version__, paths
from ..core.atomic import atomic_write

if TYPE_CHECKING:
    from collections.abc import Callable

    from .config import Config

log = logging.getLogger(__name__)

URL_ENV = "SHH_CONVERTER_UPDATE_URL"
TIMEOUT = 5.0  # seconds, everything included
MAX_BYTES = 1024 * 1024
CHECK_EVERY = 24 * 3600.0
MAX_NOTES = 20_000  # characters of release notes kept
CACHE_FILE = "update-check.json"


@dataclass(frozen=True)
class UpdateResult:
    update_available: bool
    current_version: str
    latest_version: str | None = None
    url: str | None = None
    notes: str | None = None
    error: str | None = None
    skipped: bool = False  # the user chose "Skip this version" for latest_version
    from_cache: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``check-update`` prints."""
        return asdict(self)


class UpdateError(Exception):
    """The check failed; ``str(e)`` is one line for people."""


def release_url(cfg: Config) -> str:
    """The URL asked (environment override first)."""
    override = os.environ.get(URL_ENV)
    if override:
        return override
    base = str(cfg.get("updates.api_base")).rstrip("/")
    return f"{base}/repos/{cfg.get('updates.repository')}/releases/latest"


def check(
    cfg: Config | None = None, force: bool = False, current: str = __version__
) -> UpdateResult:
    """Ask for the latest release (or reuse today's answer). Never raises for network trouble."""
    if cfg is None:
        from . import config

        cfg = config.load()
    cache = _read_cache()
    fresh = time.time() - float(cache.get("checked_at", 0)) < CHECK_EVERY
    if cache.get("release") and fresh and not force:
        return _evaluate(cache["release"], cfg, current, from_cache=True, force=False)
    etag = cache.get("etag") if cache.get("release") else None
    try:
        status, release, new_etag = fetch(release_url(cfg), etag)
    except UpdateError as exc:
        log.info("update check failed: %s", exc)
        return UpdateResult(False, current, error=str(exc))
    if status == 304:
        release, new_etag = cache["release"], etag
    _write_cache({"checked_at": time.time(), "etag": new_etag, "release": release})
    return _evaluate(release, cfg, current, from_cache=status == 304, force=force)


def check_in_background(
    callback: Callable[[UpdateResult], None], cfg: Config | None = None, force: bool = False
) -> threading.Thread:
    """Run :func:`check` in a daemon thread; ``callback(result)`` runs in that thread."""

    def work() -> None:
        try:
            result = check(cfg, force)
        except Exception as exc:  # a bug here must not take the app down
            log.exception("update check crashed")
            result = UpdateResult(False, __version__, error=f"internal error: {exc}")
        callback(result)

    thread = threading.Thread(target=work, name="update-check", daemon=True)
    thread.start()
    return thread


# -- HTTP -----------------------------------------------------------------------------


def fetch(url: str, etag: str | None = None, timeout: float = TIMEOUT) -> tuple[int, Any, Any]:
    """``(status, release dict or None for 304, etag)`` within ``timeout`` seconds overall."""
    answers: queue.Queue[tuple[int, Any, Any] | BaseException] = queue.Queue(maxsize=1)

    def work() -> None:
        try:
            answers.put(_get(url, etag, time.monotonic() + timeout))
        except BaseException as exc:  # handed to the waiting caller
            answers.put(exc)

    threading.Thread(target=work, name="update-http", daemon=True).start()
    try:
        answer = answers.get(timeout=timeout + 0.2)
    except queue.Empty:
        msg = f"no answer from the release server within {timeout:g} s"
        raise UpdateError(msg) from None
    if isinstance(answer, BaseException):
        raise answer
    return answer


def _get(url: str, etag: str | None, deadline: float) -> tuple[int, Any, Any]:
    headers = {
        "Accept": "application/vnd.github+json",
        "User-Agent": f"shh-converter/{__version__}",
    }
    if etag:
        headers["If-None-Match"] = etag
    remaining = max(0.1, deadline - time.monotonic())
    try:
        with requests.get(url, headers=headers, timeout=(remaining, remaining), stream=True) as r:
            if r.status_code == 304:
                return 304, None, etag
            _raise_for_status(r)
            body = _read_capped(r, deadline)
            return 200, _parse(body), r.headers.get("ETag")
    except requests.Timeout:
        msg = f"no answer from the release server within {TIMEOUT:g} s"
        raise UpdateError(msg) from None
    except requests.RequestException as exc:
        msg = f"cannot reach the release server ({type(exc).__name__})"
        raise UpdateError(msg) from None


def _raise_for_status(r: requests.Response) -> None:
    code = r.status_code
    if code == 200:
        return
    if code in (403, 429) and (r.headers.get("X-RateLimit-Remaining") == "0" or code == 429):
        msg = "the release server's rate limit was reached; try again later"
        raise UpdateError(msg)
    if code == 404:
        msg = "no published release was found (HTTP 404)"
        raise UpdateError(msg)
    msg = f"the release server answered HTTP {code}"
    raise UpdateError(msg)


def _read_capped(r: requests.Response, deadline: float) -> bytes:
    declared = r.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > MAX_BYTES:
        msg = f"the release server's answer is too large (over {MAX_BYTES} bytes)"
        raise UpdateError(msg)
    chunks, size = [], 0
    for chunk in r.iter_content(chunk_size=16384):
        size += len(chunk)
        if size > MAX_BYTES:
            msg = f"the release server's answer is too large (over {MAX_BYTES} bytes)"
            raise UpdateError(msg)
        if time.monotonic() > deadline:
            msg = f"no answer from the release server within {TIMEOUT:g} s"
            raise UpdateError(msg)
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except ValueError:
        msg = "the release server sent an unreadable answer"
        raise UpdateError(msg) from None
    if not isinstance(data, dict) or not isinstance(data.get("tag_name"), str):
        msg = "the release server's answer has no release tag"
        raise UpdateError(msg)
    notes = data.get("body")
    return {
        "tag_name": data["tag_name"],
        "html_url": data.get("html_url") if isinstance(data.get("html_url"), str) else None,
        "body": notes[:MAX_NOTES] if isinstance(notes, str) else None,
        "prerelease": bool(data.get("prerelease", False)),
    }


# -- comparison and cache ------------------------------------------------------------------


def parse_version(tag: str) -> Version | None:
    """``v1.2.0``/``1.2.0`` -> Version; None for a tag that is not a version."""
    text = tag.strip()
    if text[:1] in ("v", "V"):
        text = text[1:]
    try:
        return Version(text)
    except InvalidVersion:
        return None


def _evaluate(
    release: dict[str, Any], cfg: Config, current: str, from_cache: bool, force: bool
) -> UpdateResult:
    """Compare; a skipped version is offered again only when the user asks (``force``)."""
    tag = str(release.get("tag_name", ""))
    latest = parse_version(tag)
    if latest is None:
        error = f"the latest release tag {tag!r} is not a version"
        return UpdateResult(False, current, error=error, from_cache=from_cache)
    pre = latest.is_prerelease or bool(release.get("prerelease"))
    if pre and not cfg.get("updates.include_prereleases"):
        return UpdateResult(False, current, latest_version=str(latest), from_cache=from_cache)
    mine = parse_version(current)
    newer = mine is None or latest > mine
    skipped = newer and str(latest) == str(cfg.get("updates.skipped_version") or "")
    return UpdateResult(
        newer and (force or not skipped),
        current,
        latest_version=str(latest),
        url=release.get("html_url"),
        notes=release.get("body") if newer else None,
        skipped=skipped,
        from_cache=from_cache,
    )


def _cache_path() -> Any:
    return paths.cache_dir / CACHE_FILE


def _read_cache() -> dict[str, Any]:
    try:
        data = json.loads(_cache_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(data: dict[str, object]) -> None:
    try:
        paths.ensure(paths.cache_dir)
        with atomic_write(_cache_path()) as fh:
            fh.write(json.dumps(data, indent=2).encode("utf-8"))
    except OSError as exc:
        log.warning("cannot cache the update answer: %s", exc)
