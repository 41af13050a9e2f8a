"""A destination that cannot take our ledger never shows the internal temp file's name
(``.shh-partial-…``) to people (issue 20.10): the reason is said, the batch goes on."""

from __future__ import annotations

from support import CORPUS, run_cli


def test_an_unwritable_ledger_is_reported_without_the_temp_name(tmp_path):
    out = tmp_path / "out"
    (out / ".shh-converter-state.json").mkdir(parents=True)  # the ledger cannot be replaced
    done = run_cli("convert", str(CORPUS / "photos" / "mpl_grace_hopper.jpg"), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert (out / "mpl_grace_hopper.webp").is_file()
    said = done.stdout + done.stderr
    assert "could not save the resume state" in said  # the problem is still told
    assert ".shh-partial" not in said, said
