"""One byte-size rule (``core/units.py``): decimal units, as the size cap counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from support import copy_photos, run_cli

from shh_converter.core.units import KB, human_bytes

if TYPE_CHECKING:
    from pathlib import Path


def test_decimal_units_like_the_size_cap() -> None:
    assert KB == 1000
    assert human_bytes(999) == "999 B"
    assert human_bytes(1000) == "1.0 KB"
    assert human_bytes(1536) == "1.5 KB"
    assert human_bytes(200 * KB) == "200.0 KB"  # a file at a 200 KB cap reads as 200 KB
    assert human_bytes(2_500_000) == "2.5 MB"
    assert human_bytes(1_500_000_000) == "1.5 GB"
    assert human_bytes(5 * KB**4) == "5000.0 GB"  # GB is the largest unit
    assert human_bytes(None) == ""  # size unknown: nothing shown


def test_the_cli_summary_uses_the_same_rule(tmp_path: Path) -> None:
    (source,) = copy_photos(tmp_path / "in", ("mpl_grace_hopper.jpg",))
    done = run_cli("convert", str(source), "-o", str(tmp_path / "out"), "--format", "webp")
    assert done.returncode == 0, done.stderr
    (output,) = (tmp_path / "out").glob("*.webp")
    sizes = f"({human_bytes(source.stat().st_size)} -> {human_bytes(output.stat().st_size)})"
    assert sizes in done.stdout, done.stdout
