"""A destination that cannot take our ledger never shows the internal temp file's name
(``.shh-partial-…``) to people (issue 20.10): the reason is said, the batch goes on."""

from __future__ import annotations

from typing import TYPE_CHECKING

from support import CORPUS, run_cli

if TYPE_CHECKING:
    from pathlib import Path


def test_an_unwritable_ledger_is_reported_without_the_temp_name(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".shh-converter-state.json").mkdir(parents=True)  # the ledger cannot be replaced
    done = run_cli("convert", str(CORPUS / "photos" / "mpl_grace_hopper.jpg"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "mpl_grace_hopper.webp").is_file()
    said = done.stdout + done.stderr
    assert "could not save the resume state" in said  # the problem is still told
    assert ".shh-partial" not in said, said


def test_a_failed_atomic_write_names_the_output_not_its_temp(tmp_path: Path) -> None:
    """The final name is a folder, so the last step (the rename) really fails, as root
    too and on every platform; the error keeps its class and reason, and names the output."""
    import pytest

    from shh_converter.core.atomic import TEMP_PREFIX, atomic_write

    target = tmp_path / "photo.webp"
    (target / "inside").mkdir(parents=True)
    with pytest.raises(OSError) as caught, atomic_write(target) as fh:
        fh.write(b"RIFF")
    said = str(caught.value)
    assert TEMP_PREFIX not in said, said
    assert str(target) in said and caught.value.strerror and caught.value.strerror in said
    assert caught.value.filename == str(target) and caught.value.filename2 is None
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]  # cleaned up
