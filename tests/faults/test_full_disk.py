"""A destination that fills up, or cannot be written: one clear error, a clean stop.

A real 2 MB tmpfs (``mount -t tmpfs``, so root on Linux; skipped elsewhere with the
reason) and a real read-only one; no write is faked.
"""

from __future__ import annotations

import json
import os
import subprocess
from typing import TYPE_CHECKING

import pytest
from faultkit import cli_argv, image, run_cli_limited, small_tmpfs, temps_under
from PIL import Image
from support import REPO

from shh_converter.core.state import STATE_NAME

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def tmpfs() -> Iterator[Path]:
    try:
        with small_tmpfs("2m") as where:
            yield where
    except PermissionError as exc:
        pytest.skip(f"no small file system to fill: {exc}")


def noise_batch(folder: Path, count: int) -> list[Path]:
    """PNGs of random colour noise: ~480 KB each as any PNG, so a 2 MB disk takes three."""
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        path = folder / f"n{i:02d}.png"
        Image.frombytes("RGB", (400, 400), os.urandom(400 * 400 * 3)).save(path)
        paths.append(path)
    return paths


def decodes(path: Path) -> bool:
    try:
        with Image.open(path) as im:
            im.load()
    except Exception:
        return False
    return True


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cli_argv(*args), cwd=REPO, capture_output=True, text=True, timeout=300)


def test_full_destination_stops_the_batch_cleanly(tmpfs: Path, tmp_path: Path) -> None:
    out = tmpfs / "out"
    first = cli("convert", str(image(tmp_path / "small" / "a.png")), "-o", str(out))
    assert first.returncode == 0, first.stderr
    before = json.loads((out / STATE_NAME).read_text(encoding="utf-8"))["outputs"]

    done = cli(
        "convert", *map(str, noise_batch(tmp_path / "src", 12)), "-o", str(out), "--format", "png"
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.count("batch stopped: the destination is full") == 1, done.stderr
    failed = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
    converted = [line for line in done.stdout.splitlines() if line.startswith("converted: ")]
    assert failed, done.stderr
    assert len(failed) + len(converted) < 12, done.stderr  # stopped: the rest never started
    finals = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert all(decodes(p) for p in finals), "a partial file under a final name"
    assert temps_under(out) == []
    ledger = json.loads((out / STATE_NAME).read_text(encoding="utf-8"))["outputs"]
    assert set(before) <= set(ledger)  # nothing the ledger knew was lost
    assert len(finals) < 13  # it really ran out of room


def test_read_only_destination_one_clear_error(tmp_path: Path) -> None:
    try:
        with small_tmpfs("1m") as where:
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
            sources = [image(tmp_path / "src" / f"{i}.png") for i in range(6)]
            done = cli("convert", *map(str, sources), "-o", str(where / "out"))
            assert sorted(os.listdir(where)) == []
    except PermissionError as exc:
        pytest.skip(f"no file system to make read-only: {exc}")
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("batch stopped: the destination cannot be written") == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_destination_without_permission_one_clear_error(tmp_path: Path) -> None:
    if os.name == "nt":
        pytest.skip("POSIX permissions")
    out = tmp_path / "out"
    out.mkdir()
    os.chmod(out, 0o555)
    os.chmod(tmp_path, 0o755)
    sources = [image(tmp_path / "src" / f"{i}.png") for i in range(6)]
    done = run_cli_limited("convert", *map(str, sources), "-o", str(out))
    os.chmod(out, 0o755)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("batch stopped: the destination cannot be written") == 1, done.stderr
    assert list(out.iterdir()) == []


def test_a_read_only_destination_never_names_an_internal_temp(tmp_path: Path) -> None:
    """Outputs, ledger and --report into a real read-only mount that already holds an
    earlier run: every message names the file it is about, never a .shh-partial- temp."""
    from shh_converter.core.atomic import TEMP_PREFIX

    source = image(tmp_path / "src" / "a.png")
    try:
        with small_tmpfs("1m") as where:
            out = where / "out"
            first = cli("convert", str(source), "-o", str(out))
            assert first.returncode == 0, first.stderr
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
            report = out / "report.json"
            done = cli(
                "convert", str(source), str(image(tmp_path / "src" / "b.png")), "-o", str(out),
                "--report", str(report), "-v",
            )  # fmt: skip
            left = sorted(os.listdir(out))
    except PermissionError as exc:
        pytest.skip(f"no file system to make read-only: {exc}")
    said = done.stdout + done.stderr
    assert done.returncode == 1, said
    assert TEMP_PREFIX not in said, said
    assert f"cannot write the report {report}: [Errno 30] Read-only file system: '{report}'" in (
        said
    )
    assert "failed: " in said and "cannot write b.webp: Read-only file system" in said, said
    assert left == [STATE_NAME, "a.webp"]


def test_the_window_on_a_read_only_destination_never_names_an_internal_temp(
    tmp_path: Path, x_display: str
) -> None:
    """The same in the real window: rows, their details, the summary and the failures
    dialog say the outputs' names and the reason."""
    from guikit import add_and_wait, close_app, convert_and_wait, last_dialog, make_app

    from shh_converter.core.atomic import TEMP_PREFIX
    from shh_converter.gui.dialogs import FailuresDialog

    sources = [image(tmp_path / "src" / f"{name}.png") for name in ("a", "b")]
    try:
        with small_tmpfs("1m") as where:
            out = where / "out"
            first = cli("convert", str(sources[0]), "-o", str(out))  # the earlier run
            assert first.returncode == 0, first.stderr
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
            app = make_app()
            try:
                add_and_wait(app, sources)
                convert_and_wait(app, out)
                files = app.window.files
                said = [files.details_of(p) for p in sources]
                said.append(str(app.window.progress.summary_label.cget("text")))
                dialog = last_dialog(app, FailuresDialog)
                assert dialog is not None
                said += [" ".join(map(str, dialog.tree.item(i, "values"))) for i in
                         dialog.tree.get_children()]  # fmt: skip
            finally:
                close_app(app)
    except PermissionError as exc:
        pytest.skip(f"no file system to make read-only: {exc}")
    assert not [line for line in said if TEMP_PREFIX in line], said
    assert said[0] == "a.png — skipped: up to date", said
    assert said[1] == "b.png — failed: cannot write b.webp: Read-only file system", said
