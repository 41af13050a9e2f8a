"""Resume ledger: what this program already made, from what, with which settings.

Each destination folder holds a hidden JSON file, :data:`STATE_NAME`, mapping an
output file name to the facts it was made from::

    {"version": 1, "outputs": {"a.webp": {"source": "/abs/a.jpg", "source_size": 1234,
      "source_mtime_ns": 1700000000000000000, "fingerprint": "1f2e...", "output_size": 567}}}

On a re-run the planner asks :meth:`Ledger.is_up_to_date`: the same source (path,
size and modification time unchanged), the same settings fingerprint, the output
still there with the recorded size and not older than the source -> nothing to do.
The ledger is only a cache: a missing or corrupt file means "redo", never a failure.

Each finished output is also appended at once, as one JSON line, to a journal
beside it (:data:`JOURNAL_NAME`), so a run killed outright (power button, ``kill
-9``) still remembers every file it finished -- otherwise the re-run would see
those outputs as someone else's files and make ``a (2).webp`` copies. Appending
is cheap (no rewrite of the whole ledger per file); a torn last line is ignored.
At the end of a batch :meth:`Ledger.save` folds the journal into the JSON file
(written with :func:`~shh_converter.core.atomic.atomic_write`) and removes it.

Both files stay in the destination folder (they travel with the outputs: a copied,
renamed or shared folder still resumes; a per-user folder would not) and are hidden:
by their leading dot on macOS and Linux, by the "hidden" attribute on Windows
(:func:`~shh_converter.core.atomic.mark_hidden`). See docs/reliability.md.

Only the runner's main process writes ledgers (workers just convert), so a batch
never races with itself. Saving re-reads the file and merges, so two batches into
the same folder at once lose at most each other's newest entries, never the file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from .atomic import atomic_write, mark_hidden

if TYPE_CHECKING:
    from pathlib import Path

log = logging.getLogger(__name__)

STATE_NAME = ".shh-converter-state.json"
JOURNAL_NAME = ".shh-converter-state.journal"
STATE_VERSION = 1


@dataclass(frozen=True)
class Entry:
    """How one output was made."""

    source: str
    source_size: int
    source_mtime_ns: int
    fingerprint: str
    output_size: int


def _source_key(path: Path) -> str:
    """Comparable absolute path (case-folded where the file system ignores case)."""
    return os.path.normcase(str(path.absolute()))


class Ledger:
    """The ledger of one destination folder."""

    def __init__(self, folder: Path, entries: dict[str, Entry] | None = None) -> None:
        self.folder = folder
        self.entries: dict[str, Entry] = entries or {}
        self._changed: dict[str, Entry] = {}
        self._journal_hidden = False

    @property
    def path(self) -> Path:
        return self.folder / STATE_NAME

    @classmethod
    def load(cls, folder: Path) -> Ledger:
        """Read ``folder``'s ledger; missing -> empty, corrupt -> empty with a warning."""
        return cls(folder, _read_all(folder))

    def entry_for(self, output: Path) -> Entry | None:
        return self.entries.get(output.name)

    def made_from(self, output: Path, source: Path) -> bool:
        """True when ``output`` is recorded as made by us from ``source``."""
        entry = self.entry_for(output)
        return entry is not None and entry.source == _source_key(source)

    def is_up_to_date(self, output: Path, source: Path, fingerprint: str) -> bool:
        """True when ``output`` was made from ``source`` as it is now, with these settings."""
        entry = self.entry_for(output)
        if entry is None or entry.source != _source_key(source) or entry.fingerprint != fingerprint:
            return False
        try:
            src, out = source.stat(), output.stat()
        except OSError:
            return False
        return (
            src.st_size == entry.source_size
            and src.st_mtime_ns == entry.source_mtime_ns
            and out.st_size == entry.output_size
            and out.st_mtime_ns >= src.st_mtime_ns
        )

    def outputs(self) -> set[str]:
        """Names of the files in this folder that we made (so they are never re-read as inputs)."""
        return set(self.entries)

    def record(self, source: Path, output: Path, fingerprint: str) -> None:
        """Remember that ``output`` was just made from ``source`` (both must exist)."""
        try:
            src, out = source.stat(), output.stat()
        except OSError as exc:
            log.debug("not recording %s: %s", output.name, exc)
            return
        self._put(
            output.name,
            Entry(_source_key(source), src.st_size, src.st_mtime_ns, fingerprint, out.st_size),
        )

    def claim(self, source: Path, output: Path, fingerprint: str) -> None:
        """Note that ``output`` is about to be made from ``source``, before a worker starts.

        A run killed after the output was written but before :meth:`record` leaves
        this claim behind, so the re-run redoes that output in place instead of
        taking it for someone else's file. A claim is never "up to date".
        """
        try:
            src = source.stat()
        except OSError:
            return
        self._put(
            output.name, Entry(_source_key(source), src.st_size, src.st_mtime_ns, fingerprint, -1)
        )

    def _put(self, name: str, entry: Entry) -> None:
        self.entries[name] = entry
        self._changed[name] = entry
        line = json.dumps({"output": name, **asdict(entry)}) + "\n"
        try:
            self.folder.mkdir(parents=True, exist_ok=True)  # a claim comes before the output
            with (self.folder / JOURNAL_NAME).open("a", encoding="utf-8") as fh:
                fh.write(line)
            if not self._journal_hidden:
                mark_hidden(self.folder / JOURNAL_NAME)
                self._journal_hidden = True
        except OSError as exc:  # the final save() still has it
            log.debug("cannot append to the resume journal in %s: %s", self.folder, exc)

    def save(self) -> None:
        """Merge this batch's changes into the file on disk and write it atomically."""
        if not self._changed and not (self.folder / JOURNAL_NAME).exists():
            return
        merged = _read_all(self.folder, quiet=True)
        merged.update(self._changed)
        # Outputs deleted by the user need not be remembered: keeps the file small.
        merged = {n: e for n, e in merged.items() if (self.folder / n).is_file()}
        data = {"version": STATE_VERSION, "outputs": {n: asdict(e) for n, e in merged.items()}}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with atomic_write(self.path) as fh:
                fh.write(json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))
        except OSError as exc:  # read-only folder, disk full: resume is a nicety
            # The reason alone: the folder is named already.
            why = exc.strerror or type(exc).__name__
            log.warning("could not save the resume state in %s: %s", self.folder, why)
            return
        mark_hidden(self.path)
        self.entries = merged
        self._changed.clear()
        with contextlib.suppress(OSError):  # folded into the JSON file now
            (self.folder / JOURNAL_NAME).unlink()


def _read_all(folder: Path, *, quiet: bool = False) -> dict[str, Entry]:
    """The JSON ledger with the journal of an unfinished (or killed) run replayed on top."""
    entries = _read_entries(folder / STATE_NAME, quiet=quiet)
    try:
        lines = (folder / JOURNAL_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return entries
    for line in lines.splitlines():
        try:
            data = json.loads(line)
            entries[str(data.pop("output"))] = _entry(data)
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # a line torn by a kill
    return entries


def _read_entries(path: Path, *, quiet: bool = False) -> dict[str, Entry]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        log.warning("cannot read the resume state %s: %s", path, exc)
        return {}
    try:
        data = json.loads(raw.decode("utf-8"))
        return {str(name): _entry(value) for name, value in data["outputs"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        if not quiet:
            log.warning(
                "ignoring a damaged resume state file %s (%s): files will be redone", path, exc
            )
        return {}


def _entry(value: dict[str, Any]) -> Entry:
    return Entry(
        source=str(value["source"]),
        source_size=int(value["source_size"]),
        source_mtime_ns=int(value["source_mtime_ns"]),
        fingerprint=str(value["fingerprint"]),
        output_size=int(value["output_size"]),
    )


class LedgerBook:
    """Ledgers of all destination folders of one batch, loaded on first use."""

    def __init__(self) -> None:
        self._ledgers: dict[Path, Ledger] = {}

    def for_folder(self, folder: Path) -> Ledger:
        if folder not in self._ledgers:
            self._ledgers[folder] = Ledger.load(folder)
        return self._ledgers[folder]

    def record(self, source: Path, output: Path, fingerprint: str) -> None:
        self.for_folder(output.parent).record(source, output, fingerprint)

    def claim(self, source: Path, output: Path, fingerprint: str) -> None:
        self.for_folder(output.parent).claim(source, output, fingerprint)

    def save_all(self) -> None:
        for ledger in self._ledgers.values():
            ledger.save()
