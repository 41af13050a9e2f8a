"""Watch folders: convert what lands in them, with the same planner and ledger as a batch.

:class:`Watcher` runs one loop (in the caller's thread: the CLI's main thread,
or a thread of the window) that

* takes file-system events from ``watchdog`` (a background thread of watchdog's
  only marks paths as *dirty*; the loop looks at them) and **rescans** every
  folder every :attr:`WatchOptions.rescan_seconds` as the fallback for network
  drives and missed events (and as the only source when events are off or
  cannot start);
* converts a file only once it is ready (:mod:`.watch_ready`: size and mtime
  stable for a quiet period, and it looks like a whole image);
* plans ready files with :func:`.plan.plan_batch` into the mirrored folder under
  the destination, where a batch of the watched folder would put them
  (:func:`.discover.folder_base`; so up-to-date outputs are skipped through the resume ledger,
  a changed source is redone in place, and a stopped-and-restarted watch redoes
  nothing) and runs them as one batch (``run_jobs``: a front end's comes from
  :meth:`.batch.Session.watch`, with its sidecars and warm workers; by default
  :func:`.runner.run_batch`, nothing around it);
* remembers each file's ``(size, mtime)`` after its result, so a file that fails
  is reported once and tried again only when it changes;
* reports a deleted source (:class:`SourceDeleted`); its outputs stay unless
  :attr:`WatchOptions.remove_outputs_of_deleted` is set;
* leaves alone the files it is told to leave (``leave``: the images that were
  already waiting when the user chose "only new arrivals", see :meth:`Watcher.waiting`),
  each as long as its size and modification time are those recorded. The record is
  of the files themselves, never a time: a file moved in later (which keeps its old
  mtime) is not in it and is converted; a recorded file that changes is converted too.

Events for the front end: the runner's own events per group of arrivals, plus
:class:`WatchStarted`, :class:`SourceDeleted`, :class:`WatchProblem` and, always
last (from ``finally``), :class:`WatchStopped`. :meth:`Watcher.stop` may be
called from any thread or a signal handler: the batch in flight is cancelled
(its files finish or are discarded whole) and the loop ends.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import stat
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .discover import (
    JUNK_NAMES,
    discover_within,
    folder_base,
    inside,
    key,
    not_an_image,
    our_outputs,
)
from .events import BatchFinished, CancelToken, Event, EventCallback, FileFinished
from .jobs import Job, JobResult
from .recipe import Recipe
from .settings import Settings
from .state import Ledger, LedgerBook
from .watch_ready import ArrivalTracker, Signature

log = logging.getLogger(__name__)

# Names that programs write first and rename when done (browsers, download tools, editors).
TEMP_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", "~")
IGNORED_EVENTS = {"opened", "closed_no_write"}  # reads (ours too) change nothing
FOLDER_EVENTS = {"created", "moved", "deleted"}  # a folder's contents came or went at once


@dataclass(frozen=True)
class WatchOptions:
    """How the watch behaves; the defaults suit a local disk."""

    quiet_seconds: float = 0.5  # size and mtime unchanged this long before converting
    rescan_seconds: float = 30.0  # full walk: missed events, network drives
    give_up_seconds: float = 30.0  # stable but incomplete this long: convert, report its error
    remove_outputs_of_deleted: bool = False
    use_events: bool = True  # False: rescans only
    max_group: int = 1000  # files per batch run


@dataclass(frozen=True)
class WatchStarted:
    folders: tuple[Path, ...]
    dest: Path
    events: bool  # False: file-system events are off or unavailable, rescans only


@dataclass(frozen=True)
class SourceDeleted:
    source: Path
    removed: tuple[Path, ...]  # outputs removed with it (only with the option)


@dataclass(frozen=True)
class WatchProblem:
    message: str  # one line for people; the log has the traceback
    error: BaseException | None = None  # for the front end's crash report


@dataclass(frozen=True)
class WatchStopped:
    converted: int
    skipped: int
    failed: int
    elapsed: float


WatchEvent = Event | WatchStarted | SourceDeleted | WatchProblem | WatchStopped
WatchCallback = Callable[[WatchEvent], None]
RunJobs = Callable[[list[Job], Settings, EventCallback, CancelToken], BatchFinished]


def default_run_jobs(
    jobs: list[Job], settings: Settings, on_event: EventCallback, cancel: CancelToken
) -> BatchFinished:
    """One batch of arrivals through the runner, nothing around it (tests, tools)."""
    from . import runner

    return runner.run_batch(jobs, settings, on_event, cancel)


class Watcher:
    """Watches ``folders`` (recursively) and converts what arrives into ``dest``.

    ``recipe``: the outputs made from each arrival (a plain Settings is one output).
    """

    def __init__(
        self,
        folders: Sequence[Path],
        dest: Path,
        recipe: Recipe | Settings,
        on_event: WatchCallback,
        options: WatchOptions | None = None,
        run_jobs: RunJobs | None = None,
        leave: Mapping[Path, Signature] | None = None,
    ) -> None:
        self.roots = tuple(Path(os.path.abspath(f)) for f in folders)
        self.dest = Path(os.path.abspath(dest))
        self.recipe = recipe if isinstance(recipe, Recipe) else Recipe.single(recipe)
        self.settings = self.recipe.shared  # what the runner and the workers are given
        self.emit = on_event
        self.options = options or WatchOptions()
        self.run_jobs = run_jobs or default_run_jobs
        self.totals: Counter[str] = Counter()
        self._tracker = ArrivalTracker(self.options.quiet_seconds, self.options.give_up_seconds)
        self._known: dict[str, tuple[Path, Signature]] = {}  # last state we have a result for
        # Files to leave while unchanged ("only new arrivals"); never reported as deleted.
        self._leave = {key(p): sig for p, sig in (leave or {}).items()}
        self._lock = threading.Lock()
        self._dirty_files: set[Path] = set()
        self._dirty_dirs: set[Path] = set()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._cancel: CancelToken | None = None
        self._next_rescan = 0.0  # time.monotonic() of the next full walk
        self.rescans = 0  # full walks of the folders done (each a step that rescanned)

    # -- control (any thread) ---------------------------------------------------------

    def stop(self) -> None:
        """End the watch: the batch in flight is cancelled, the loop returns."""
        self._stopping.set()
        cancel = self._cancel
        if cancel is not None:
            cancel.cancel()
        self._wake.set()

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def mark(self, paths: Iterable[str | bytes], is_directory: bool) -> None:
        """Note that ``paths`` may have changed (watchdog's thread calls this)."""
        with self._lock:
            target = self._dirty_dirs if is_directory else self._dirty_files
            target.update(Path(os.fsdecode(p)) for p in paths)
        self._wake.set()

    def waiting(self) -> dict[Path, Signature]:
        """The files already in the folders that starting now would convert, as they are now.

        What the first rescan would take and plan with work to do (not up to date
        in the ledger, not our outputs, not skipped non-images), less what
        ``leave`` leaves: the "N images are already in this folder" of the front
        ends, and the record to pass as ``leave`` when the answer is "only new arrivals".
        """
        files = [
            found.source
            for root in self.roots
            if root.is_dir()
            for found in discover_within(root, root, self.dest)
            if not (found.error or found.skip) and self._wanted(found.source, sniffed=True)
        ]
        now = {p: _signature(p) for p in files}
        todo = [p for p, sig in now.items() if sig is not None and not self._left(p, sig)]
        waiting: dict[Path, Signature] = {}
        for job in self._plan(todo):
            sig = now.get(job.source)
            if not job.skip_reason and sig is not None:
                waiting[job.source] = sig
        return waiting

    def leave_waiting(self) -> dict[Path, Signature]:
        """Leave what :meth:`waiting` finds now ("only new arrivals"); returns it."""
        waiting = self.waiting()
        self._leave.update({key(p): sig for p, sig in waiting.items()})
        return waiting

    def _left(self, path: Path, sig: Signature | None) -> bool:
        """True for a file to leave alone: recorded as waiting when asked, and unchanged."""
        return sig is not None and self._leave.get(key(path)) == sig

    # -- the loop ---------------------------------------------------------------------

    def run(self) -> WatchStopped:
        """Watch until :meth:`stop`; returns (and emits) the session's totals."""
        start = time.monotonic()
        observer = self._start_observer()
        try:
            self.emit(WatchStarted(self.roots, self.dest, observer is not None))
            self.step(rescan=True)
            while not self._stopping.is_set():
                self._sleep_until(self._next_rescan)
                self.step()
        finally:
            if observer is not None:
                observer.stop()
                observer.join(timeout=5)
            t = self.totals
            stopped = WatchStopped(
                t["converted"], t["skipped"], t["failed"], time.monotonic() - start
            )
            self.emit(stopped)
        return stopped

    def step(self, now: float | None = None, *, rescan: bool = False) -> None:
        """One pass of the loop: marked paths, a full rescan when due, then what is ready.

        :meth:`run` calls it at each wake-up. It is also the seam for running the
        loop by hand, one pass at a time, on the caller's thread (tests): ``now``
        (a ``time.monotonic()`` value, default the real one) decides which files
        have been quiet long enough; ``rescan`` walks the folders whether due or
        not. Files that are ready are converted before it returns.
        """
        now = time.monotonic() if now is None else now
        self._take_dirty(now)
        if rescan or now >= self._next_rescan:
            self._rescan(now)
            self._next_rescan = now + self.options.rescan_seconds
            self.rescans += 1
        ready, gone = self._tracker.ready(now)
        for path in gone:
            self._source_gone(path)
        if ready and not self._stopping.is_set():
            self._convert(ready)

    def _sleep_until(self, next_rescan: float) -> None:
        due = self._tracker.next_check()
        wake_at = next_rescan if due is None else min(due, next_rescan)
        timeout = wake_at - time.monotonic()
        if timeout > 0:
            self._wake.wait(timeout)
        self._wake.clear()  # before taking the dirty sets: a later mark wakes us again

    def _start_observer(self) -> Any:
        if not self.options.use_events:
            return None
        try:
            from watchdog.observers import Observer

            observer = Observer()
            handler = _handler(self)
            for root in self.roots:
                observer.schedule(handler, str(root), recursive=True)
            observer.start()
        except Exception as exc:  # out of inotify watches, a file system without events
            log.warning(
                "watch: file-system events unavailable (%s); rescanning every %g s",
                exc,
                self.options.rescan_seconds,
            )
            return None
        return observer

    # -- what changed -------------------------------------------------------------------

    def _take_dirty(self, now: float) -> None:
        with self._lock:
            files, dirs = self._dirty_files, self._dirty_dirs
            self._dirty_files, self._dirty_dirs = set(), set()
        for folder in dirs:
            if folder.is_dir():
                if self._wanted(folder, is_dir=True):
                    self._scan(folder, now)  # a folder moved in, or created with files in it
            else:
                self._forget_under(folder)
        for path in files:
            if not self._wanted(path):
                continue
            if os.path.lexists(path):
                self._tracker.touch(key(path), path, now)
            else:
                self._source_gone(path)

    def _rescan(self, now: float) -> None:
        seen: set[str] = set()
        for root in self.roots:
            if root.is_dir():
                seen.update(self._scan(root, now))
        for k, (path, _sig) in list(self._known.items()):
            if k not in seen and not os.path.lexists(path):
                self._source_gone(path)  # a deletion whose event was missed

    def _scan(self, folder: Path, now: float) -> set[str]:
        """Touch every file under ``folder`` that is new or changed; returns their keys."""
        seen: set[str] = set()
        root = self._root_of(folder) or folder
        for found in discover_within(folder, root, self.dest):
            if found.error or found.skip or not self._wanted(found.source, sniffed=True):
                continue  # e.g. "photo.jpg.part", still being downloaded; a sidecar
            k = key(found.source)
            seen.add(k)
            known = self._known.get(k)
            sig = _signature(found.source)
            if k in self._tracker or (known and known[1] == sig) or self._left(found.source, sig):
                continue
            self._tracker.touch(k, found.source, now)
        return seen

    def _wanted(self, path: Path, *, is_dir: bool = False, sniffed: bool = False) -> bool:
        """True for a path inside a watched folder that a batch of that folder would take.

        As in a batch, a file that is not an image by name or content (a sidecar, a
        note) is left out, not failed (``sniffed``: the walk looked already). A file
        still empty looks like none: its next change is looked at again.
        """
        if inside(path, self.dest) and self.dest not in self.roots:
            return False  # our outputs (beside the sources, the ledger tells them apart)
        root = self._root_of(path)
        if root is None:
            return False
        if path == root:
            return is_dir
        parts = path.relative_to(root).parts
        if any(p.startswith(".") for p in parts):
            return False  # hidden files and folders, our own temps and ledgers
        name = path.name.casefold()
        if not is_dir and (name in JUNK_NAMES or name.endswith(TEMP_SUFFIXES)):
            return False
        if _hidden_attribute(path):
            return False
        return is_dir or sniffed or not not_an_image(path)

    def _root_of(self, path: Path) -> Path | None:
        roots = [r for r in self.roots if inside(path, r)]
        return max(roots, key=lambda r: len(r.parts)) if roots else None

    def _forget_under(self, folder: Path) -> None:
        # Pending files under it are dropped when next looked at (they are gone).
        for _k, (path, _sig) in list(self._known.items()):
            if inside(path, folder) and not os.path.lexists(path):
                self._source_gone(path)

    def _source_gone(self, path: Path) -> None:
        k = key(path)
        self._tracker.forget(k)
        if self._known.pop(k, None) is None:
            return  # never converted in this session: nothing to say
        removed: tuple[Path, ...] = ()
        if self.options.remove_outputs_of_deleted:
            removed = self._remove_outputs(path)
        log.info("watch: %s deleted; %d output(s) removed", path, len(removed))
        self.emit(SourceDeleted(path, removed))

    def _remove_outputs(self, source: Path) -> tuple[Path, ...]:
        """Delete the outputs the ledger of the mirrored folder says were made from ``source``."""
        folder = self._out_folder(source)
        ledger = Ledger.load(folder)
        removed: list[Path] = []
        for name in sorted(ledger.outputs()):
            output = folder / name
            if ledger.made_from(output, source):
                try:
                    output.unlink()
                except OSError as exc:
                    log.warning("watch: could not remove %s: %s", output, exc)
                    continue
                removed.append(output)
        return tuple(removed)

    # -- converting -----------------------------------------------------------------------

    def _convert(self, ready: list[tuple[Path, Signature]]) -> None:
        todo = [
            (p, sig)
            for p, sig in ready
            if self._known.get(key(p), (p, None))[1] != sig and not self._left(p, sig)
        ]
        size = max(1, self.options.max_group)
        if self.settings.limits.max_batch:
            size = min(size, self.settings.limits.max_batch)
        for start in range(0, len(todo), size):
            if self._stopping.is_set():
                return
            self._run_group(todo[start : start + size])

    def _run_group(self, group: list[tuple[Path, Signature]]) -> None:
        signatures = {key(p): (p, sig) for p, sig in group}
        try:
            jobs = self._plan([p for p, _sig in group])
        except Exception as exc:
            self._problem(f"could not plan {len(group)} file(s): {exc}", exc)
            self._known.update(signatures)
            return
        planned = {key(j.source) for j in jobs}
        for k, value in signatures.items():
            if k not in planned:
                self._known[k] = value  # e.g. our own output beside its source
        if not jobs:
            return
        cancel = self._cancel = CancelToken()
        if self._stopping.is_set():
            cancel.cancel()
        try:
            finished = self.run_jobs(jobs, self.settings, self._relay, cancel)
        except Exception as exc:  # a bug: reported once, those files are not retried in a loop
            self._problem(f"the batch of {len(jobs)} file(s) failed: {exc}", exc)
            self._known.update({k: signatures[k] for k in planned})
            return
        finally:
            self._cancel = None
        for result in finished.results:
            k = key(result.source)
            if k in signatures and not _stopped_early(result, cancel):
                self._known[k] = signatures[k]
                self.totals[result.status] += 1

    def _plan(self, files: list[Path]) -> list[Job]:
        """Plan ``files`` folder by folder into their mirrored folders; one index sequence."""
        from .plan import plan_batch

        by_folder: dict[Path, list[Path]] = {}
        for path in files:
            by_folder.setdefault(self._out_folder(path), []).append(path)
        jobs: list[Job] = []
        book = LedgerBook()
        ours: dict[Path, set[str]] = {}  # source folder -> our outputs in it (looked at once)
        for out_folder, paths in by_folder.items():
            paths = [p for p in paths if p.name not in self._ours(p.parent, book, ours)]
            if paths:
                jobs.extend(plan_batch(paths, out_folder, self.recipe).jobs)
        return [dataclasses.replace(job, index=i) for i, job in enumerate(jobs)]

    def _ours(self, folder: Path, book: LedgerBook, seen: dict[Path, set[str]]) -> set[str]:
        """Our outputs in ``folder``: what a batch of the watched folder would leave out."""
        if folder not in seen:
            root = self._root_of(folder) or folder
            try:
                names = set(os.listdir(folder))
            except OSError:
                names = set()
            seen[folder] = our_outputs(folder, names, root, self.dest, book)
        return seen[folder]

    def _relay(self, event: Event) -> None:
        """Runner events to the front end, except files a stop cut short (redone next time)."""
        if isinstance(event, FileFinished) and _stopped_early(event.result, self._cancel):
            log.info("watch: %s stopped before it finished (next start)", event.result.source)
            return
        self.emit(event)

    def _out_folder(self, source: Path) -> Path:
        """The destination folder mirroring ``source``'s folder, as a batch would name it."""
        from .naming import sanitise_part

        root = self._root_of(source) or source.parent
        parts = (*folder_base(root, self.dest), *source.parent.relative_to(root).parts)
        return self.dest.joinpath(*(sanitise_part(p) for p in parts))

    def _problem(self, message: str, exc: BaseException) -> None:
        """A bug while planning or running a group: logged, told, and the watch goes on."""
        log.error("watch: %s", message, exc_info=exc)
        self.emit(WatchProblem(message, exc))


def _handler(watcher: Watcher) -> Any:
    """watchdog's callback: marks paths dirty, nothing else (it runs on watchdog's thread)."""
    from watchdog.events import FileSystemEvent, FileSystemEventHandler

    class Handler(FileSystemEventHandler):
        def dispatch(self, event: FileSystemEvent) -> None:
            if event.event_type in IGNORED_EVENTS:
                return
            if event.is_directory and event.event_type not in FOLDER_EVENTS:
                return  # "modified" comes with every file added: the file's own event says it
            paths = [event.src_path]
            if event.event_type == "moved":
                paths.append(event.dest_path)
            watcher.mark(paths, bool(event.is_directory))

    return Handler()


def _stopped_early(result: JobResult, cancel: CancelToken | None) -> bool:
    """A file the watch's stop cancelled in flight: neither a failure nor done."""
    cancelled = cancel is not None and cancel.cancelled
    return cancelled and result.status == "failed" and (result.error or "").startswith("cancelled")


def _signature(path: Path) -> Signature | None:
    from .watch_ready import signature

    return signature(path)


def _hidden_attribute(path: Path) -> bool:
    """Windows' hidden and system attributes (always False elsewhere)."""
    try:
        attrs = getattr(os.stat(path), "st_file_attributes", 0)
    except OSError:
        return False
    hidden = getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 2) | getattr(stat, "FILE_ATTRIBUTE_SYSTEM", 4)
    return bool(attrs & hidden)
