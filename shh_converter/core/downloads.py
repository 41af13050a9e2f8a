"""Resumable, verified HTTP downloads (requests, the one HTTP library of the app).

:func:`fetch_verified` streams a URL into ``<target>.part`` beside the target and
moves it into place only once it is complete and its checksum matches, so the
target is either the whole verified file or untouched.

* **Resume.** An interrupted download (dropped connection, timeout, the app killed)
  keeps its ``.part`` file; the next attempt, in this call or a later one, asks for
  the rest with ``Range: bytes=N-``. A server that ignores the range (200) starts
  over; a part file that fails the checksum after a resume is thrown away and the
  download starts once more from zero (the remote file may have changed).
* **Retry.** Transient trouble (a connection error, a timeout, a body cut off,
  HTTP 408/425/429/5xx) is retried with exponential back-off, ``Retry-After``
  honoured up to :attr:`RetryPolicy.max_wait`. A 404 or another client error is not.
* **Cancel.** The token is checked between chunks and during back-off waits; a
  cancelled download removes its part file (the user asked to stop, not to pause).

``requests`` is imported inside the call: it costs ~100 ms and most runs never
download anything.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

    from .events import CancelToken

log = logging.getLogger(__name__)

CHUNK = 256 * 1024
PART_SUFFIX = ".part"
TRANSIENT_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})

ProgressCallback = Callable[[int, "int | None"], None]  # (bytes done, total or None)


class DownloadFailed(Exception):
    """The download could not be completed; ``str()`` is one line for people."""


class Offline(DownloadFailed):
    """No connection to the server could be made (after the retries)."""


class Cancelled(Exception):
    """The cancel token was set; the part file is gone."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently transient errors are retried."""

    attempts: int = 4  # tries in all, the first included
    first_wait: float = 0.5  # seconds before the 2nd try; doubles each time
    max_wait: float = 8.0


class _Transient(Exception):
    """One attempt failed in a way worth retrying."""

    def __init__(self, message: str, retry_after: float | None = None, offline: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.offline = offline


def part_path(target: Path) -> Path:
    """Where the unfinished download of ``target`` is kept."""
    return target.with_name(target.name + PART_SUFFIX)


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of ``path`` read in 1 MB chunks."""
    digest = hashlib.new(algorithm)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_verified(
    url: str,
    target: Path,
    checksum: str,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    timeout: float = 30.0,
    retry: RetryPolicy = RetryPolicy(),
) -> Path:
    """Download ``url`` to ``target`` (checked against ``"md5:<hex>"``/``"sha256:<hex>"``).

    ``progress(done, total)`` runs in the calling thread after every chunk, with
    ``done`` counting resumed bytes too. Raises :class:`Cancelled`,
    :class:`Offline` or :class:`DownloadFailed`.
    """
    import requests

    algorithm, _, expected = checksum.partition(":")
    part = part_path(target)
    fresh_start_done = False
    with requests.Session() as session:
        while True:
            resumed = part.is_file() and part.stat().st_size > 0
            _fetch_with_retries(session, url, part, progress, cancel, timeout, retry)
            if file_digest(part, algorithm) == expected.lower():
                break
            part.unlink(missing_ok=True)
            if resumed and not fresh_start_done:
                log.info("resumed download of %s failed its checksum: starting over", url)
                fresh_start_done = True
                continue
            msg = "the download failed its checksum (corrupted or wrong file)"
            raise DownloadFailed(msg)
    os.replace(part, target)
    return target


def _fetch_with_retries(
    session: Any,
    url: str,
    part: Path,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
    timeout: float,
    retry: RetryPolicy,
) -> None:
    wait = retry.first_wait
    for attempt in range(1, retry.attempts + 1):
        _check(cancel, part)
        try:
            _attempt(session, url, part, progress, cancel, timeout)
            return
        except _Transient as exc:
            if attempt == retry.attempts:
                error = Offline if exc.offline else DownloadFailed
                raise error(str(exc)) from None
            pause = min(retry.max_wait, exc.retry_after if exc.retry_after is not None else wait)
            log.info("download attempt %d failed (%s); retrying in %.1f s", attempt, exc, pause)
            if cancel is not None and cancel.wait(pause):
                _check(cancel, part)
            elif cancel is None:
                time.sleep(pause)
            wait *= 2


def _check(cancel: CancelToken | None, part: Path) -> None:
    if cancel is not None and cancel.cancelled:
        part.unlink(missing_ok=True)
        msg = "download cancelled"
        raise Cancelled(msg)


def _attempt(
    session: Any,
    url: str,
    part: Path,
    progress: ProgressCallback | None,
    cancel: CancelToken | None,
    timeout: float,
) -> None:
    """One GET, appending to ``part`` when the server honours the range."""
    import requests

    have = part.stat().st_size if part.is_file() else 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with session.get(url, headers=headers, stream=True, timeout=(timeout, timeout)) as r:
            if r.status_code == 416 and have:
                total = _range_total(r.headers.get("Content-Range", ""))
                if total == have:
                    return  # the part file already holds the whole body
                part.unlink(missing_ok=True)
                msg = "the server refused to resume: starting over"
                raise _Transient(msg, retry_after=0)
            if r.status_code in TRANSIENT_STATUS:
                msg = f"server said {r.status_code} {r.reason}"
                raise _Transient(msg, _retry_after(r.headers))
            if r.status_code not in (200, 206):
                msg = f"server said {r.status_code} {r.reason}"
                raise DownloadFailed(msg)
            resuming = r.status_code == 206 and _range_start(r.headers) == have
            done = have if resuming else 0
            total = _body_length(r.headers)
            total = None if total is None else total + done
            with part.open("ab" if resuming else "wb") as fh:
                for chunk in r.iter_content(CHUNK):
                    _check(cancel, part)
                    fh.write(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done, total)
            if total is not None and done < total:
                msg = f"the download was cut off ({done} of {total} bytes)"
                raise _Transient(msg)
    except (requests.ConnectionError, requests.Timeout) as exc:
        cut = _grew(part, have)  # bytes arrived, so the server was reachable
        what = "the download was cut off" if cut else "offline or server unreachable"
        msg = f"{what}: {_reason(exc)}"
        raise _Transient(msg, offline=not cut) from None
    except requests.exceptions.ChunkedEncodingError as exc:
        msg = f"the download was cut off: {_reason(exc)}"
        raise _Transient(msg) from None


def _grew(part: Path, before: int) -> bool:
    """Whether this attempt wrote anything to the part file."""
    return part.is_file() and part.stat().st_size > before


def _reason(exc: BaseException) -> str:
    """The innermost cause, in one line (requests nests urllib3's errors)."""
    while exc.__context__ is not None and str(exc.__context__):
        exc = exc.__context__
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _body_length(headers: Any) -> int | None:
    value = headers.get("Content-Length")
    return int(value) if value and value.isdigit() else None


def _range_start(headers: Any) -> int | None:
    """``Content-Range: bytes 100-199/200`` -> 100."""
    value = headers.get("Content-Range", "")
    try:
        return int(value.split()[1].split("-")[0])
    except (IndexError, ValueError):
        return None


def _range_total(value: str) -> int | None:
    """``bytes */200`` or ``bytes 0-199/200`` -> 200."""
    total = value.rpartition("/")[2]
    return int(total) if total.isdigit() else None


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None
