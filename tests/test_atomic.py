import os
import time
from pathlib import Path

import pytest

from shh_converter.core.atomic import TEMP_PREFIX, atomic_write, clean_stale_temps


def test_success_replaces_target(tmp_path: Path) -> None:
    target = tmp_path / "out.webp"
    target.write_bytes(b"old")
    with atomic_write(target) as fh:
        fh.write(b"new")
        assert target.read_bytes() == b"old"  # readers never see a partial file
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.webp"]


def test_failure_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "out.webp"
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write(b"half")
        raise RuntimeError("encoder died")
    assert list(tmp_path.iterdir()) == []


def test_no_overwrite_keeps_existing(tmp_path: Path) -> None:
    target = tmp_path / "a.webp"
    target.write_bytes(b"theirs")
    with pytest.raises(FileExistsError), atomic_write(target, overwrite=False) as fh:
        fh.write(b"mine")
    assert target.read_bytes() == b"theirs" and len(list(tmp_path.iterdir())) == 1


def test_clean_stale_temps_removes_only_old_partials(tmp_path: Path) -> None:
    old = tmp_path / f"{TEMP_PREFIX}abc-a.webp"
    fresh = tmp_path / f"{TEMP_PREFIX}def-b.webp"
    keep = tmp_path / "c.webp"
    for p in (old, fresh, keep):
        p.write_bytes(b"x")
    past = time.time() - 3600
    os.utime(old, (past, past))
    assert clean_stale_temps(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([fresh.name, keep.name])
