"""``kill -9`` of the CLI and its workers, and what the next run does with the leftovers.

Real processes, real SIGKILL. The loop itself is ``scripts/kill_resume.py`` (its
long run: 50 rounds); here a few rounds keep CI short.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
from support import REPO

from shh_converter.core import atomic

if TYPE_CHECKING:
    from pathlib import Path
    from types import ModuleType

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and process groups: POSIX")

HOLD_A_TEMP = """
import sys, time
from pathlib import Path
from shh_converter.core.atomic import temp_path_for
temp = temp_path_for(Path(sys.argv[1]))
temp.write_bytes(b"half an image")
print(temp.name, flush=True)
sys.stdin.read()  # stay alive until the test closes stdin (or kills us)
"""


def hold_temp(target: Path) -> tuple[subprocess.Popen[str], Path]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_A_TEMP, str(target)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, target.parent / proc.stdout.readline().strip()


def test_live_writers_temp_is_kept_and_a_killed_ones_removed_at_once(tmp_path: Path) -> None:
    proc, temp = hold_temp(tmp_path / "a.webp")
    try:
        assert temp.is_file() and atomic.temp_owner_alive(temp.name) is True
        old = time.time() - 3600  # age no longer decides for an owner we can see
        os.utime(temp, (old, old))
        assert atomic.clean_stale_temps(tmp_path) == 0 and temp.exists()
    finally:
        proc.kill()
        proc.wait(10)
        assert proc.stdout is not None
        proc.stdout.close()
        assert proc.stdin is not None
        proc.stdin.close()
    now = time.time()
    os.utime(temp, (now, now))  # fresh: the old 2-minute rule would have kept it
    assert atomic.temp_owner_alive(temp.name) is False
    assert atomic.clean_stale_temps(tmp_path) == 1 and not temp.exists()


def test_recycled_process_id_is_not_the_owner(tmp_path: Path) -> None:
    # Our own pid, but a start time long before we started: a dead run whose pid was reused.
    name = f"{atomic.TEMP_PREFIX}o{os.getpid():x}-{1:x}-{atomic.host_tag()}-abcdef-a.webp"
    (tmp_path / name).write_bytes(b"x")
    assert atomic.temp_owner_alive(name) is False
    assert atomic.clean_stale_temps(tmp_path) == 1


def test_temps_of_another_computer_or_version_fall_back_to_their_age(tmp_path: Path) -> None:
    other_host = "0000" if atomic.host_tag() != "0000" else "ffff"
    foreign = tmp_path / f"{atomic.TEMP_PREFIX}o1-1-{other_host}-abcdef-a.webp"
    legacy = tmp_path / f"{atomic.TEMP_PREFIX}0123456789ab-b.webp"
    for path in (foreign, legacy):
        path.write_bytes(b"x")
    assert atomic.temp_owner_alive(foreign.name) is None
    assert atomic.temp_owner_alive(legacy.name) is None
    assert atomic.clean_stale_temps(tmp_path) == 0  # fresh: maybe still being written
    old = time.time() - 3600
    for path in (foreign, legacy):
        os.utime(path, (old, old))
    assert atomic.clean_stale_temps(tmp_path) == 2


def test_temp_name_fits_with_the_longest_output_name(tmp_path: Path) -> None:
    from shh_converter.core.naming import MAX_NAME_BYTES

    longest = "x" * MAX_NAME_BYTES + " (99).webp"
    assert len(atomic.temp_path_for(tmp_path / longest).name.encode()) <= 255


def _kill_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "kill_resume", REPO / "scripts" / "kill_resume.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@POSIX
@pytest.mark.slow
def test_kill_9_at_random_moments_then_resume(tmp_path: Path) -> None:
    result = _kill_script().run_rounds(tmp_path, rounds=4, files=10, side=700, seed=3)
    assert result["problems"] == []
    assert result["kills"] == 4 and result["kills_mid_batch"] >= 2  # the kills hit work
    # What was complete before the resume was skipped, not redone or copied.
    assert result["skipped_on_resume"] == result["complete_before_resume"]


@POSIX
def test_cli_killed_while_a_worker_writes_leaves_a_temp_the_next_run_removes(
    tmp_path: Path,
) -> None:
    """The first re-run cleans a dead run's temps at once (not after two minutes)."""
    kill = _kill_script()
    src, dest, home = tmp_path / "src", tmp_path / "out", tmp_path / "home"
    kill.make_batch(src, 2, 64, seed=1)
    made = kill.outputs_folder(src, dest)
    made.mkdir(parents=True)
    proc, temp = hold_temp(made / "img000.webp")  # a "worker" mid-write
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    for stream in (proc.stdin, proc.stdout):
        assert stream is not None
        stream.close()
    done = subprocess.run(
        kill.cli(src, dest, home), cwd=REPO, env=kill._env(home), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert not temp.exists()
    assert sorted(p.name for p in made.glob("*.webp")) == ["img000.webp", "img001.webp"]
