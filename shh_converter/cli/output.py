"""What ``convert`` prints while a batch runs.

On a terminal: a tqdm bar on stderr, failures printed above it. Otherwise (a
pipe, a log file, CI): one line per file on stdout. Failures always go to stderr
as ``failed: <file>: <reason>``; ``quiet`` keeps only those. Events arrive on the
thread that called ``run_batch`` (the main thread in the CLI).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

from ..core import destination
from ..core.events import BatchFinished, BatchPlanned, Event, FileFinished, Progress
from ..core.units import human_bytes
from ..i18n import _

if TYPE_CHECKING:
    from types import TracebackType


def _one_line(value: object) -> str:
    """Keep the one-line-per-file promise even for odd messages or names with newlines."""
    return str(value).replace("\r", " ").replace("\n", " ")


class Printer:
    """Turns runner events into terminal output (use as a context manager)."""

    def __init__(
        self, *, quiet: bool = False, verbose: bool = False, to_stderr: bool = False
    ) -> None:
        for stream in (sys.stdout, sys.stderr):  # odd file names must never crash a print
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="backslashreplace")
        self.quiet, self.verbose = quiet, verbose
        self.stream = sys.stderr if to_stderr else None  # None: stdout (when it carries data: no)
        self.bar: Any = None

    def _planned(self, event: BatchPlanned) -> None:
        """The planner has found the files: a progress bar on a terminal (none when empty)."""
        if not event.jobs:
            self._err(_("shh-converter: no files found in the inputs"))
        elif not self.quiet and sys.stderr.isatty():
            from tqdm import tqdm

            total = len(event.jobs)
            self.bar = tqdm(total=total, unit="file", file=sys.stderr, dynamic_ncols=True)

    def __enter__(self) -> Printer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.bar is not None:
            self.bar.close()

    def _err(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
        else:
            print(line, file=sys.stderr, flush=True)

    def _out(self, line: str) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.write(line, file=sys.stderr)
            return
        try:
            print(line, flush=True, file=self.stream)
        except BrokenPipeError:  # "| head" has read enough: the batch goes on, quietly
            silence_stdout()
            self.quiet = True

    def on_event(self, event: Event) -> None:
        """The runner's callback."""
        if isinstance(event, BatchPlanned):
            self._planned(event)
        elif isinstance(event, FileFinished):
            self._file(event)
        elif isinstance(event, Progress) and self.bar is not None:
            self.bar.n = event.done
            self.bar.set_postfix_str(event.current or "", refresh=True)
        elif isinstance(event, BatchFinished):
            self._summary(event)

    def _file(self, event: FileFinished) -> None:
        r = event.result
        for out in r.outputs:  # a target size not reached, a result bigger than its source
            if out.note and out.output is not None and not self.quiet:
                self._err(f"note: {_one_line(out.output)}: {_one_line(out.note)}")
        if r.status == "failed":
            self._err(f"failed: {_one_line(r.source)}: {_one_line(r.error)}")
        elif self.bar is None or self.verbose:  # with a bar, per-file lines only when verbose
            if r.status == "converted":
                size = human_bytes(r.bytes_out)
                written = [o.output for o in r.outputs if o.status == "converted" and o.output]
                names = ", ".join(_one_line(p) for p in written[:1]) or _one_line(r.output)
                names += "".join(f", {_one_line(p.name)}" for p in written[1:])
                self._out(f"converted: {_one_line(r.source)} -> {names} ({size})")
            else:
                self._out(f"skipped: {_one_line(r.source)}: {_one_line(r.error)}")

    def _summary(self, done: BatchFinished) -> None:
        if self.bar is not None:  # the finished bar stays on screen above the summary
            self.bar.close()
            self.bar = None
        if done.error:
            self._err(f"shh-converter: {done.error}")
        if done.cancelled:
            why = destination.stopped_by_destination(done.results) or _("cancelled")
            self._err(f"shh-converter: {why}")
        for note in done.ai_notes if not self.quiet else ():  # AI on the CPU, and why
            self._err(f"note: {_one_line(note)}")
        # Per-file lines above stay English (scripts parse "failed: FILE: reason"); the
        # summary is for people.
        line = _(
            "{converted} converted, {skipped} skipped, {failed} failed in {seconds} s"
            " ({size_in} -> {size_out})"
        ).format(
            converted=done.converted,
            skipped=done.skipped,
            failed=done.failed,
            seconds=f"{done.elapsed:.1f}",
            size_in=human_bytes(done.bytes_in),
            size_out=human_bytes(done.bytes_out),
        )
        self._out(line)


def silence_stdout() -> None:
    """Point stdout at the null device after its reader went away (``| head``).

    Later prints, and the interpreter's last flush at exit, then write nowhere
    instead of raising ``BrokenPipeError`` again. A batch whose progress lines can
    no longer be read keeps converting (``cli/output.py`` calls this).
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (tests replacing stdout)
        pass
