"""Commands ``check-update`` and ``self-test``.

Both print one JSON document on stdout (scripts and the packaging tests read it).
``check-update`` exits 0 when it got an answer (a newer version or not; a cached
answer younger than a day counts) and :data:`~.exitcodes.EXIT_NO_ANSWER` (3) when it could not
check -- offline, a server error, an unreadable answer -- with the reason in
``"error"``, so scripts can tell "up to date" from "don't know".
``self-test`` exits 0 only when no check failed (skipped checks count as passed).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

from .. import __version__
from ..i18n import _
from .exitcodes import EXIT_FAILED, EXIT_NO_ANSWER, EXIT_OK

if TYPE_CHECKING:
    import argparse

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add ``check-update`` and ``self-test`` to the CLI."""
    update = subparsers.add_parser(
        "check-update",
        help=_("ask whether a newer version is out (JSON on stdout)"),
        description="Ask the release server whether a newer version is out. Prints JSON; "
        "the answer is cached for a day unless --force. Exit code 0: answered; "
        f'{EXIT_NO_ANSWER}: could not check (the reason is in "error").',
    )
    update.add_argument("--force", action="store_true", help=_("ask now, ignoring the cache"))
    update.set_defaults(func=check_update)

    selftest = subparsers.add_parser(
        "self-test",
        help=_("check this installation works (JSON on stdout)"),
        description=_(
            "Check folders, image codecs, onnxruntime, the bundled model and Tk. "
            "Exit code 0 only when every check passes."
        ),
    )
    selftest.add_argument(
        "--only", action="append", metavar="CHECK", help=_("run only this check (repeatable)")
    )
    selftest.set_defaults(func=self_test)


def check_update(args: argparse.Namespace) -> int:
    """Print the update check's JSON; exit 0 with an answer, :data:`EXIT_NO_ANSWER` without."""
    try:
        from ..sidecars import config, updates

        result = updates.check(config.load(), force=args.force).to_dict()
    except Exception as exc:  # the contract: JSON and one of the two codes, whatever happened
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
    return EXIT_NO_ANSWER if result.get("error") else EXIT_OK


def self_test(args: argparse.Namespace) -> int:
    """Print the self-test report; exit 0 only when no check failed."""
    from ..sidecars import selftest

    only = args.only or None
    unknown = sorted(set(only or ()) - set(selftest.CHECKS))
    if unknown:
        from ..core.errors import UsageError

        msg = f"unknown check {unknown[0]!r}: choose from {', '.join(selftest.CHECKS)}"
        raise UsageError(msg)
    report = selftest.run(only)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return EXIT_OK if report["ok"] else EXIT_FAILED
