"""Pipes as real processes: one image from stdin, the one output to stdout, the report to stdout."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from PIL import Image
from support import REPO
from support.images import grey_ramp

if TYPE_CHECKING:
    from pathlib import Path


def jpeg_bytes(size: tuple[int, int] = (320, 200)) -> bytes:
    buffer = io.BytesIO()
    grey_ramp(size).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def cli(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    cmd = [sys.executable, "-m", "shh_converter", "convert", *args]
    return subprocess.run(cmd, input=stdin, capture_output=True, cwd=REPO, timeout=120)


def test_stdin_to_stdout_round_trip(tmp_path: Path) -> None:
    proc = cli("-", "-o", "-", "--format", "png", "--width", "100", stdin=jpeg_bytes())
    assert proc.returncode == 0, proc.stderr
    with Image.open(io.BytesIO(proc.stdout)) as out:  # stdout holds the image and nothing else
        assert (out.format, out.size) == ("PNG", (100, 62))
    assert b"converted:" in proc.stderr  # messages stay on stderr


def test_stdin_into_a_folder_and_a_file_to_stdout(tmp_path: Path) -> None:
    proc = cli("-", "-o", str(tmp_path / "out"), "--quiet", stdin=jpeg_bytes())
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (tmp_path / "out").glob("*.webp")] == ["stdin.webp"]
    src = tmp_path / "a.jpg"
    src.write_bytes(jpeg_bytes())
    proc = cli(str(src), "-o", "-", "--quiet")
    assert proc.returncode == 0 and proc.stdout[:4] == b"RIFF" and proc.stdout[8:12] == b"WEBP"
    assert not (REPO / "-").exists() and not (tmp_path / "-").exists()


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (("-", "-o", "-", "--set", "responsive"), "this recipe has several"),
        (("-", "extra.jpg", "-o", "out"), "must be the only input"),
    ],
)
def test_what_a_pipe_cannot_carry_is_a_usage_error(args: tuple[str, ...], names: str) -> None:
    proc = cli(*args, stdin=jpeg_bytes())
    assert proc.returncode == 2 and names.encode() in proc.stderr and proc.stdout == b""


def test_report_to_stdout_with_the_image_in_a_folder(tmp_path: Path) -> None:
    proc = cli("-", "-o", str(tmp_path / "o"), "--report", "-", stdin=jpeg_bytes())
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)  # the per-file lines went to stderr
    assert report["files"][0]["status"] == "converted"


def test_piping_into_head_ends_without_a_traceback(tmp_path: Path) -> None:
    src = tmp_path / "a.jpg"
    src.write_bytes(jpeg_bytes((2000, 1500)))
    cmd = [sys.executable, "-m", "shh_converter", "convert", str(src), "-o", "-", "--format", "png"]
    producer = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    assert producer.stdout is not None
    head = producer.stdout.read(10)  # like `| head -c 10`, then the reader goes away
    producer.stdout.close()
    _out, err = producer.communicate(timeout=120)
    assert head.startswith(b"\x89PNG")
    assert b"Traceback" not in err
