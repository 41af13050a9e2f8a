"""``shh-converter convert --dry-run`` (the CLI in-process): what it would do, nothing written.

Each input's outputs are listed as "would convert" or "would skip" with the reason
(up to date, an existing file under --on-conflict skip), an input that cannot be
read fails with its reason, ``--report`` gets the same as JSON, and neither the
destination nor the sources change.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest
from support.images import solid
from support.inprocess import cli_in_process

pytestmark = pytest.mark.timeout(300)


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under ``folder`` (ledger and temps included): its hash and mtime."""
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A folder with one photo already converted into ``out`` and two new ones."""
    src, dest = tmp_path / "in", tmp_path / "out"
    solid(src / "done.jpg")
    first = cli_in_process("convert", str(src), "-o", str(dest), "--format", "webp", "--quiet")
    assert first.returncode == 0, first.stderr
    solid(src / "new.jpg")
    solid(src / "sub" / "deeper.png", (30, 20))
    return src, dest


def test_dry_run_says_what_it_would_do_per_output_and_writes_nothing(
    tree: tuple[Path, Path], tmp_path: Path
) -> None:
    src, dest = tree
    before_src, before_dest = snapshot(src), snapshot(dest)
    mirror = dest / src.name  # the folder given keeps its name under DEST
    report = tmp_path / "report.json"
    done = cli_in_process(
        "convert", str(src), "-o", str(dest), "--recursive", "--format", "webp",
        "--variant", "webp", "--variant", "webp:w=32,suffix=-32",
        "--dry-run", "--report", str(report),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    would = sorted(line for line in lines if line.startswith("would convert: "))
    expected = [
        ("done.jpg", "done-32.webp"),  # the new output of a converted photo
        ("new.jpg", "new-32.webp"),
        ("new.jpg", "new.webp"),
        (os.path.join("sub", "deeper.png"), os.path.join("sub", "deeper-32.webp")),
        (os.path.join("sub", "deeper.png"), os.path.join("sub", "deeper.webp")),
    ]
    assert would == sorted(f"would convert: {src / a} -> {mirror / b}" for a, b in expected)
    skipped = [line for line in lines if line.startswith("would skip: ")]
    assert skipped == [f"would skip: {mirror / 'done.webp'}: up to date"], lines
    assert lines[-1] == (
        "dry run: 3 input(s), 5 output(s) to make, 1 to skip, 0 failed; nothing was written"
    )
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["dry_run"] is True
    assert data["totals"] == {
        "files": 3, "outputs": 6, "would convert": 5, "skipped": 1, "failed": 0
    }  # fmt: skip
    by_output = {Path(f["output"]).name: f for f in data["files"]}
    assert by_output["done.webp"]["status"] == "skipped"
    assert by_output["done.webp"]["error"] == "up to date"
    assert by_output["deeper-32.webp"] == {
        "source": str(src / "sub" / "deeper.png"),
        "output": str(mirror / "sub" / "deeper-32.webp"),
        "status": "would convert",
        "error": None,
    }
    assert [o["name_template"] for o in data["recipe"]["outputs"]][1].endswith("-32.{ext}")
    assert snapshot(src) == before_src
    assert snapshot(dest) == before_dest  # no output, no ledger update, no temp, no folder
    assert not (mirror / "sub").exists()


def test_dry_run_reports_an_existing_file_it_would_leave_and_an_unreadable_input(
    tree: tuple[Path, Path],
) -> None:
    src, out = tree
    dest = out / src.name  # the folder given keeps its name under DEST
    (dest / "new.webp").write_bytes(b"someone else's file")
    if sys.platform != "win32":
        os.mkfifo(src / "pipe.jpg")
    done = cli_in_process(
        "convert", str(src), "-o", str(out), "--format", "webp",
        "--on-conflict", "skip", "--dry-run",
    )  # fmt: skip
    lines = done.stdout.strip().splitlines()
    skip_new = [line for line in lines if line.startswith(f"would skip: {dest / 'new.webp'}: ")]
    assert len(skip_new) == 1 and len(skip_new[0]) > len(f"would skip: {dest / 'new.webp'}: ")
    assert (dest / "new.webp").read_bytes() == b"someone else's file"
    if sys.platform != "win32":
        assert done.returncode == 1  # an input failed
        failed = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
        assert failed == [
            f"failed: {src / 'pipe.jpg'}: not a regular file (a pipe, socket or device)"
        ]
        assert lines[-1].endswith("1 failed; nothing was written")
    else:
        assert done.returncode == 0, done.stderr
