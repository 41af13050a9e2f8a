"""Resume ledger: what counts as up to date, corrupt files, merging, and a real re-run."""

from __future__ import annotations

import json
import logging
import os
import time
from typing import TYPE_CHECKING

from PIL import Image
from support.images import solid

from shh_converter.core.atomic import TEMP_PREFIX
from shh_converter.core.plan import plan_batch
from shh_converter.core.runner import run_batch
from shh_converter.core.settings import EncodeOptions, Settings
from shh_converter.core.state import JOURNAL_NAME, STATE_NAME, Ledger

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from shh_converter.core.events import BatchFinished

FP = Settings().fingerprint()


def made(tmp_path: Path) -> tuple[Path, Path, Ledger]:
    src = tmp_path / "a.jpg"
    tmp_path.mkdir(exist_ok=True)
    src.write_bytes(b"source bytes")
    out = tmp_path / "out" / "a.webp"
    out.parent.mkdir()
    out.write_bytes(b"output bytes")
    ledger = Ledger(out.parent)
    ledger.record(src, out, FP)
    return src, out, ledger


def test_round_trip_and_up_to_date(tmp_path: Path) -> None:
    src, out, ledger = made(tmp_path)
    ledger.save()
    loaded = Ledger.load(out.parent)
    assert loaded.is_up_to_date(out, src, FP)
    assert loaded.made_from(out, src)
    assert not loaded.is_up_to_date(out, src, "another-fingerprint")
    assert not loaded.made_from(out, tmp_path / "b.jpg")
    assert not [p for p in out.parent.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_touched_or_changed_source_is_not_up_to_date(tmp_path: Path) -> None:
    src, out, ledger = made(tmp_path)
    later = time.time() + 10
    os.utime(src, (later, later))
    assert not ledger.is_up_to_date(out, src, FP)
    src2, out2, ledger2 = made(tmp_path / "second")
    src2.write_bytes(b"different length source")
    assert not ledger2.is_up_to_date(out2, src2, FP)


def test_changed_or_missing_output_is_not_up_to_date(tmp_path: Path) -> None:
    src, out, ledger = made(tmp_path)
    out.write_bytes(b"edited by hand, longer")
    assert not ledger.is_up_to_date(out, src, FP)
    out.unlink()
    assert not ledger.is_up_to_date(out, src, FP)


def test_output_older_than_source_is_not_up_to_date(tmp_path: Path) -> None:
    src, out, ledger = made(tmp_path)
    old = time.time() - 100
    os.utime(out, (old, old))
    ledger.record(src, out, FP)  # recorded facts match, but the output predates the source
    assert not ledger.is_up_to_date(out, src, FP)


def test_corrupt_ledger_is_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / STATE_NAME).write_text("{ not json", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        ledger = Ledger.load(tmp_path)
    assert ledger.entries == {}
    assert any("damaged resume state" in r.getMessage() for r in caplog.records)
    (tmp_path / STATE_NAME).write_text(json.dumps({"outputs": {"a": {"x": 1}}}), encoding="utf-8")
    assert Ledger.load(tmp_path).entries == {}


def test_save_merges_with_another_writer_and_drops_deleted_outputs(tmp_path: Path) -> None:
    src, out, mine = made(tmp_path)
    other_out = out.parent / "b.webp"
    other_out.write_bytes(b"b")
    theirs = Ledger.load(out.parent)
    theirs.record(src, other_out, FP)
    theirs.save()
    mine.save()  # must not throw away "b.webp"
    assert set(Ledger.load(out.parent).entries) == {"a.webp", "b.webp"}
    other_out.unlink()
    mine.record(src, out, FP)
    mine.save()
    assert set(Ledger.load(out.parent).entries) == {"a.webp"}


def test_journal_remembers_without_a_save_and_is_folded_in(tmp_path: Path) -> None:
    src, out, ledger = made(tmp_path)  # recorded, never saved: as if the run was killed
    journal = out.parent / JOURNAL_NAME
    with journal.open("a", encoding="utf-8") as fh:
        fh.write('{"output": "torn.webp", "sour')  # the kill tore the last line
    loaded = Ledger.load(out.parent)
    assert loaded.is_up_to_date(out, src, FP)
    assert "torn.webp" not in loaded.entries
    ledger.save()
    assert not journal.exists()
    assert Ledger.load(out.parent).is_up_to_date(out, src, FP)


def test_a_claim_is_ours_but_never_up_to_date(tmp_path: Path) -> None:
    src, out, _ = made(tmp_path)
    fresh = Ledger(out.parent)
    fresh.claim(src, out, FP)
    again = Ledger.load(out.parent)
    assert again.made_from(out, src)
    assert not again.is_up_to_date(out, src, FP)


# -- resume through the real planner and runner ---------------------------------------------


def run(sources: list[Path], dest: Path, settings: Settings) -> BatchFinished:
    plan = plan_batch(sources, dest, settings)
    return run_batch(plan.jobs, settings, lambda e: None, workers=1)


def test_second_run_skips_and_changes_redo_in_place(tmp_path: Path) -> None:
    a = solid(tmp_path / "src" / "a.png", (40, 30), (200, 10, 10))
    b = solid(tmp_path / "src" / "b.png", (40, 30), (10, 200, 10))
    dest = tmp_path / "out"
    first = run([a, b], dest, Settings())
    assert [r.status for r in first.results] == ["converted", "converted"]

    second = run([a, b], dest, Settings())
    assert [(r.status, r.error) for r in second.results] == [("skipped", "up to date")] * 2

    later = time.time() + 5
    os.utime(a, (later, later))
    third = run([a, b], dest, Settings())
    assert [r.status for r in third.results] == ["converted", "skipped"]
    assert third.results[0].output == dest / "a.webp"  # redone in place, not "a (2).webp"

    fourth = run([a, b], dest, Settings(encode=EncodeOptions(quality=40)))
    assert [r.status for r in fourth.results] == ["converted", "converted"]
    assert sorted(p.name for p in dest.iterdir()) == [STATE_NAME, "a.webp", "b.webp"]


def test_killed_runs_temp_is_cleaned_and_rest_finished(tmp_path: Path) -> None:
    a = solid(tmp_path / "src" / "a.png", (40, 30), (1, 2, 3))
    b = solid(tmp_path / "src" / "b.png", (40, 30), (4, 5, 6))
    dest = tmp_path / "out"
    run([a], dest, Settings())
    # What a run killed while writing b leaves behind: a temp file, no ledger entry for b.
    leftover = dest / f"{TEMP_PREFIX}0123456789ab-b.webp"
    leftover.write_bytes(b"half a webp")
    old = time.time() - 3600
    os.utime(leftover, (old, old))
    again = run([a, b], dest, Settings())
    assert [r.status for r in again.results] == ["skipped", "converted"]
    assert not leftover.exists()
    with Image.open(dest / "b.webp") as im:
        im.load()
