"""Inputs -> a list of :class:`~shh_converter.core.jobs.Job`: output names, conflicts.

Rules (the tests hold us to them):

* **Discovery** is :mod:`.discover` (the one walk of both front ends).
* **Names** are :mod:`.naming`'s (the name templates): ``/`` in a template makes
  subfolders, every part is legal on Windows and none leaves the destination.
* **Real sizes in names.** ``{width}`` and ``{height}`` are the output's real size,
  from the source's header and the output's resize (a smaller source is never
  enlarged unless asked, so its outputs are named by what they really are). Two
  outputs of one input that come out with the same name that way (a 640 px photo's
  960 and 1600 px widths) would be the same file: the later one is skipped and says
  so. (With "crop to subject" the size is known only after the cut-out: the name has
  the size before cropping.)
* **Conflicts.** Two inputs never share an output (the later one, in input order,
  becomes ``a (2).webp``, with a note saying why on that output: the report and
  the window's row show it); a source is never an output target, whatever the policy;
  an output we made earlier from the same source is skipped when up to date and
  redone in place otherwise; any other existing file follows ``settings.on_conflict``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from .atomic import clean_stale_temps
from .discover import Found, discover, key
from .errors import UsageError
from .imageio import upright_size
from .jobs import Job, Target
from .naming import (
    output_name,
    rendered_path,
    sanitise_part,
    template_fields,
    validate_template,
)
from .recipe import Recipe
from .resize import plan_geometry
from .settings import ConflictPolicy, Settings
from .state import LedgerBook

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Sequence

log = logging.getLogger(__name__)


class BatchTooLargeError(UsageError):
    """More files than ``Limits.max_batch`` allows."""


@dataclass
class Plan:
    """What a batch will do: one job per input file found, in a stable order."""

    jobs: list[Job]
    dest: Path
    removed_temps: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def to_convert(self) -> list[Job]:
        return [j for j in self.jobs if not j.skip_reason and not j.error]


def plan_batch(
    inputs: Sequence[Path],
    dest: Path,
    recipe: Recipe | Settings,
    *,
    recursive: bool = False,
    only: Collection[Path] | None = None,
    clean: bool = True,
) -> Plan:
    """Turn files and folders into jobs writing into ``dest`` (see module docstring).

    ``recipe``: the outputs of each input (a plain Settings is a one-output recipe).
    ``only``: keep just these sources (the window's list after the user removed rows).
    ``clean``: remove the temp files a killed run left in the output folders (a dry
    run passes False: it changes nothing on disk).
    Two outputs of one input that would get the same name are a :class:`UsageError`,
    raised before anything is written.
    """
    recipe = recipe if isinstance(recipe, Recipe) else Recipe.single(recipe)
    recipe.check()
    for out in recipe.outputs:
        validate_template(out.name_template)
    if recipe.manifest:
        validate_template(recipe.manifest)
    dest = Path(os.path.abspath(dest))
    book = LedgerBook()
    found = discover([Path(p) for p in inputs], dest, recursive, book)
    if only is not None:
        keep = {key(Path(os.path.abspath(p))) for p in only}
        found = [f for f in found if key(f.source) in keep]
    limit = recipe.shared.limits.max_batch
    if limit is not None and len(found) > limit:
        msg = f"{len(found)} files is more than the limit of {limit} per batch"
        raise BatchTooLargeError(msg)
    namer = _Namer(dest, recipe, book, {key(f.source) for f in found})
    jobs = [namer.job(i, f) for i, f in enumerate(found)]
    folders = {t.path.parent for j in jobs for t in j.targets} if clean else set()
    removed = sum(clean_stale_temps(folder) for folder in folders)
    return Plan(jobs=jobs, dest=dest, removed_temps=removed)


# -- naming and conflicts ---------------------------------------------------------------


class _Namer:
    """Picks each job's outputs, remembering what this batch has already claimed."""

    def __init__(self, dest: Path, recipe: Recipe, book: LedgerBook, sources: set[str]) -> None:
        self.dest = dest
        self.recipe = recipe
        self.book = book
        self.sources = sources
        self.taken: dict[str, Path] = {}  # collision key of an output -> its source
        # Each output's settings, ledger fingerprint and kind (the same for every job).
        self.kinds: list[tuple[Settings, str, Literal["image", "manifest"]]] = [
            (out, out.fingerprint(), "image") for out in recipe.outputs
        ]
        if recipe.manifest:
            self.kinds.append((recipe.shared, recipe.fingerprint(), "manifest"))
        self.policy = recipe.shared.on_conflict
        # Whether any name holds the output's size: then each source's header is read.
        self.sized = any(
            {"width", "height"} & template_fields(out.name_template) for out in recipe.outputs
        )
        self.folders: dict[tuple[str, ...], Path] = {}
        # What each output folder holds, listed once (one scandir per folder instead of a
        # stat per output): collision key -> (name on disk, is a folder).
        self.listed: dict[str, dict[str, tuple[str, bool]]] = {}

    def job(self, index: int, found: Found) -> Job:
        folder = self._folder(found.subdir)
        names = [output_name(out, found.source, index) for out in self.recipe.outputs]
        if self.recipe.manifest:
            manifest = rendered_path(self.recipe.manifest, found.source, index, self.recipe.shared)
            names.append(manifest or "site.webmanifest")
        if len(names) > 1:
            _check_distinct(names)  # the recipe's own names: a mistake in it is an error
        if self.sized and not found.error:
            names = self._real_names(names, found.source, index)
        pairs = list(zip(names, self.kinds, strict=True))
        if found.error or found.skip:  # no output will be made: no name is claimed
            targets = tuple(Target(folder / n, s, found.skip, k, fp) for n, (s, fp, k) in pairs)
            return Job(index=index, source=found.source, targets=targets, error=found.error)
        made = []
        first_of: dict[str, str] = {}  # name -> the output that claimed it first
        for name, (settings, fp, kind) in pairs:
            if key(name) in first_of:  # the same size as an earlier output: the same file
                why = f"same file as {first_of[key(name)]}: {self._too_small(found.source)}"
                made.append(Target(folder / name, settings, why, kind, fp, duplicate=True))
                continue
            output, skip, note = self._resolve(folder, name, found.source, fp)
            first_of[key(name)] = output.name
            made.append(Target(output, settings, skip, kind, fp, note))
        return Job(index=index, source=found.source, targets=tuple(made))

    def _real_names(self, names: list[str], source: Path, index: int) -> list[str]:
        """The names with ``{width}``/``{height}`` of each output's real size."""
        full = upright_size(source)
        if full is None:  # unreadable: converting it will say why
            return names
        real = [
            output_name(out, source, index, plan_geometry(full, out.resize).final)
            for out in self.recipe.outputs
        ]
        return real + names[len(real) :]  # the manifest's name stays

    @staticmethod
    def _too_small(source: Path) -> str:
        size = upright_size(source)
        return f"the source is only {size[0]}x{size[1]}" if size else "the source is smaller"

    def _folder(self, subdir: tuple[str, ...]) -> Path:
        if subdir not in self.folders:
            self.folders[subdir] = self.dest.joinpath(*(sanitise_part(p) for p in subdir))
        return self.folders[subdir]

    def _on_disk(self, folder: Path, name: str) -> tuple[str, bool] | None:
        """(name, is a folder) of what already holds ``name`` in ``folder``, or None."""
        place = str(folder)
        if place not in self.listed:
            entries: dict[str, tuple[str, bool]] = {}
            try:
                with os.scandir(folder) as it:
                    for entry in it:
                        try:
                            is_dir = entry.is_dir()
                        except OSError:
                            is_dir = False
                        entries[key(entry.name)] = (entry.name, is_dir)
            except OSError:  # not there yet (or unreadable: writing will say why)
                pass
            self.listed[place] = entries
        return self.listed[place].get(key(name))

    def _resolve(
        self, folder: Path, wanted: str, source: Path, fingerprint: str
    ) -> tuple[Path, str | None, str | None]:
        """Where this output goes, whether it needs no work, and why it was renamed.

        See the module docstring; a name taken by another input of this batch or by
        someone else's file gives the next free ``a (2).webp`` and says so (the note).
        """
        policy = self.policy
        why: str | None = None
        for n, name in enumerate(_numbered(wanted)):
            claim = key(os.path.join(folder, name))
            if claim in self.sources:
                continue  # a source: never a target
            if claim in self.taken:
                why = why or f"{name} is the output of {self.taken[claim]}"
                continue
            note = f"named {Path(name).name}: {why}" if n and why else None
            there = self._on_disk(folder, name)
            if there is None:
                self.taken[claim] = source
                return folder / name, None, note
            if there[1]:
                continue  # a folder of that name
            candidate = folder / there[0]  # the spelling on disk (case, NFC/NFD)
            self.taken[claim] = source
            ledger = self.book.for_folder(folder)
            if ledger.made_from(candidate, source):
                fresh = ledger.is_up_to_date(candidate, source, fingerprint)
                return candidate, ("up to date" if fresh else None), note
            if policy == ConflictPolicy.OVERWRITE:
                return candidate, None, note
            if policy == ConflictPolicy.SKIP and n == 0:
                return candidate, "already exists", None
            del self.taken[claim]
            why = why or f"{there[0]} already exists (not made from this source)"
        msg = "unreachable: _numbered is endless"
        raise AssertionError(msg)


def _check_distinct(names: Sequence[str]) -> None:
    """Two outputs of one input may not share a name (a recipe mistake, not a conflict)."""
    seen: dict[str, int] = {}
    for n, name in enumerate(names, start=1):
        if key(name) in seen:
            msg = (
                f"outputs {seen[key(name)]} and {n} of the recipe would both be named "
                f"{Path(name).name}: give them a suffix or a name template"
            )
            raise UsageError(msg)
        seen[key(name)] = n


def _numbered(name: str) -> Iterator[str]:
    """``a.webp``, ``a (2).webp``, ``a (3).webp``, ... (a template's folders kept)."""
    yield name
    head, _sep, last = name.rpartition("/")
    stem, dot, ext = last.rpartition(".")
    if not dot:
        stem, ext = last, ""
    prefix = f"{head}/" if head else ""
    n = 2
    while True:
        yield f"{prefix}{stem} ({n}){dot}{ext}"
        n += 1
