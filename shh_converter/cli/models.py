"""``shh-converter models list|download NAME|verify [NAME]|delete NAME``.

Exit codes: 0 done, 1 a download or checksum failed (or nothing to delete), 2 an
unknown model or bad usage. A download resumes what an interrupted one left and
retries transient errors (``core.downloads``).
The download URL base can be overridden with ``--url`` or ``$SHH_CONVERTER_MODEL_URL``
(a mirror, or a local server in tests).
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any

from ..core.background import models
from ..core.errors import UsageError
from ..i18n import _
from .exitcodes import EXIT_FAILED, EXIT_OK

if TYPE_CHECKING:
    import argparse


def register(subparsers: Any) -> None:
    """Add the ``models`` sub-command."""
    parser = subparsers.add_parser(
        "models", help=_("list, download, verify or delete background-removal models")
    )
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    sub.add_parser("list", help=_("known models: size, installed, bundled")).set_defaults(
        func=run_list
    )
    down = sub.add_parser("download", help=_("download a model into the per-user models folder"))
    down.add_argument("name", metavar="NAME")
    down.add_argument("--url", help=_("download base URL (default: rembg's release files)"))
    down.add_argument(
        "--force", action="store_true", help=_("download even if a verified copy exists")
    )
    down.set_defaults(func=run_download)
    verify = sub.add_parser("verify", help=_("check the checksums of installed models"))
    verify.add_argument("name", nargs="?", metavar="NAME")
    verify.set_defaults(func=run_verify)
    delete = sub.add_parser(
        "delete", help=_("remove a downloaded model (and any unfinished download)")
    )
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(func=run_delete)


def _info(name: str) -> models.ModelInfo:
    try:
        return models.get_info(name)
    except models.ModelError as exc:
        raise UsageError(str(exc)) from None


def run_list(args: argparse.Namespace) -> int:
    """Print one line per known model."""
    # Column names and yes/no stay English: scripts parse this table.
    print(f"{'NAME':<24}{'SIZE':>9}  {'INSTALLED':<10}{'BUNDLED':<9}NOTE")
    for info in models.MODELS.values():
        installed = "yes" if models.installed_path(info.name) else "no"
        bundled = "yes" if models.bundled_path(info.name) else "no"
        size = f"{info.approx_mb:g} MB"
        print(f"{info.name:<24}{size:>9}  {installed:<10}{bundled:<9}{info.note}")
    return EXIT_OK


def run_download(args: argparse.Namespace) -> int:
    """Download one model with a progress line on stderr."""
    info = _info(args.name)
    existing = models.user_path(info.name)
    if not args.force and existing.is_file() and models.checksum_ok(existing, info.checksum):
        print(
            _("{name}: already installed, checksum ok -> {path}").format(
                name=info.name, path=existing
            )
        )
        return EXIT_OK
    started = time.monotonic()
    shown = [-1]

    def progress(done: int, total: int | None) -> None:
        percent = int(done * 100 / total) if total else -1
        if percent != shown[0]:
            shown[0] = percent
            text = f"{percent:3d}%" if total else _("{size} MB").format(size=f"{done / 1e6:.1f}")
            line = _("downloading {name}: {progress}").format(name=info.name, progress=text)
            print(f"\r{line}", end="", file=sys.stderr, flush=True)

    try:
        path = models.download(info, url_base=args.url, progress=progress, force=True)
    except models.ModelError as exc:
        _end_progress_line(shown[0])
        print(_("shh-converter: error: {reason}").format(reason=exc), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        _end_progress_line(shown[0])
        raise
    _end_progress_line(shown[0])
    seconds = f"{time.monotonic() - started:.1f}"
    print(
        _("{name}: downloaded and verified in {seconds} s -> {path}").format(
            name=info.name, seconds=seconds, path=path
        )
    )
    return EXIT_OK


def _end_progress_line(shown: int) -> None:
    if shown != -1:
        print(file=sys.stderr)


def run_verify(args: argparse.Namespace) -> int:
    """Re-hash installed models; exit 1 if any is damaged."""
    names = [_info(args.name).name] if args.name else list(models.MODELS)
    damaged = checked = 0
    for name in names:
        path = models.installed_path(name)
        if path is None:
            if args.name:
                print(_("{name}: not installed").format(name=name))
                return EXIT_FAILED
            continue
        checked += 1
        ok = models.checksum_ok(path, models.MODELS[name].checksum)
        damaged += not ok
        state = _("ok") if ok else _("DAMAGED (checksum mismatch)")
        print(f"{name}: {state}  {path}")
    print(_("{checked} checked, {damaged} damaged").format(checked=checked, damaged=damaged))
    return EXIT_FAILED if damaged else EXIT_OK


def run_delete(args: argparse.Namespace) -> int:
    """Remove the downloaded copy; the bundled one stays (it is part of the app)."""
    info = _info(args.name)
    if models.delete(info.name):
        print(_("{name}: deleted").format(name=info.name))
        return EXIT_OK
    if models.status(info.name) == models.BUNDLED:
        print(_("{name}: bundled with the app, nothing to delete").format(name=info.name))
    else:
        print(_("{name}: not installed").format(name=info.name))
    return EXIT_FAILED
