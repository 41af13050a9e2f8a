"""Command-line habits (issue 20, item 15): short flags, one spelling, help that is complete.

The help and exit codes are the CLI's (``shh-converter`` in-process); what a flag sets
is read from the real parser.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from support import copy_photos
from support.inprocess import cli_in_process

from shh_converter.cli import build_parser
from shh_converter.core import formats
from shh_converter.core.naming import TEMPLATE_FIELDS

if TYPE_CHECKING:
    from pathlib import Path


@pytest.fixture(scope="module")
def convert_help() -> str:
    done = cli_in_process("convert", "--help")
    assert done.returncode == 0, done.stderr
    return done.stdout


def parse(*argv: str):  # type: ignore[no-untyped-def]
    return build_parser().parse_args(["convert", "in", "-o", "out", *argv])


def test_short_flags_mean_the_long_ones() -> None:
    short, long = parse("-q", "-r"), parse("--quiet", "--recursive")
    assert (short.quiet, short.recursive) == (long.quiet, long.recursive) == (True, True)
    assert parse("-v").verbose is True


def test_short_flags_in_a_real_run(tmp_path: Path) -> None:
    copy_photos(tmp_path / "in" / "sub", ("debian_emblem-debian_256.png",))
    out = tmp_path / "out"
    done = cli_in_process("convert", str(tmp_path / "in"), "-o", str(out), "-r", "-q")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # -q: only errors
    assert (out / "in" / "sub" / "debian_emblem-debian_256.webp").is_file()  # -r walked
    both = cli_in_process("convert", str(tmp_path / "in"), "-o", str(out), "-q", "-v")
    assert both.returncode == 2 and "--quiet and --verbose" in both.stderr


def test_one_spelling_of_optimise_and_the_other_still_works(convert_help: str) -> None:
    assert "optimize" not in convert_help.casefold()
    assert "--optimise-huffman" in convert_help and "--png-optimise" in convert_help
    assert parse("--no-optimize-huffman").optimize_huffman is False  # the hidden alias
    assert parse("--no-optimise-huffman").optimize_huffman is False
    assert parse("--png-optimize").png_optimise is True
    assert parse("--no-png-optimize-photos").png_optimise_photos is False


def test_name_template_help_lists_every_field(convert_help: str) -> None:
    text = " ".join(convert_help.split())  # argparse wraps lines
    help_of = text.split("--name-template TEMPLATE", 2)[2]
    listed = re.findall(r"\{(\w+)\}", help_of.split("; ", 1)[0])
    assert listed == list(TEMPLATE_FIELDS)
    assert {"width", "height"} <= set(listed)


def test_the_description_names_every_output_format(convert_help: str) -> None:
    text = " ".join(convert_help.split())
    description = text.split("Convert images to ", 1)[1].split(", one or several", 1)[0]
    assert description.split(", ") == [spec.label for spec in formats.SPECS.values()]
    assert len(formats.SPECS) >= 7
