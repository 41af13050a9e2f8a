"""Faults during a batch: each gives a reason, the rest goes on.

A source deleted, replaced or cut short after planning (as when a sync tool or a
camera import touches the folder mid-batch), a damaged model file, a log folder
that cannot be written, a corrupt ledger. Real files, real worker processes.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from faultkit import image, temps_under
from PIL import Image
from support import run_cli

from shh_converter import paths
from shh_converter.core.plan import plan_batch
from shh_converter.core.runner import run_batch
from shh_converter.core.settings import Settings
from shh_converter.core.state import JOURNAL_NAME, STATE_NAME

if TYPE_CHECKING:
    from pathlib import Path


def run(sources: list[Path], dest: Path):  # type: ignore[no-untyped-def]
    plan = plan_batch(sources, dest, Settings())
    return plan, (lambda: run_batch(plan.jobs, Settings(), lambda _e: None))


def test_sources_deleted_replaced_and_cut_short_after_planning(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "out"
    names = ["a.png", "gone.png", "swapped.png", "growing.png", "z.png"]
    for name in names:
        image(src / name, size=64)
    Image.effect_noise((300, 300), 50).convert("RGB").save(src / "growing.png")
    _, go = run([src / n for n in names], dest)
    (src / "gone.png").unlink()
    image(src / "swapped.png", (0, 0, 255), size=32)  # another picture under the same name
    whole = (src / "growing.png").read_bytes()
    (src / "growing.png").write_bytes(whole[: len(whole) // 2])  # still being copied in
    results = {r.source.name: r for r in go().results}
    assert results["a.png"].status == results["z.png"].status == "converted"
    gone = results["gone.png"]
    assert gone.status == "failed" and "no such file" in (gone.error or "").lower(), gone.error
    assert results["growing.png"].status == "failed" and results["growing.png"].error
    assert not results["growing.png"].error.startswith("internal error")
    with Image.open(dest / "swapped.webp") as im:
        assert im.size == (32, 32)  # made from what the file holds now
    assert temps_under(dest) == []
    # The copy finishes; the re-run converts it (a failed file is never "up to date").
    (src / "growing.png").write_bytes(whole)
    _, go = run([src / n for n in names if n != "gone.png"], dest)
    again = {r.source.name: r.status for r in go().results}
    assert again == {"a.png": "skipped", "swapped.png": "skipped", "growing.png": "converted",
                     "z.png": "skipped"}  # fmt: skip


def test_damaged_model_file_is_one_clear_error(tmp_path: Path) -> None:
    model = paths.ensure(paths.models_dir) / "u2netp.onnx"
    model.write_bytes(b"\0" * 4096)  # a download cut short, a disk error
    source = image(tmp_path / "a.png")
    done = run_cli("convert", str(source), "-o", str(tmp_path / "out"), "--remove-bg")
    assert done.returncode == 2, done.stderr
    assert "damaged" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out" / "a.webp").exists()
    anyway = run_cli(
        "convert", str(source), "-o", str(tmp_path / "out"), "--remove-bg", "--continue-without-bg"
    )
    assert anyway.returncode == 0, anyway.stderr
    assert (tmp_path / "out" / "a.webp").is_file()


def test_unwritable_log_folder_does_not_stop_a_batch(tmp_path: Path) -> None:
    paths.log_dir.parent.mkdir(parents=True, exist_ok=True)
    if paths.log_dir.is_dir():
        os.rmdir(paths.log_dir)
    paths.log_dir.write_text("a file where the log folder should be", encoding="utf-8")
    source = image(tmp_path / "a.png")
    done = run_cli("convert", str(source), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    assert "cannot write the log file" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / "out" / "a.webp").is_file()


def test_corrupt_ledger_and_torn_journal_mean_a_safe_redo_not_a_failure(tmp_path: Path) -> None:
    sources = [image(tmp_path / "src" / f"{n}.png") for n in "abc"]
    dest = tmp_path / "out"
    first = run_cli("convert", *map(str, sources), "-o", str(dest))
    assert first.returncode == 0, first.stderr
    (dest / STATE_NAME).write_bytes(os.urandom(300))  # binary garbage
    (dest / JOURNAL_NAME).write_text('{"output": "a.webp", "sour', encoding="utf-8")  # torn
    again = run_cli("convert", *map(str, sources), "-o", str(dest))
    assert again.returncode == 0, again.stderr
    assert "damaged resume state" in again.stderr and "Traceback" not in again.stderr
    # The ledger cannot vouch for the old outputs any more, so they count as the user's
    # files: never overwritten, the batch writes numbered copies (the safe side).
    made = sorted(p.name for p in dest.glob("*.webp"))
    assert made == ["a (2).webp", "a.webp", "b (2).webp", "b.webp", "c (2).webp", "c.webp"]
    ledger = json.loads((dest / STATE_NAME).read_text(encoding="utf-8"))
    assert sorted(ledger["outputs"]) == ["a (2).webp", "b (2).webp", "c (2).webp"]  # valid again
    third = run_cli("convert", *map(str, sources), "-o", str(dest))
    assert third.stdout.count("skipped:") == 3, third.stdout
