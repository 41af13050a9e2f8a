"""Crash reports: JSON files in ``paths.crash_dir``, never uploaded.

A report holds the time, app version, OS, Python, the traceback and context
(for example the file being processed, its size and mode). The home folder is
written as ``~``. Only the newest :data:`KEEP` reports are kept.

Call points:

* :func:`install_hooks` at start-up (CLI: ``startup.startup``; GUI: ``gui.app``):
  ``sys.excepthook``, ``threading.excepthook`` and ``faulthandler`` (hard crashes
  such as a segfault in a codec land in ``faulthandler-<time>-<pid>.log`` there;
  an empty one is removed at a clean exit);
* Tk: ``root.report_callback_exception = crash.tk_callback_hook`` (or the GUI's own
  handler calling :func:`write_report`), so a bug in a callback leaves a report and
  the window stays usable;
* a worker process that died, or a bug that came back from one:
  :func:`report_failed_result` (``logs.EventLogger`` calls it for each failed file,
  so the CLI and the GUI both get reports), or :func:`report_worker_failure`;
* :func:`previous_hard_crashes` lists faulthandler logs left by earlier runs.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import json
import logging
import os
import platform
import re
import sys
import threading
import time
import traceback
import uuid
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .. import __version__, paths
from ..core.atomic import atomic_write
from ..core.jobs import file_size

if TYPE_CHECKING:
    from collections.abc import Mapping
    from types import TracebackType

    from ..core.jobs import JobResult
    from ..core.settings import Settings

log = logging.getLogger(__name__)

KEEP = 20  # newest reports kept (JSON and faulthandler logs alike)
BUG_PREFIX = "internal error:"  # how the engine words a bug in JobResult.error
_EXIT_CODE = re.compile(r"worker process stopped unexpectedly \(exit code (-?\d+|None)\)")
REPORT_GLOB = "crash-*.json"
FAULT_GLOB = "faulthandler-*.log"

_installed = False
_fault_file: IO[str] | None = None
_fault_path: Path | None = None


def _redact(value: object) -> object:
    """Home folder as ``~`` in every string of a JSON-ready value."""
    if isinstance(value, str):
        return paths.redact_home(value)
    if isinstance(value, dict):
        return {str(k): _redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return paths.redact_home(str(value))  # Path and anything else: as text


def file_context(source: str | os.PathLike[str]) -> dict[str, Any]:
    """What is known about the file being processed: name, size, image size and mode."""
    path = Path(source)
    info: dict[str, Any] = {"file": str(path), "exists": path.exists()}
    try:
        info["file_bytes"] = path.stat().st_size
    except OSError:
        return info
    try:
        from PIL import Image  # lazy: crash reports must work even if Pillow is broken

        with Image.open(path) as img:  # header only: cheap and safe
            info.update(image_size=list(img.size), image_mode=img.mode, image_format=img.format)
    except Exception as exc:  # the file may be exactly what crashed us
        info["image_readable"] = f"{type(exc).__name__}: {exc}"
    return info


def _base_report(kind: str, context: Mapping[str, object] | None) -> dict[str, Any]:
    return {
        "kind": kind,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "app_version": __version__,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "frozen": bool(getattr(sys, "frozen", False)),
        "thread": threading.current_thread().name,
        "pid": os.getpid(),
        "context": context or {},
    }


def write_report(
    exc: BaseException, context: Mapping[str, object] | None = None, kind: str = "exception"
) -> Path | None:
    """Write a JSON report for ``exc``; returns its path (None when it could not be written)."""
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    report = _base_report(kind, context)
    report.update(error_type=type(exc).__name__, error_message=str(exc), traceback=tb)
    return _save(report)


def report_worker_failure(
    source: str | os.PathLike[str] | None,
    details: str,
    *,
    exitcode: int | None = None,
    context: Mapping[str, object] | None = None,
) -> Path | None:
    """A worker process died (``exitcode``) or sent back a bug's traceback (``details``)."""
    report = _base_report("worker", dict(context or {}))
    if source is not None:
        report["context"].update(file_context(source))
    report.update(
        error_type="WorkerFailure" if exitcode is not None else "WorkerException",
        error_message=f"worker exit code {exitcode}" if exitcode is not None else details[-200:],
        exitcode=exitcode,
        traceback=details,
    )
    return _save(report)


def report_failed_result(result: JobResult, settings: Settings | None = None) -> Path | None:
    """A crash report for a file that failed because of a bug, not because of the file.

    The engine marks bugs ``internal error: ...`` (traceback in ``details``) and a
    dead worker ``the worker process stopped unexpectedly (exit code N)``; any other
    failure is the user's business and gets no report (returns None).
    """
    error = result.error or ""
    match = _EXIT_CODE.search(error)
    if not error.startswith(BUG_PREFIX) and not match:
        return None
    context: dict[str, Any] = {"where": "worker"}
    if settings is not None:
        context["settings"] = {
            "format": settings.encode.format.value,
            "resize": settings.resize.mode.value,
            "background_removal": settings.background_removal.enabled,
        }
    code = match.group(1) if match else None
    exitcode = int(code) if code and code != "None" else None
    details = result.details or error
    return report_worker_failure(result.source, details, exitcode=exitcode, context=context)


def _save(report: dict[str, object]) -> Path | None:
    try:
        folder = paths.ensure(paths.crash_dir)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        target = folder / f"crash-{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}.json"
        blob = json.dumps(_redact(report), indent=2, ensure_ascii=False)
        with atomic_write(target) as fh:
            fh.write(blob.encode("utf-8"))
    except Exception as exc:  # reporting must never crash the app a second time
        log.error("could not write a crash report: %s", exc)
        return None
    prune()
    log.error("crash report written: %s", paths.redact_home(str(target)))
    return target


def prune(keep: int = KEEP) -> int:
    """Remove all but the newest ``keep`` reports and fault logs. Returns how many went."""
    removed = 0
    for pattern in (REPORT_GLOB, FAULT_GLOB):
        try:
            files = sorted(paths.crash_dir.glob(pattern), key=_mtime, reverse=True)
        except OSError:
            continue
        for old in files[keep:]:
            if old == _fault_path:
                continue
            with contextlib.suppress(OSError):
                old.unlink()
                removed += 1
    return removed


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def reports() -> list[Path]:
    """Crash reports, newest first."""
    return sorted(paths.crash_dir.glob(REPORT_GLOB), key=_mtime, reverse=True)


def previous_hard_crashes() -> list[Path]:
    """Non-empty faulthandler logs from earlier runs (a hard crash happened there)."""
    found = [p for p in paths.crash_dir.glob(FAULT_GLOB) if p != _fault_path and file_size(p) > 0]
    return sorted(found, key=_mtime, reverse=True)


# -- hooks -------------------------------------------------------------------------------


def _excepthook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> None:
    if issubclass(exc_type, KeyboardInterrupt):
        sys.__excepthook__(exc_type, exc, tb)
        return
    log.critical("unhandled error", exc_info=(exc_type, exc, tb))
    report = write_report(exc.with_traceback(tb), {"where": "main thread"})
    sys.__excepthook__(exc_type, exc, tb)
    if report is not None:
        print(f"shh-converter: a crash report was saved to {report}", file=sys.stderr)


def _thread_hook(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit or args.exc_value is None:
        return
    name = args.thread.name if args.thread is not None else "?"
    log.error(
        "unhandled error in thread %s",
        name,
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),
    )
    write_report(args.exc_value.with_traceback(args.exc_traceback), {"where": f"thread {name}"})


def tk_callback_hook(
    exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
) -> Path | None:
    """For ``root.report_callback_exception``: log and report; the window keeps running."""
    log.error("error in a window callback", exc_info=(exc_type, exc, tb))
    return write_report(exc.with_traceback(tb), {"where": "gui callback"})


def install_hooks() -> None:
    """Install the exception hooks and faulthandler (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    sys.excepthook = _excepthook
    threading.excepthook = _thread_hook
    _enable_faulthandler()


def _enable_faulthandler() -> None:
    global _fault_file, _fault_path
    try:
        folder = paths.ensure(paths.crash_dir)
        _fault_path = folder / f"faulthandler-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
        # Kept open for the whole run: faulthandler writes with no Python left to open files.
        _fault_file = _fault_path.open("w", encoding="utf-8")
        faulthandler.enable(file=_fault_file, all_threads=True)
    except (OSError, RuntimeError) as exc:
        log.warning("hard-crash logging unavailable: %s", exc)
        return
    atexit.register(_close_faulthandler)


def _close_faulthandler() -> None:
    """A clean exit: stop faulthandler and drop its log if nothing was written."""
    global _fault_file
    if _fault_file is None or _fault_path is None:
        return
    with contextlib.suppress(Exception):
        faulthandler.disable()
        _fault_file.close()
        if file_size(_fault_path) == 0:
            _fault_path.unlink()
    _fault_file = None
