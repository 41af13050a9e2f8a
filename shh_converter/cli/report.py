"""The ``--report FILE.json`` document of a batch (``-`` writes it to stdout).

With ``--dry-run`` the same shape says what would happen (:func:`dry_run_data`).

One entry per output under ``files`` (source, output, status, error, note,
bytes_in, bytes_out, width, height, encodes, seconds), one per input under
``inputs`` (its status summed over its outputs, and ``html``: the ``<picture>``
snippet of a responsive set, else null), and the batch's ``totals``.
Inputs the batch never reached (cancelled) are listed as failed with the reason.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..core import srcset
from ..core.atomic import atomic_write
from ..core.jobs import NOT_AN_IMAGE, Job, JobResult, failed_result
from ..i18n import _

if TYPE_CHECKING:
    from pathlib import Path

    from ..core.events import BatchFinished
    from ..core.recipe import Recipe


def report_data(
    jobs: list[Job], finished: BatchFinished, recipe: Recipe, root: Path | None = None
) -> dict[str, Any]:
    """The report as plain data, inputs in batch order.

    ``root``: the destination; an input whose outputs have several widths (a
    responsive set) gets the ``<picture>`` that uses them, paths relative to it.
    """
    by_index = {r.index: r for r in finished.results}
    results: list[JobResult] = []
    for job in jobs:
        result = by_index.get(job.index)
        if result is None:  # never started: the batch was cancelled or the runner failed
            reason = "cancelled" if finished.cancelled else (finished.error or "not processed")
            result = failed_result(job, reason).replace(bytes_in=0)
        results.append(result)
    files = [entry for r in results for entry in r.to_report()]
    inputs = [
        {
            "source": str(r.source),
            "status": r.status,
            "error": r.error,
            "outputs": len(r.outputs),
            "bytes_in": r.bytes_in,
            "bytes_out": r.bytes_out,
            "seconds": round(r.seconds, 4),
            "html": srcset.for_result(r, root) if root is not None else None,
        }
        for r in results
    ]
    totals: dict[str, Any] = {"files": len(inputs), "outputs": len(files)}
    for status in ("converted", "skipped", "failed"):
        totals[status] = sum(i["status"] == status for i in inputs)
    totals.update(
        bytes_in=finished.bytes_in,
        bytes_out=finished.bytes_out,
        seconds=round(finished.elapsed, 3),
        cancelled=finished.cancelled,
        error=finished.error,
        peak_rss_mb=finished.peak_rss_mb,
    )
    return {
        "version": __version__,
        "settings": recipe.shared.to_dict(),
        "recipe": recipe.to_dict(),
        "files": files,
        "inputs": inputs,
        "totals": totals,
    }


def dry_run_data(jobs: list[Job], recipe: Recipe) -> dict[str, Any]:
    """What a batch would do (``--dry-run``): per output ``would convert``, skipped or failed."""
    files = []
    for job in jobs:
        for target in job.targets:
            status = "failed" if job.error else "skipped" if target.skip_reason else "would convert"
            files.append(
                {
                    "source": str(job.source),
                    # A non-image found in a folder has no output, not even a planned one.
                    "output": None if target.skip_reason == NOT_AN_IMAGE else str(target.path),
                    "status": status,
                    "error": job.error or target.skip_reason,
                }
            )
    totals = {"files": len(jobs), "outputs": len(files)}
    for status in ("would convert", "skipped", "failed"):
        totals[status] = sum(f["status"] == status for f in files)
    return {
        "version": __version__,
        "dry_run": True,
        "recipe": recipe.to_dict(),
        "files": files,
        "totals": totals,
    }


def write_report(
    path: Path, jobs: list[Job], finished: BatchFinished, recipe: Recipe, root: Path
) -> None:
    """Write the report of a batch that ran into ``root`` (see :func:`save`)."""
    save(path, report_data(jobs, finished, recipe, root))


def save(path: Path, data: dict[str, Any]) -> None:
    """Write a report atomically (``-``: to stdout); a failure is one line on stderr."""
    # backslashreplace: a non-UTF-8 POSIX file name is written as a JSON \udcXX escape
    blob = json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8", "backslashreplace")
    if str(path) == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(blob + b"\n")
        sys.stdout.flush()
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as fh:
            fh.write(blob)
    except OSError as exc:
        text = _("shh-converter: cannot write the report {path}: {error}")
        print(text.format(path=path, error=exc), file=sys.stderr)
