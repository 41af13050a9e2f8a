"""Crash reports: real crashing subprocesses (exception, thread, segfault), context, pruning."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image
from support import run_python

from shh_converter import __version__, paths
from shh_converter.sidecars import crash

if TYPE_CHECKING:
    import subprocess

PRELUDE = "from shh_converter.sidecars import crash; crash.install_hooks(); "


def _run(code: str) -> subprocess.CompletedProcess[str]:
    """A real Python process (inherits SHH_CONVERTER_HOME from the test fixture)."""
    return run_python("-c", PRELUDE + code, timeout=60)


def _reports() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in crash.reports()]


def test_unhandled_exception_in_main_thread_writes_a_report() -> None:
    secret = Path.home() / "Pictures" / "cat.jpg"
    proc = _run(f"raise ValueError('cannot open ' + {str(secret)!r})")
    assert proc.returncode == 1
    assert "ValueError: cannot open" in proc.stderr  # the usual traceback still shows
    assert "crash report was saved" in proc.stderr
    (report,) = _reports()
    assert report["error_type"] == "ValueError"
    assert report["app_version"] == __version__
    assert report["python"] == sys.version.split()[0]
    assert report["os"] and report["time"]
    assert "Traceback" in report["traceback"] and "ValueError" in report["traceback"]
    blob = json.dumps(report)
    assert str(Path.home()) + "/" not in blob
    assert "~/Pictures/cat.jpg" in report["error_message"]
    assert list(paths.crash_dir.glob(crash.FAULT_GLOB)) == []  # no hard crash: log removed


def test_unhandled_exception_in_a_thread_writes_a_report() -> None:
    code = (
        "import threading\n"
        "def work():\n    raise RuntimeError('worker thread broke')\n"
        "t = threading.Thread(target=work, name='converter-7'); t.start(); t.join()\n"
        "print('main goes on')"
    )
    proc = _run(code)
    assert proc.returncode == 0 and "main goes on" in proc.stdout
    (report,) = _reports()
    assert report["error_type"] == "RuntimeError"
    assert report["context"]["where"] == "thread converter-7"
    assert "worker thread broke" in report["traceback"]


def test_segfault_leaves_a_faulthandler_log() -> None:
    proc = _run(
        "import faulthandler\ndef deep_codec_call():\n    faulthandler._sigsegv()\n"
        "deep_codec_call()"
    )
    assert proc.returncode != 0
    (fault_log,) = paths.crash_dir.glob(crash.FAULT_GLOB)
    text = fault_log.read_text(encoding="utf-8")
    assert "Segmentation fault" in text
    assert "deep_codec_call" in text
    assert fault_log in crash.previous_hard_crashes()


def test_keyboard_interrupt_is_not_a_crash() -> None:
    proc = _run("raise KeyboardInterrupt")
    assert proc.returncode != 0
    assert _reports() == []


def test_report_with_file_context(tmp_path: Path) -> None:
    image = tmp_path / "photo.png"
    Image.new("RGBA", (31, 17)).save(image)
    try:
        msg = "decoder exploded"
        raise OSError(msg)
    except OSError as exc:
        path = crash.write_report(exc, {"where": "convert", **crash.file_context(image)})
    assert path is not None and path.parent == paths.crash_dir
    report = json.loads(path.read_text(encoding="utf-8"))
    ctx = report["context"]
    assert ctx["file_bytes"] == image.stat().st_size
    assert ctx["image_size"] == [31, 17] and ctx["image_mode"] == "RGBA"
    assert "decoder exploded" in report["traceback"]


def test_worker_failure_report(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    path = crash.report_worker_failure(broken, "worker died", exitcode=-11)
    assert path is not None
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["kind"] == "worker" and report["exitcode"] == -11
    assert report["context"]["file_bytes"] == broken.stat().st_size
    assert "image_readable" in report["context"]


def test_only_the_newest_reports_are_kept() -> None:
    for i in range(crash.KEEP + 5):
        assert crash.write_report(RuntimeError(f"bug {i}")) is not None
    kept = _reports()
    assert len(kept) == crash.KEEP
    messages = {r["error_message"] for r in kept}
    assert f"bug {crash.KEEP + 4}" in messages


def test_killed_worker_during_a_real_batch_leaves_a_report(tmp_path: Path) -> None:
    import os
    import signal

    import psutil

    from shh_converter.core import plan, runner
    from shh_converter.core.events import FileStarted
    from shh_converter.core.settings import Settings
    from shh_converter.sidecars import logs

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b", "c"):
        Image.frombytes("RGB", (1200, 1200), os.urandom(1200 * 1200 * 3)).save(src / f"{name}.png")
    settings = Settings()
    jobs = plan.plan_batch([src], tmp_path / "out", settings).jobs
    logger = logs.EventLogger(settings)
    killed: list[int] = []

    def on_event(event: object) -> None:
        logger(event)  # type: ignore[arg-type]
        if isinstance(event, FileStarted) and not killed:
            for child in psutil.Process().children():
                if "spawn_main" in " ".join(child.cmdline()):
                    os.kill(child.pid, signal.SIGKILL)
                    killed.append(child.pid)

    finished = runner.run_batch(jobs, settings, on_event, workers=1)
    assert killed and finished.failed == 1 and finished.converted == 2
    (report,) = _reports()
    assert report["kind"] == "worker" and report["exitcode"] == -signal.SIGKILL
    assert report["context"]["image_size"] == [1200, 1200]
    assert report["context"]["settings"]["format"] == "webp"
    assert logger.crash_reports == crash.reports()


def test_bad_file_gets_no_crash_report(tmp_path: Path) -> None:
    from shh_converter.core.jobs import JobResult

    plain = JobResult(tmp_path / "x.png", None, "failed", error="not an image")
    bug = JobResult(
        tmp_path / "x.png",
        None,
        "failed",
        error="internal error: KeyError: 'x'",
        details="Traceback (most recent call last):\n  ...\nKeyError: 'x'",
    )
    assert crash.report_failed_result(plain) is None
    path = crash.report_failed_result(bug)
    assert path is not None
    assert "KeyError" in json.loads(path.read_text(encoding="utf-8"))["traceback"]
