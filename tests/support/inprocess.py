"""The CLI run inside the test process: ``cli_in_process("convert", ...)``.

For the cases that test what arguments turn into (settings, a report, an exit code,
output files, the lines printed), a real process costs an interpreter start plus the
imports of numpy, Pillow and onnxruntime each time. This runs ``shh_converter.cli.main``
(what ``python -m shh_converter COMMAND`` runs) with stdout and stderr captured and
answers like :func:`support.run_cli`: a ``CompletedProcess`` with the exit code and
the text printed.

What a command changes in the process is put back after each run, so no run sees
another's: the environment, the working folder, the standard streams, the handlers of
the root logger, the signal handlers, the loaded config and the language. The memory
warning is off (the monitor would measure the test process, not the command). The crash
hooks (``sys.excepthook``, faulthandler) are process-wide and stay pytest's: the tests
of the crash reports run real processes.

Keep real processes (``support.run_cli``) where the process is what is tested:
signals and Ctrl-C, pipes, exit at interpreter level, crashes, the single instance.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from support import REPO

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

MEMORY_WARNING_ENV = "SHH_CONVERTER_PERFORMANCE__MEMORY_WARNING_THRESHOLD_MB"
_SIGNALS = [
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGBREAK") if hasattr(signal, name)
]


def cli_in_process(
    *args: str,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``shh-converter ARGS`` in this process; its exit code, stdout and stderr.

    ``env`` replaces the environment for the run (as ``subprocess.run(env=...)``
    does); ``cwd`` defaults to the repository like :func:`support.run_cli`. Nothing is
    read from stdin.
    """
    from shh_converter import cli

    out, err = io.BytesIO(), io.BytesIO()
    # Held here until the end: a text stream closes its bytes when it goes away.
    out_text, err_text = _text_stream(out), _text_stream(err)
    with _isolated(env, Path(cwd) if cwd is not None else REPO):
        sys.stdin = io.StringIO()
        sys.stdout, sys.stderr = out_text, err_text
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse's --help, --version and usage errors
            code = _exit_code(exc)
        out_text.flush()
        err_text.flush()
    return subprocess.CompletedProcess(["shh-converter", *args], code, _decoded(out), _decoded(err))


def _text_stream(raw: io.BytesIO) -> io.TextIOWrapper:
    """Text over ``raw``, with a ``buffer`` (the report and the pipe write bytes there)."""
    return io.TextIOWrapper(raw, encoding="utf-8", newline="", write_through=True)


def _decoded(raw: io.BytesIO) -> str:
    return raw.getvalue().decode("utf-8", errors="replace")


def _exit_code(exc: SystemExit) -> int:
    """What the interpreter makes of ``SystemExit``: ``None`` 0, an int as it is,
    anything else printed to stderr and 1."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


@contextlib.contextmanager
def _isolated(env: Mapping[str, str] | None, cwd: Path) -> Iterator[None]:
    """Everything a CLI run changes in the process, put back afterwards."""
    from shh_converter import i18n, paths
    from shh_converter.sidecars import crash, logs, startup

    saved_env = dict(os.environ)
    saved_cwd = Path.cwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    saved_signals = {sig: signal.getsignal(sig) for sig in _SIGNALS}
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    pil_level = logging.getLogger("PIL").level
    warnings_captured = getattr(logging, "_warnings_showwarning", None) is not None
    saved_state: dict[str, Any] = {
        "config": startup._config,
        "translation": i18n._translation,
        "language": i18n._language,
        "batch": logs._active_batch,
        "crash": crash._installed,
    }
    crash._installed = True  # the process's crash hooks stay pytest's
    startup._config = None  # the run loads the config of its own home
    if env is not None:
        os.environ.clear()
        os.environ.update(env)
        paths.configure()
    # The memory monitor measures this process, which holds what every earlier test in it
    # left behind (over 1 GB late in a run): its warning would be about pytest, not the
    # command. Real-process runs (support.run_cli) keep the threshold as configured.
    os.environ[MEMORY_WARNING_ENV] = "1000000"
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        for sig, previous in saved_signals.items():
            signal.signal(sig, previous)
        for handler in [h for h in root.handlers if h not in saved_handlers]:
            root.removeHandler(handler)
            handler.close()
        for handler in saved_handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(saved_level)
        logging.getLogger("PIL").setLevel(pil_level)
        if not warnings_captured:
            logging.captureWarnings(False)
        startup._config = saved_state["config"]
        i18n._translation = saved_state["translation"]
        i18n._language = saved_state["language"]
        logs._active_batch = saved_state["batch"]
        crash._installed = saved_state["crash"]
        os.environ.clear()  # the run may set some (the AI provider, for its workers)
        os.environ.update(saved_env)
        paths.configure()
