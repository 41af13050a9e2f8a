"""Commands ``check-update`` and ``self-test``.

Both print one JSON document on stdout (scripts and the packaging tests read it).
``check-update`` exits 0 even when the check failed (the reason is in ``"error"``);
``self-test`` exits 0 only when no check failed (skipped checks count as passed).
"""

from __future__ import annotations

import argparse
import json
import logging
from typing import Any

from .. import __version__

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add ``check-update`` and ``self-test`` to the CLI."""
    update = subparsers.add_parser(
        "check-update",
        help="ask whether a newer version is out (JSON on stdout)",
        description="Ask the release server whether a newer version is out. Prints JSON; "
        "the answer is cached for a day unless --force.",
    )
    update.add_argument("--force", action="store_true", help="ask now, ignoring the cache")
    update.set_defaults(func=check_update)

    selftest = subparsers.add_parser(
        "self-test",
        help="check this installation works (JSON on stdout)",
        description="Check folders, image codecs, onnxruntime, the bundled model and Tk. "
        "Exit code 0 only when every check passes.",
    )
    selftest.add_argument(
        "--only", action="append", metavar="CHECK", help="run only this check (repeatable)"
    )
    selftest.set_defaults(func=self_test)


def check_update(args: argparse.Namespace) -> int:
    """Print the update check's JSON; always exit 0."""
    try:
        from ..sidecars import config, updates

        result = updates.check(config.load(), force=args.force).to_dict()
    except Exception as exc:  # the contract: JSON and exit 0, whatever happened
        log.exception("update check crashed")
        result = {
            "update_available": False,
            "current_version": __version__,
            "latest_version": None,
            "url": None,
            "notes": None,
            "error": f"internal error: {type(exc).__name__}: {exc}",
        }
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def self_test(args: argparse.Namespace) -> int:
    """Print the self-test report; exit 0 only when no check failed."""
    from ..sidecars import selftest

    only = args.only or None
    unknown = sorted(set(only or ()) - set(selftest.CHECKS))
    if unknown:
        from ..core.errors import UsageError

        raise UsageError(f"unknown check {unknown[0]!r}: choose from {', '.join(selftest.CHECKS)}")
    report = selftest.run(only)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if report["ok"] else 1
