"""Logging: rotating file, line format, batch ids, home redaction, console only for the CLI."""

from __future__ import annotations

import logging
import logging.handlers
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import run_python

from shh_converter import paths
from shh_converter.core.events import BatchFinished, BatchStarted, FileFinished, FileStarted
from shh_converter.core.jobs import Job, JobResult
from shh_converter.core.settings import BackgroundRemoval, Settings
from shh_converter.sidecars import config, logs
from shh_converter.sidecars.memory import MemoryMonitor

if TYPE_CHECKING:
    import subprocess
    from collections.abc import Iterator

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR)\s* \[(?P<thread>[^\]]+)\] "
    r"(?P<logger>[\w.]+):(?P<batch> \[batch [0-9a-f]+\])? (?P<msg>.*)$"
)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    for handler in logs.installed_handlers():
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
    logs.end_batch()


def _lines() -> list[str]:
    return (paths.log_dir / logs.LOG_FILE).read_text(encoding="utf-8").splitlines()


def _result(name: str, status: str = "converted", error: str | None = None) -> JobResult:
    src = Path.home() / "Pictures" / name
    return JobResult(source=src, output=None, status=status, error=error, seconds=0.25)  # type: ignore[arg-type]


def test_file_log_format_and_home_redaction() -> None:
    log_file = logs.setup(kind="gui")
    assert log_file == paths.log_dir / logs.LOG_FILE
    secret = Path.home() / "Documents" / "holiday photo.jpg"
    logging.getLogger("shh_converter.test").info("opened %s", secret)
    try:
        msg = f"cannot read {secret}"
        raise ValueError(msg)
    except ValueError:
        logging.getLogger("shh_converter.test").exception("boom")
    logs.flush()
    text = (paths.log_dir / logs.LOG_FILE).read_text(encoding="utf-8")
    assert str(Path.home()) + "/" not in text
    assert "~/Documents/holiday photo.jpg" in text  # the file name stays
    first = LINE.match(_find("opened"))
    assert first and first["thread"] == "MainThread" and first["logger"] == "shh_converter.test"


def _find(word: str) -> str:
    return next(line for line in _lines() if word in line)


def test_rotating_handler_limits() -> None:
    logs.setup(kind="gui")
    handlers = logs.installed_handlers()
    rotating = [h for h in handlers if isinstance(h, logging.handlers.RotatingFileHandler)]
    assert len(rotating) == 1
    assert rotating[0].maxBytes == 5 * 1024 * 1024 and rotating[0].backupCount == 5
    blob = "x" * 100_000
    for _ in range(60):  # 6 MB: must roll over once
        logging.getLogger("shh_converter.test").info(blob)
    logs.flush()
    names = sorted(p.name for p in paths.log_dir.iterdir())
    assert names == [logs.LOG_FILE, logs.LOG_FILE + ".1"]
    assert (paths.log_dir / logs.LOG_FILE).stat().st_size <= 5 * 1024 * 1024


def test_setup_twice_does_not_duplicate_lines() -> None:
    logs.setup(kind="gui")
    logs.setup(kind="gui")
    logging.getLogger("shh_converter.test").info("only once please")
    logs.flush()
    assert sum("only once please" in line for line in _lines()) == 1


def test_debug_level_from_config_or_verbose() -> None:
    cfg = config.load(environ={})
    logs.setup(kind="gui", cfg=cfg)
    logging.getLogger("shh_converter.test").debug("hidden detail")
    cfg.set("ui.enable_debug_mode", True)
    logs.setup(kind="gui", cfg=cfg)
    logging.getLogger("shh_converter.test").debug("shown detail")
    logs.setup(kind="gui", verbose=True)
    logging.getLogger("shh_converter.test").debug("verbose detail")
    logs.flush()
    text = "\n".join(_lines())
    assert "hidden detail" not in text
    assert "shown detail" in text and "verbose detail" in text


def test_batch_id_on_every_line_of_a_batch_and_events_logged() -> None:
    logs.setup(kind="gui")
    settings = Settings(background_removal=BackgroundRemoval(enabled=True))
    monitor = MemoryMonitor(threshold_mb=100_000)
    on_event = logs.EventLogger(settings, monitor)
    other = logging.getLogger("shh_converter.other")
    other.info("before the batch")
    on_event(BatchStarted(batch_id="abc123def456", total=2, workers=1))
    job = Job.one(0, Path("a.png"), Path("a.webp"), settings)
    on_event(FileStarted(job))
    thread = threading.Thread(target=lambda: other.info("from a helper thread"), name="helper")
    thread.start()
    thread.join()
    good, bad = _result("a.png"), _result("b.png", "failed", "background removal failed: x")
    on_event(FileFinished(good))
    on_event(FileFinished(bad))
    on_event(BatchFinished("abc123def456", (good, bad), cancelled=False, elapsed=1.5))
    other.info("after the batch")
    logs.flush()
    lines = _lines()
    start = next(i for i, line in enumerate(lines) if "batch started" in line)
    end = next(i for i, line in enumerate(lines) if "batch performance" in line)
    for line in lines[start : end + 1]:
        match = LINE.match(line)
        assert match and match["batch"] == " [batch abc123def456]", line
    assert "[batch" not in _find("before the batch") and "[batch" not in _find("after the batch")
    assert "[helper]" in _find("from a helper thread")
    assert re.search(r"file a\.png: converted in 0\.25s \(memory \d+ MB\)", "\n".join(lines))
    assert "file b.png: failed" in _find("file b.png: failed")
    assert "background removal a.png: ok in 0.25s" in "\n".join(lines)
    assert "background removal failed: x" in _find("background removal b.png: failed")
    assert "1 converted, 0 skipped, 1 failed" in _find("batch finished")
    assert "success rate 50%" in _find("batch performance")


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return run_python("-c", code, timeout=60)


@pytest.mark.parametrize(("kind", "on_console"), [("gui", False), ("cli", True)])
def test_console_output_only_from_the_cli(kind: str, on_console: bool) -> None:
    code = (
        "import logging; from shh_converter.sidecars import logs; "
        f"logs.setup(kind={kind!r}); logging.getLogger('t').warning('hello console')"
    )
    proc = _run(code)
    assert proc.returncode == 0, proc.stderr
    assert ("hello console" in proc.stderr) is on_console
    assert "hello console" in (paths.log_dir / logs.LOG_FILE).read_text(encoding="utf-8")


def test_cli_batch_is_logged_to_the_file(tmp_path: Path) -> None:
    from PIL import Image
    from support import run_cli

    src = tmp_path / "in"
    src.mkdir()
    Image.new("RGB", (40, 30), "blue").save(src / "good.png")
    (src / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    proc = run_cli("convert", str(src), "-o", str(tmp_path / "out"))
    assert proc.returncode == 1
    lines = _lines()
    batch_lines = [line for line in lines if "[batch " in line]
    found = [re.search(r"\[batch ([0-9a-f]+)\]", line) for line in batch_lines]
    assert all(found), batch_lines
    ids = {match[1] for match in found if match}
    assert len(ids) == 1
    text = "\n".join(batch_lines)
    assert re.search(r"file good\.png: converted in [\d.]+s \(memory \d+ MB\)", text)
    assert "file broken.png: failed" in text
    assert "batch finished" in text and "success rate 50%" in text
    # per-file lines go to the log file only; the CLI prints its own
    assert "file good.png: converted" not in proc.stderr


def test_performance_logging_off_keeps_results_drops_timings() -> None:
    logs.setup(kind="gui")
    on_event = logs.EventLogger(perf=False)
    on_event(BatchStarted(batch_id="feedfacecafe", total=1, workers=1))
    on_event(FileFinished(_result("quiet.png")))
    on_event(BatchFinished("feedfacecafe", (), cancelled=False, elapsed=0.1))
    logs.flush()
    line = _find("quiet.png")
    assert "file quiet.png: converted" in line and "memory" not in line and "0.25s" not in line


def test_rotation_blocked_by_another_process_does_not_spam_errors() -> None:
    # A folder where the first backup should go makes every rotation fail for real
    # (as a log held open by another process does on Windows).
    paths.ensure(paths.log_dir)
    (paths.log_dir / f"{logs.LOG_FILE}.{logs.BACKUPS - 1}").write_text("old", encoding="utf-8")
    blocker = paths.log_dir / f"{logs.LOG_FILE}.{logs.BACKUPS}"  # cannot be removed
    blocker.mkdir()
    (blocker / "keep").write_text("x", encoding="utf-8")
    code = (
        "import logging; from shh_converter.sidecars import logs; logs.setup(kind='gui'); "
        "log = logging.getLogger('t'); blob = 'x' * 100_000\n"
        "for i in range(70): log.info('%d %s', i, blob)\n"
        "log.info('still logging')"
    )
    proc = _run(code)
    assert proc.returncode == 0
    assert "Logging error" not in proc.stderr and "Traceback" not in proc.stderr
    assert "still logging" in (paths.log_dir / logs.LOG_FILE).read_text(encoding="utf-8")
