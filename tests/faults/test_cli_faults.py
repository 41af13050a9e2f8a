"""Small CLI faults: a closed output pipe, an update check that could not check.

Real processes and real pipes; the update check goes to a closed local port.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from faultkit import cli_argv, image, temps_under
from support import REPO, run_cli

from shh_converter.sidecars import updates

if TYPE_CHECKING:
    from pathlib import Path


def test_output_pipe_closed_at_once_exits_quietly(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        cli_argv("models", "list"), cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like "| head -0": nobody reads
    err = proc.stderr.read().decode()
    assert proc.wait(60) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_batch_piped_into_head_finishes_every_file(tmp_path: Path) -> None:
    src = tmp_path / "src"
    for i in range(12):
        image(src / f"{i:02d}.png", (i * 20, 0, 0))
    out = tmp_path / "out"
    proc = subprocess.Popen(
        cli_argv("convert", str(src), "-o", str(out)),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # "| head -1"
    proc.stdout.close()
    err = proc.stderr.read()
    code = proc.wait(120)
    assert first.startswith(("converted:", "skipped:")), first
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert code == 0, err
    made = out / src.name  # the folder given keeps its name under DEST
    assert len([p for p in made.glob("*.webp") if not p.name.startswith(".")]) == 12
    assert temps_under(out) == []


def test_check_update_that_could_not_check_exits_3(tmp_path: Path) -> None:
    env = dict(os.environ, **{updates.URL_ENV: "http://127.0.0.1:9/releases/latest"})
    done = run_cli("check-update", "--force", env=env, timeout=60)
    assert done.returncode == 3, done.stderr
    answer = json.loads(done.stdout)
    assert answer["error"] and answer["update_available"] is False


def test_non_utf8_name_on_stdout_is_escaped_not_fatal(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("only Linux file systems hold names that are not text")
    src = tmp_path / os.fsdecode(b"caf\xe9")
    image(src / "a.png")
    done = run_cli("convert", str(src), "-o", str(tmp_path / "out"), timeout=120)
    assert done.returncode == 0, done.stderr
    assert "caf\\udce9" in done.stdout and "Traceback" not in done.stderr
