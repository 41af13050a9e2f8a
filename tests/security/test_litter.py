"""What the program leaves in the user's folders: outputs, plus hidden bookkeeping only.

The ledger stays in the destination (see docs/reliability.md for why) and is hidden:
by its leading dot on macOS and Linux, by the Windows "hidden" attribute through
``atomic.mark_hidden`` -- a no-op elsewhere, which is what can be checked here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from faultkit import image
from support import run_cli

from shh_converter.core import atomic, state
from shh_converter.core.atomic import atomic_write, mark_hidden


def test_a_batch_leaves_outputs_and_dot_files_only(tmp_path: Path) -> None:
    sources = [image(tmp_path / "src" / f"{n}.png") for n in "ab"]
    dest = tmp_path / "out"
    done = run_cli("convert", *map(str, sources), "-o", str(dest))
    assert done.returncode == 0, done.stderr
    extra = sorted(p.name for p in dest.iterdir() if p.suffix != ".webp")
    assert extra == [state.STATE_NAME]
    assert all(name.startswith(".") for name in extra)
    assert sorted(os.listdir(tmp_path / "src")) == ["a.png", "b.png"]  # sources untouched


def test_ledger_and_journal_are_marked_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hidden: list[str] = []
    monkeypatch.setattr(state, "mark_hidden", lambda p: hidden.append(Path(p).name))
    source, output = image(tmp_path / "a.png"), image(tmp_path / "out" / "a.webp")
    ledger = state.Ledger(tmp_path / "out")
    ledger.record(source, output, "f" * 16)
    ledger.record(source, output, "e" * 16)  # the journal is hidden once, when created
    ledger.save()
    assert hidden == [state.JOURNAL_NAME, state.STATE_NAME]


def test_temps_are_not_marked_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rename keeps attributes: a hidden temp would make a hidden output on Windows."""
    hidden: list[Path] = []
    monkeypatch.setattr(atomic, "mark_hidden", hidden.append)
    with atomic_write(tmp_path / "a.webp") as fh:
        fh.write(b"data")
    assert hidden == [] and (tmp_path / "a.webp").read_bytes() == b"data"


@pytest.mark.skipif(sys.platform == "win32", reason="checks the no-op off Windows")
def test_mark_hidden_is_a_no_op_off_windows(tmp_path: Path) -> None:
    target = tmp_path / ".ledger"
    target.write_bytes(b"x")
    before = target.stat()
    mark_hidden(target)
    mark_hidden(tmp_path / "missing")  # never raises
    after = target.stat()
    assert (after.st_mode, after.st_mtime_ns, target.read_bytes()) == (
        before.st_mode,
        before.st_mtime_ns,
        b"x",
    )


def test_every_bookkeeping_name_starts_with_a_dot() -> None:
    assert state.STATE_NAME.startswith(".") and state.JOURNAL_NAME.startswith(".")
    assert atomic.temp_path_for(Path("/x/a.webp")).name.startswith(atomic.TEMP_PREFIX)
    assert atomic.TEMP_PREFIX.startswith(".")
