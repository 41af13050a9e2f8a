"""``shh-converter watch FOLDER... -o DEST [recipe options]``: convert what lands in folders.

The recipe options are exactly ``convert``'s (:func:`.convert.add_arguments`,
:func:`.convert.settings_from_args`), so a watch makes the same outputs as a
batch over the same files, in the same places (each folder under its own name in
DEST, as ``convert`` puts it). Folders are always watched with their subfolders
(mirrored). One line per file on stdout (failures on stderr as
``failed: FILE: reason``, like ``convert``); ``--report FILE`` appends one JSON
line per output (``-`` = stdout). Ctrl-C or SIGTERM stops the watch cleanly:
files in flight finish or are discarded whole. Exit code after a stop: 0, or 1
when a file failed during the session; 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import time
from typing import TYPE_CHECKING, Any

from ..core.errors import UsageError
from ..core.events import Event, FileFinished
from ..core.units import human_bytes
from ..core.watch import (
    SourceDeleted,
    WatchEvent,
    WatchOptions,
    WatchProblem,
    WatchStarted,
    WatchStopped,
)
from ..i18n import _, ngettext
from . import convert
from .exitcodes import EXIT_FAILED, EXIT_OK
from .output import _one_line

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

log = logging.getLogger(__name__)

EPILOG = """\
examples:
  shh-converter watch ~/Inbox -o ~/Web --resize fit --width 1600 --height 1600
  shh-converter watch /mnt/share/drop -o /mnt/share/web --no-events --rescan 10
  shh-converter watch shots/ -o cut/ --remove-bg --format png --report watch.jsonl

A file is converted once its size and time have not changed for --settle seconds
and it reads as a whole image. Up-to-date outputs are skipped (a restarted watch
redoes nothing), a changed source is redone, a deleted source keeps its outputs
unless --remove-deleted. Ctrl-C or SIGTERM stops it; nothing is left half-written.

Images already in the folders when the watch starts are converted too (--existing
convert, the default: a watch restarted after a pause catches up on what came in
meanwhile, and what it converted before is up to date). --existing skip leaves the
images that are there at this start unconverted, as long as they do not change, and
converts only what arrives or changes afterwards; each start looks again.
"""


def register(subparsers: Any) -> None:
    """Add the ``watch`` sub-command."""
    parser = subparsers.add_parser(
        "watch",
        help=_("convert images as they land in folders"),
        description=_(
            "Watch folders (and their subfolders) and convert each image that "
            "arrives or changes into DEST, with the same options as 'convert'."
        ),
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    convert.add_arguments(parser)
    _retitle(parser, "inputs", metavar="FOLDER", help=_("folders to watch (with subfolders)"))
    _retitle(parser, "recursive", help=_("(always on for watch)"))
    _retitle(
        parser, "report", metavar="FILE", help=_("append one JSON line per output ('-': stdout)")
    )
    group = parser.add_argument_group("watching")
    group.add_argument(
        "--settle",
        type=_seconds,
        default=WatchOptions.quiet_seconds,
        metavar="SECONDS",
        help=_("convert a file once it has not changed for this long (%(default)s)"),
    )
    group.add_argument(
        "--rescan",
        type=_seconds,
        default=WatchOptions.rescan_seconds,
        metavar="SECONDS",
        help=_("also walk the folders this often, for missed events (%(default)s)"),
    )
    group.add_argument(
        "--no-events",
        action="store_true",
        help=_("do not use file-system events, only rescans (network drives that send none)"),
    )
    group.add_argument(
        "--remove-deleted",
        action="store_true",
        help=_("when a source is deleted, delete the outputs made from it too"),
    )
    group.add_argument(
        "--existing",
        choices=("convert", "skip"),
        default="convert",
        help=_(
            "images already in the folders at the start: convert them too, or skip them"
            " and convert only what arrives or changes (%(default)s)"
        ),
    )
    parser.set_defaults(func=run)


def _retitle(parser: argparse.ArgumentParser, dest: str, **changes: str) -> None:
    """Reword one of ``convert``'s options for ``watch`` (same option, other meaning of words)."""
    for action in parser._actions:
        if action.dest == dest:
            for name, value in changes.items():
                setattr(action, name, value)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        msg = f"{text!r} is not a number of seconds"
        raise argparse.ArgumentTypeError(msg) from None
    if not 0 < value <= 86_400:
        msg = f"{text} is not between 0 and 86400 seconds"
        raise argparse.ArgumentTypeError(msg)
    return value


def check_folders(folders: list[Path], dest: Path) -> None:
    """Every FOLDER must be a folder, and not inside DEST (its files would be outputs)."""
    from ..core.discover import inside

    for folder in folders:
        if not folder.is_dir():
            msg = f"{folder} is not a folder (watch takes folders)"
            raise UsageError(msg)
        if inside(folder.absolute(), dest.absolute()) and folder.absolute() != dest.absolute():
            msg = f"the watched folder {folder} is inside the destination {dest}"
            raise UsageError(msg)


def run(args: argparse.Namespace) -> int:
    """The ``watch`` command; returns the exit code once the watch is stopped."""
    from ..sidecars import startup

    if args.quiet and args.verbose:
        msg = "--quiet and --verbose do not go together"
        raise UsageError(msg)
    convert._setup_logging(args)
    recipe = convert.recipe_from_args(args)
    startup.check_feature_flags(recipe.shared)
    check_folders(list(args.inputs), args.dest)
    if args.report is not None and str(args.report) != "-" and args.report.is_dir():
        msg = f"--report {args.report} is a folder; give a file name"
        raise UsageError(msg)
    options = WatchOptions(
        quiet_seconds=args.settle,
        rescan_seconds=args.rescan,
        use_events=not args.no_events,
        remove_outputs_of_deleted=args.remove_deleted,
    )
    printer = WatchPrinter(quiet=args.quiet, verbose=args.verbose, report=args.report)
    with (
        startup.batch_hooks(recipe.shared) as hooks,
        convert.open_session(recipe, hooks, args) as session,  # exit 2, or one warning
    ):
        watcher = session.watch(args.inputs, args.dest, printer.on_event, options)
        if args.existing == "skip":
            printer.left(len(watcher.leave_waiting()))
        with _signals_stop(watcher.stop):
            stopped = watcher.run()
    return EXIT_FAILED if stopped.failed else EXIT_OK


@contextlib.contextmanager
def _signals_stop(stop: Any) -> Iterator[None]:
    """First Ctrl-C (or SIGTERM, which start-up forwards to it) stops; a second one at once."""
    stopping = False

    def handler(signum: int, frame: object) -> None:
        nonlocal stopping
        if stopping:
            raise KeyboardInterrupt
        stopping = True
        stop()
        print(
            _("shh-converter: stopping the watch (Ctrl-C again to stop at once)"), file=sys.stderr
        )

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class WatchPrinter:
    """One line per file on the console, the JSON-lines report, the session summary."""

    def __init__(self, *, quiet: bool, verbose: bool, report: Path | None) -> None:
        for stream in (sys.stdout, sys.stderr):  # odd file names must never crash a print
            reconfigure = getattr(stream, "reconfigure", None)
            if reconfigure is not None:
                reconfigure(errors="backslashreplace")
        self.quiet, self.verbose, self.report = quiet, verbose, report
        self.up_to_date = 0

    def left(self, count: int) -> None:
        """Say how many images ``--existing skip`` leaves (they are never listed as skipped)."""
        text = ngettext(
            "shh-converter: leaving {count} image already in the folders (--existing skip)",
            "shh-converter: leaving {count} images already in the folders (--existing skip)",
            count,
        )
        self._err(text.format(count=count))

    def on_event(self, event: WatchEvent | Event) -> None:
        """The watcher's callback (runs on the watch loop's thread)."""
        if isinstance(event, FileFinished):
            self._file(event)
        elif isinstance(event, WatchStarted):
            mode = _("file-system events and rescans") if event.events else _("rescans only")
            folders = ", ".join(str(f) for f in event.folders)
            text = _("shh-converter: watching {folders} -> {dest} ({mode}; Ctrl-C stops)")
            self._err(text.format(folders=folders, dest=event.dest, mode=mode))
        elif isinstance(event, SourceDeleted):
            what = f"{len(event.removed)} output(s) removed" if event.removed else "outputs kept"
            self._out(f"deleted: {_one_line(event.source)} ({what})")
        elif isinstance(event, WatchProblem):
            self._problem(event)
        elif isinstance(event, WatchStopped):
            text = _(
                "shh-converter: watch stopped: {converted} converted, {skipped} skipped,"
                " {failed} failed in {seconds} s"
            )
            self._err(
                text.format(
                    converted=event.converted,
                    skipped=event.skipped,
                    failed=event.failed,
                    seconds=f"{event.elapsed:.0f}",
                )
            )

    def _file(self, event: FileFinished) -> None:
        r = event.result
        stamp = time.strftime("%H:%M:%S")
        if r.status == "failed":
            self._err(f"{stamp} failed: {_one_line(r.source)}: {_one_line(r.error)}")
        elif r.status == "converted":
            written = [o.output for o in r.outputs if o.status == "converted" and o.output]
            targets = ", ".join(_one_line(p) for p in written) or _one_line(r.output)
            done = f"{human_bytes(r.bytes_out)} in {r.seconds:.2f} s"
            self._out(f"{stamp} converted: {_one_line(r.source)} -> {targets} ({done})")
        elif self.verbose:
            self._out(f"{stamp} skipped: {_one_line(r.source)}: {_one_line(r.error)}")
        self._append_report(r)

    def _append_report(self, result: Any) -> None:
        if self.report is None:
            return
        entries = result.to_report()
        entries = [entries] if isinstance(entries, dict) else entries
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        lines = "".join(
            json.dumps({"time": stamp, **entry}, ensure_ascii=False) + "\n" for entry in entries
        )
        if str(self.report) == "-":
            sys.stdout.write(lines)
            sys.stdout.flush()
            return
        try:
            self.report.parent.mkdir(parents=True, exist_ok=True)
            with self.report.open("a", encoding="utf-8") as fh:
                fh.write(lines)
        except OSError as exc:
            text = _("shh-converter: cannot append to the report {path}: {error}")
            self._err(text.format(path=self.report, error=exc))

    def _problem(self, event: WatchProblem) -> None:
        text = _("shh-converter: watch: {message} (the watch goes on)")
        self._err(text.format(message=_one_line(event.message)))
        if event.error is not None:
            from ..sidecars import crash

            path = crash.write_report(event.error, {"where": "watch"})
            if path is not None:
                self._err(_("shh-converter: crash report written to {path}").format(path=path))

    def _out(self, line: str) -> None:
        if not self.quiet and str(self.report) != "-":  # stdout belongs to the report then
            print(line, flush=True)
        elif not self.quiet:
            print(line, file=sys.stderr, flush=True)

    def _err(self, line: str) -> None:
        print(line, file=sys.stderr, flush=True)
