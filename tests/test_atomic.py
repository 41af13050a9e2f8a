import os
import time
from pathlib import Path

import pytest
from support import wait_until

from shh_converter.core.atomic import (
    TEMP_PREFIX,
    atomic_write,
    clean_stale_temps,
    host_tag,
    temp_owner_alive,
)


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
        msg = "encoder died"
        raise RuntimeError(msg)
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


@pytest.mark.skipif(not hasattr(os, "fork"), reason="zombies are a POSIX thing")
def test_a_killed_writer_not_yet_reaped_counts_as_gone(tmp_path: Path) -> None:
    """A worker killed with its parent stays a zombie until PID 1 reaps it; its temp is a
    dead run's and goes at once (seen as a leftover temp after a hard kill under load)."""
    child = os.fork()
    if child == 0:
        os._exit(0)  # dies at once; this test reaps it only at the end
    try:
        import psutil

        def zombie() -> bool:  # its exit is visible
            with open(f"/proc/{child}/stat", encoding="ascii") as stat:
                return stat.read().rsplit(")", 1)[1].split()[0] == "Z"

        wait_until(zombie, 30, "the child never became a zombie")
        start = round(psutil.Process(child).create_time() * 100)
        temp = tmp_path / f"{TEMP_PREFIX}o{child:x}-{start:x}-{host_tag()}-ab12cd-a.webp"
        temp.write_bytes(b"x")
        assert temp_owner_alive(temp.name) is False
        assert clean_stale_temps(tmp_path) == 1 and not temp.exists()
    finally:
        os.waitpid(child, 0)
