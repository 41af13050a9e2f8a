"""A folder walk that meets broken entries: one line per entry, the rest converted.

Real file-system entries (symlink loops, dangling links, permission-less folders
and files, a non-UTF-8 name, a named pipe), tested on the walk itself and through
the CLI as a user runs it. Permissions are tested with root's override dropped
(``faultkit.without_dac_override``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from faultkit import image, run_cli_limited, without_dac_override
from support import REPO

from shh_converter.core.discover import discover

POSIX = pytest.mark.skipif(sys.platform == "win32", reason="symlinks/fifos need POSIX here")


def broken_tree(root: Path) -> dict[str, str]:
    """Good images plus one of each unreadable entry; returns name -> expected reason."""
    image(root / "a.png")
    image(root / "sub" / "b.png")
    os.symlink("loop", root / "loop")  # points at itself
    os.symlink(root / "nowhere.png", root / "dangling.png")
    image(root / "locked" / "c.png")
    os.chmod(root / "locked", 0)
    image(root / "secret.png")
    os.chmod(root / "secret.png", 0)
    os.mkfifo(root / "pipe.png")
    expected = {
        "loop": "symbolic link loop",
        "dangling.png": "broken link: its target does not exist",
        "locked": "cannot open this folder: permission denied",
        "pipe.png": "not a regular file (a pipe, socket or device)",
        "secret.png": "permission denied",  # found by the walk, refused on open
    }
    if sys.platform.startswith("linux"):  # macOS and Windows only allow text names
        image(Path(os.fsdecode(bytes(root) + b"/latin\xe9.png")))
        expected["latin\udce9.png"] = "the file name is not valid text (UTF-8): rename the file"
    return expected


@pytest.fixture
def tree(tmp_path: Path):  # type: ignore[no-untyped-def]
    root = tmp_path / "src"
    expected = broken_tree(root)
    yield root, expected
    os.chmod(root / "locked", 0o755)  # so pytest can delete it


WALK = """
import json, sys
from pathlib import Path
from shh_converter.core.discover import discover
found = discover([Path(sys.argv[1])], Path(sys.argv[2]), recursive=True)
print(json.dumps({f.source.name: f.error for f in found}, ensure_ascii=True))
"""


@POSIX
def test_walk_reports_each_broken_entry_and_keeps_the_rest(tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, expected = tree
    os.chmod(tmp_path, 0o755)
    argv = [sys.executable, "-c", WALK, str(root), str(tmp_path / "out")]
    done = subprocess.run(without_dac_override(argv), capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found.pop("a.png") is None and found.pop("b.png") is None
    assert found.pop("secret.png") is None  # readable by the walk; open() gives the reason
    assert found == {k: v for k, v in expected.items() if k != "secret.png"}


@POSIX
def test_explicit_broken_inputs_each_get_their_reason(tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, _ = tree
    inputs = [root / "loop", root / "dangling.png", root / "pipe.png", root / "missing.png"]
    found = discover(inputs, tmp_path / "out", recursive=False)
    assert [f.error for f in found] == [
        "symbolic link loop",
        "broken link: its target does not exist",
        "not a regular file (a pipe, socket or device)",
        "file not found",
    ]


@POSIX
def test_cli_batch_over_a_broken_folder_goes_on(tree, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root, expected = tree
    out, report = tmp_path / "out", tmp_path / "report.json"
    os.chmod(tmp_path, 0o755)
    done = run_cli_limited(
        "convert", str(root), "--recursive", "-o", str(out), "--report", str(report)
    )
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr  # some files failed, none crashed the batch
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.webp")) == [
        f"{root.name}/a.webp",
        f"{root.name}/sub/b.webp",
    ]
    failed_lines = [line for line in done.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed_lines) == len(expected), done.stderr
    entries = json.loads(report.read_text(encoding="utf-8"))
    files = entries["files"] if isinstance(entries, dict) else entries
    by_name = {Path(f["source"]).name: f for f in files}
    for name, reason in expected.items():
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        entry = by_name.get(name) or by_name.get(shown) or by_name.get(ascii_name(name))
        assert entry is not None, (name, sorted(by_name))
        assert entry["status"] == "failed"
        assert reason.split(":")[0].lower() in entry["error"].lower(), (name, entry["error"])


def ascii_name(name: str) -> str:
    return name.encode("utf-8", "backslashreplace").decode("ascii")


def test_without_dac_override_really_denies(tmp_path: Path) -> None:
    """The permission tests above are only worth something if the denial is real."""
    if sys.platform == "win32":
        pytest.skip("POSIX permissions")
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0)
    os.chmod(tmp_path, 0o755)
    probe = f"import os; os.listdir({str(locked)!r})"
    done = subprocess.run(
        without_dac_override([sys.executable, "-c", probe]), capture_output=True, text=True
    )
    os.chmod(locked, 0o755)
    assert done.returncode != 0 and "PermissionError" in done.stderr


@POSIX
@pytest.mark.gui
def test_window_lists_a_broken_folder_with_a_reason_per_entry(tree, x_display: str) -> None:  # type: ignore[no-untyped-def]
    """The same walk in the window: each broken entry a failed row with its reason."""
    from guikit import close_app, make_app, pump_until

    root, expected = tree
    app = make_app()
    try:
        app.controller.add_paths([root])
        pump_until(app.root, lambda: app.controller.pending_adds == 0, what="listed")
        files = app.window.files
        by_name = {p.name: files.status_of(p) for p in files.files()}
        assert not by_name["a.png"].startswith("failed") and "b.png" in by_name
        for name in ("loop", "dangling.png", "pipe.png"):
            assert by_name[name] == f"failed: {expected[name]}", (name, by_name[name])
    finally:
        close_app(app)
