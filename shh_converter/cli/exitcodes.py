"""The command line's exit codes: the one table every command returns from.

* 0   every file converted or skipped (or the command succeeded)
* 1   at least one file failed (``self-test``: a check failed; ``models``: a model is damaged)
* 2   usage or configuration error (one line on stderr, no traceback)
* 3   ``check-update`` could not check (the JSON's ``"error"`` says why)
* 130 interrupted by Ctrl-C (or SIGTERM, which takes the same path)
* 141 the output pipe was closed (``... | head``): quietly, no traceback (128 + SIGPIPE,
  what a shell reports for a POSIX tool stopped the same way)
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_ANSWER = 3
EXIT_INTERRUPTED = 130
EXIT_PIPE_CLOSED = 141
