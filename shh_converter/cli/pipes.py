"""``-`` as the input and ``-o -`` as the destination: one image through a pipe.

``-`` as the only input reads one image from stdin (into a private temp folder,
named ``stdin`` -- the format is found from the content); ``-o -`` converts into
a temp folder and then writes the single output to stdout. Messages stay on
stderr, so ``shh-converter convert - -o - < a.jpg > a.webp`` leaves stdout pure.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from ..core.jobs import Job
    from ..core.recipe import Recipe

STDIN_NAME = "stdin"


def is_pipe(path: Path) -> bool:
    return str(path) == "-"


def check(inputs: Sequence[Path], dest: Path, recipe: Recipe) -> None:
    """Refuse what a pipe cannot carry (one line, exit 2)."""
    if any(is_pipe(p) for p in inputs) and len(inputs) > 1:
        msg = "'-' (read the image from stdin) must be the only input"
        raise UsageError(msg)
    if is_pipe(dest):
        if len(recipe.outputs) > 1 or recipe.manifest:
            msg = "-o - writes one output to stdout: this recipe has several"
            raise UsageError(msg)
        if len(inputs) != 1 or (not is_pipe(inputs[0]) and inputs[0].is_dir()):
            msg = "-o - writes one output to stdout: give exactly one input file"
            raise UsageError(msg)


@contextlib.contextmanager
def staged(inputs: Sequence[Path], dest: Path) -> Iterator[tuple[list[Path], Path]]:
    """The real inputs and destination to convert with; temp files removed afterwards."""
    with contextlib.ExitStack() as stack:
        real_inputs = list(inputs)
        real_dest = dest
        if any(is_pipe(p) for p in inputs) or is_pipe(dest):
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="shh-pipe-")))
            if is_pipe(inputs[0]):
                source = work / "in" / STDIN_NAME
                source.parent.mkdir()
                with source.open("wb") as fh:
                    shutil.copyfileobj(sys.stdin.buffer, fh)
                real_inputs = [source]
            if is_pipe(dest):
                real_dest = work / "out"
        yield real_inputs, real_dest


def send(jobs: Sequence[Job]) -> None:
    """Write the one output made to stdout (nothing when it failed: the exit code says so)."""
    output = jobs[0].output if jobs else None
    if output is None or not output.is_file():
        return
    sys.stdout.flush()
    with output.open("rb") as fh:
        shutil.copyfileobj(fh, sys.stdout.buffer)
    sys.stdout.flush()
