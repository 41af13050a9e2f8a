"""``shh-converter convert INPUT... -o DEST [options]``: the headless batch command.

Parsing (:func:`add_arguments`), Settings-building (:func:`settings_from_args`,
:func:`limits_from_args`) and running (:func:`run`) are separate so the GUI and
the tests reuse them. Output: a tqdm bar on a terminal, else one line per file on
stdout; per-file errors always on stderr as ``failed: <file>: <reason>``;
``--quiet`` leaves only the errors. Exit codes as in :mod:`shh_converter.cli`.
Ctrl-C cancels: files in flight finish or are discarded whole, exit 130.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import logging
import signal
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import destination
from ..core.errors import UsageError
from ..core.events import BatchFinished, CancelToken
from ..core.naming import TEMPLATE_FIELDS
from ..core.settings import (
    DEFAULT_SETTINGS,
    BackgroundMode,
    BackgroundRemoval,
    ConflictPolicy,
    EncodeOptions,
    Limits,
    MetadataMode,
    ResizeMode,
    ResizeOptions,
    Settings,
    parse_color,
)
from ..i18n import _
from . import encoder_flags, pipes, recipe_options, report
from .argtypes import field_value, ranged
from .exitcodes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK
from .output import Printer
from .report import write_report

if TYPE_CHECKING:  # the engine's batch modules load when a command runs
    from collections.abc import Iterator

    from ..core.batch import Hooks, Session
    from ..core.presets import PresetBook
    from ..core.recipe import Recipe

log = logging.getLogger(__name__)

# Which size flags each resize mode reads; any other given size flag is a mistake.
SIZE_FLAGS: dict[str, tuple[str, ...]] = {
    "fit": ("--width", "--height"),
    "fill": ("--width", "--height"),
    "pad": ("--width", "--height"),
    "max-side": ("--size",),
    "percent": ("--percent",),
}


def register(subparsers: Any) -> None:
    """Add the ``convert`` sub-command."""
    parser = subparsers.add_parser(
        "convert",
        help=_("convert images (files or folders) into DEST"),
        description=textwrap.fill(
            _(
                "Convert images to {formats}, one or several outputs per input. "
                "Paths starting with '-': put them after '--' or write ./-name."
            ).format(formats=encoder_flags.format_names()),
            79,
        ),
        epilog=recipe_options.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def _colour(text: str) -> str:
    try:
        parse_color(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _padding(text: str) -> str:
    body = text[:-1] if text.endswith("%") else text
    if not body.isdigit():
        msg = f"{text!r}: use pixels (12) or a percent (5%)"
        raise argparse.ArgumentTypeError(msg)
    return text


def add_arguments(p: argparse.ArgumentParser) -> None:
    """All ``convert`` options (defaults None: unset options keep Settings' defaults)."""
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        type=Path,
        help=_("files and folders; '-' alone reads one image from stdin"),
    )
    p.add_argument(
        "-o",
        "--output",
        dest="dest",
        type=Path,
        required=True,
        metavar="DEST",
        help=_(
            "destination folder (created if needed; may be inside a source folder); "
            "'-' writes the one output to stdout"
        ),
    )
    encoder_flags.add_arguments(p)  # --format and every encoder option, from the formats table
    p.add_argument(
        "--resize",
        choices=[m.value for m in ResizeMode],
        help=_(
            "fit: within WxH; fill: cover WxH and crop the centre; pad: fit, then pad to "
            "exactly WxH; max-side: longest side N; percent: scale by P%%"
        ),
    )
    box = {name: field_value(ResizeOptions, name) for name in ("width", "height", "size")}
    p.add_argument("--width", type=box["width"], metavar="W", help=_("box width (px)"))
    p.add_argument("--height", type=box["height"], metavar="H", help=_("box height (px)"))
    p.add_argument("--size", type=box["size"], metavar="N", help=_("longest side (max-side)"))
    p.add_argument(
        "--percent",
        type=field_value(ResizeOptions, "percent"),
        metavar="P",
        help=_("scale (percent)"),
    )
    p.add_argument(
        "--upscale",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=_("enlarge images smaller than the size asked (default: never enlarge)"),
    )
    encoder_flags.add_resize_arguments(p)  # --resample, --sharpen
    p.add_argument(
        "--background",
        type=_colour,
        metavar="COLOUR",
        help=_(
            "fill behind transparent parts and padding: transparent (default; JPEG gets "
            "white), white, black or #RRGGBB"
        ),
    )
    p.add_argument(
        "--metadata",
        choices=[m.value for m in MetadataMode],
        help=_(
            "strip (default: no EXIF, no XMP, no GPS); keep-no-location (EXIF/XMP without GPS "
            "and camera serials); keep (EXIF and XMP with orientation reset, DPI)"
        ),
    )
    p.add_argument(
        "--keep-icc",
        action="store_true",
        default=None,
        help=_("embed the source colour profile instead of converting to sRGB"),
    )
    p.add_argument(
        "--animated",
        action=argparse.BooleanOptionalAction,
        default=None,
        help=_(
            "keep all frames of animations where the output holds them: WebP, PNG (APNG), "
            "GIF, AVIF (default); --no-animated takes the first frame"
        ),
    )
    p.add_argument(
        "--name-template",
        metavar="TEMPLATE",
        help=_("output name from the fields {fields}; '/' makes subfolders (default {default})")
        .format(fields=" ".join("{" + f + "}" for f in TEMPLATE_FIELDS), default="{stem}.{ext}")
        .replace("%", "%%"),
    )
    p.add_argument(
        "-r", "--recursive", action="store_true", help=_("walk subfolders, mirroring them in DEST")
    )
    p.add_argument(
        "--on-conflict",
        choices=[c.value for c in ConflictPolicy],
        help=_(
            "when an output file already exists: rename to 'a (2).webp' (default), skip, "
            "or overwrite"
        ),
    )
    p.add_argument(
        "--jobs",
        type=ranged(1, 256),
        metavar="N",
        help=_("worker processes (default: one per core, fewer if memory is short)"),
    )
    p.add_argument(
        "--report", type=Path, metavar="FILE.json", help=_("write a JSON report of every file")
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=_(
            "plan only: say what each input's outputs would be (convert, or skip and why) "
            "and write nothing (--report works)"
        ),
    )
    p.add_argument("-q", "--quiet", action="store_true", help=_("print only errors"))
    p.add_argument(
        "-v", "--verbose", action="store_true", help=_("debug detail on the console and log")
    )
    bg = p.add_argument_group("background removal")
    bg.add_argument("--remove-bg", action="store_true", help=_("cut out the subject"))
    bg.add_argument(
        "--bg-mode",
        choices=[m.value for m in BackgroundMode],
        help=_("ai: the model (default); flat: plain-colour backgrounds, no model, fast"),
    )
    bg.add_argument(
        "--model",
        metavar="NAME",
        help=_("AI model (default u2netp, bundled; see 'shh-converter models list')"),
    )
    bg.add_argument(
        "--post-process", action="store_true", default=None, help=_("smoother mask edges")
    )
    bg.add_argument(
        "--alpha-matting",
        action="store_true",
        default=None,
        help=_("finer hair and fur edges (slow: seconds per image)"),
    )
    bg.add_argument(
        "--mask-only",
        action="store_true",
        default=None,
        help=_("write the mask (white = subject) instead of the cut-out"),
    )
    bg.add_argument(
        "--trim", action="store_true", default=None, help=_("crop to the subject's bounding box")
    )
    bg.add_argument(
        "--trim-padding",
        type=_padding,
        metavar="N|N%",
        help=_("space around the subject when trimming: pixels or percent"),
    )
    bg.add_argument(
        "--tolerance",
        type=field_value(BackgroundRemoval, "flat_tolerance"),
        metavar="N",
        help=_("flat mode: colour distance still counted as background (24)"),
    )
    bg.add_argument(
        "--continue-without-bg",
        action="store_true",
        help=_(
            "if the model cannot be used (missing, damaged), convert without removing "
            "backgrounds instead of stopping"
        ),
    )
    bg.add_argument(
        "--fill-holes",
        action="store_true",
        default=None,
        help=_("flat mode: also clear enclosed background (the inside of an 'O')"),
    )
    recipe_options.add_recipe_arguments(p)


def _given(args: argparse.Namespace, mapping: dict[str, str]) -> dict[str, Any]:
    """Settings fields for the options the user actually gave (``None`` = not given)."""
    return {f: getattr(args, a) for a, f in mapping.items() if getattr(args, a) is not None}


def encode_from_args(args: argparse.Namespace, base: EncodeOptions | None = None) -> EncodeOptions:
    """Encoder options: the flags given, over ``base``'s (see ``encoder_flags``)."""
    return encoder_flags.encode_from_args(args, base)


def resize_from_args(args: argparse.Namespace, base: ResizeOptions | None = None) -> ResizeOptions:
    """Resize options; ``--resize`` may be left out when the sizes say which mode is meant.

    When no resize flag is given, ``base``'s (or no resizing).
    """
    sized = (args.resize, args.width, args.height, args.size, args.percent)
    upscale = args.upscale if args.upscale is not None else bool(base and base.upscale)
    if base is not None and all(v is None for v in sized):
        return dataclasses.replace(base, upscale=upscale, **encoder_flags.resize_extras(args))
    mode = args.resize
    if mode is None:
        mode = "max-side" if args.size else "percent" if args.percent else "none"
        if args.width or args.height:
            mode = "fit"
    needs = {
        "fit": ("--width or --height", args.width or args.height),
        "fill": ("--width and --height", args.width and args.height),
        "pad": ("--width and --height", args.width and args.height),
        "max-side": ("--size", args.size),
        "percent": ("--percent", args.percent),
    }
    if mode in needs and not needs[mode][1]:
        msg = f"--resize {mode} needs {needs[mode][0]}"
        raise UsageError(msg)
    sizes = {"--width": args.width, "--height": args.height, "--size": args.size}
    sizes["--percent"] = args.percent
    for flag, value in sizes.items():
        if value is not None and flag not in SIZE_FLAGS.get(mode, ()):
            msg = f"{flag} does not apply to --resize {mode}"
            raise UsageError(msg)
    return ResizeOptions(
        mode=ResizeMode(mode),
        width=args.width,
        height=args.height,
        size=args.size,
        percent=args.percent,
        upscale=upscale,
        **encoder_flags.resize_extras(args),
    )


def background_removal_from_args(
    args: argparse.Namespace, base: BackgroundRemoval | None = None
) -> BackgroundRemoval:
    """Background removal: ``--remove-bg`` and its options, over ``base``'s."""
    base = base if base is not None else BackgroundRemoval()
    given = _given(
        args,
        {
            "bg_mode": "mode",
            "model": "model",
            "post_process": "post_process",
            "alpha_matting": "alpha_matting",
            "mask_only": "mask_only",
            "trim": "trim",
            "trim_padding": "trim_padding",
            "tolerance": "flat_tolerance",
            "fill_holes": "fill_holes",
        },
    )
    if given and not (args.remove_bg or base.enabled):
        msg = "background options need --remove-bg"
        raise UsageError(msg)
    if "mode" in given:
        given["mode"] = BackgroundMode(given["mode"])
    if "model" in given and not str(given["model"]).replace("-", "_").isidentifier():
        msg = f"bad model name {given['model']!r}"
        raise UsageError(msg)
    return dataclasses.replace(base, enabled=bool(args.remove_bg or base.enabled), **given)


def limits_from_args(args: argparse.Namespace) -> Limits:
    """Safety limits for this run. The single place where config-file limits come in."""
    from ..sidecars import config, startup  # sidecars: the config's feature flags

    return config.limits_from(startup.current_config())


def settings_from_args(
    args: argparse.Namespace, limits: Limits | None = None, base: Settings | None = None
) -> Settings:
    """One output's :class:`Settings`: the flags given over ``base`` (UsageError if bad)."""
    base = base if base is not None else DEFAULT_SETTINGS
    extra = _given(
        args,
        {"keep_icc": "keep_icc", "animated": "animated", "name_template": "name_template"},
    )
    if args.background is not None:
        extra["background"] = parse_color(args.background)
    if args.metadata is not None:
        extra["metadata"] = MetadataMode(args.metadata)
    if args.on_conflict is not None:
        extra["on_conflict"] = ConflictPolicy(args.on_conflict)
    extra.update(recipe_options.output_overrides(args))
    return dataclasses.replace(
        base,
        encode=encode_from_args(args, base.encode),
        resize=resize_from_args(args, base.resize),
        background_removal=background_removal_from_args(args, base.background_removal),
        limits=limits if limits is not None else limits_from_args(args),
        **extra,
    )


def recipe_from_args(args: argparse.Namespace) -> Recipe:
    """The whole recipe: today's flags, variants, sets, recipe files, a preset."""
    limits = limits_from_args(args)

    def one_output(base: Settings) -> Settings:
        return settings_from_args(args, limits, base)

    return recipe_options.recipe_from_args(args, one_output, preset_book)


def preset_book() -> PresetBook:
    """The presets of the config (the same the window shows)."""
    from ..sidecars import startup

    return startup.preset_book()


def check_paths(args: argparse.Namespace) -> None:
    """Refuse a destination that cannot be a folder (one line, exit 2)."""
    problem = destination.not_a_folder(args.dest)
    if problem and not pipes.is_pipe(args.dest):
        raise UsageError(problem)
    if args.report is not None and args.report.is_dir() and not pipes.is_pipe(args.report):
        msg = f"--report {args.report} is a folder; give a file name"
        raise UsageError(msg)


def run(args: argparse.Namespace) -> int:
    """The ``convert`` command: plan, run, print, report. Returns the exit code."""
    from ..sidecars import startup

    if args.quiet and args.verbose:
        msg = "--quiet and --verbose do not go together"
        raise UsageError(msg)
    _setup_logging(args)
    recipe = recipe_from_args(args)
    startup.check_feature_flags(recipe.shared)  # --remove-bg off in the config -> exit 2
    check_paths(args)
    pipes.check(args.inputs, args.dest, recipe)
    to_stdout = pipes.is_pipe(args.dest) or (args.report is not None and pipes.is_pipe(args.report))
    cancel = CancelToken()
    printer = Printer(quiet=args.quiet, verbose=args.verbose, to_stderr=to_stdout)
    with contextlib.ExitStack() as stack:
        inputs, dest = stack.enter_context(pipes.staged(args.inputs, args.dest))
        stack.enter_context(_ctrl_c_cancels(cancel))
        stack.enter_context(printer)
        hooks = stack.enter_context(startup.batch_hooks(recipe.shared))
        session = open_session(recipe, hooks, args)
        if args.dry_run:
            return _dry_run(session, inputs, dest, args)
        with session:
            outcome = session.run(inputs, dest, printer.on_event, cancel, recursive=args.recursive)
        if pipes.is_pipe(args.dest):
            pipes.send(outcome.plan.jobs)
    if args.report is not None:
        write_report(
            args.report, outcome.plan.jobs, outcome.finished, outcome.recipe, outcome.plan.dest
        )
    return exit_code(outcome.finished)


def _dry_run(session: Session, inputs: list[Path], dest: Path, args: argparse.Namespace) -> int:
    """``--dry-run``: the plan, one line per output, nothing written or removed."""
    plan = session.plan(inputs, dest, recursive=args.recursive)
    data = report.dry_run_data(plan.jobs, session.recipe)
    out = sys.stderr if args.report is not None and pipes.is_pipe(args.report) else sys.stdout
    if not args.quiet:
        lines = []
        for entry in data["files"]:
            if entry["status"] == "would convert":
                text = _("would convert: {source} -> {output}")
                lines.append(text.format(source=entry["source"], output=entry["output"]))
            elif entry["status"] == "skipped":
                text = _("would skip: {output}: {reason}")
                where = entry["output"] or entry["source"]  # a non-image has no output
                lines.append(text.format(output=where, reason=entry["error"]))
        if lines:
            out.write("\n".join(lines) + "\n")
    for entry in data["files"]:
        if entry["status"] == "failed":
            text = _("failed: {source}: {reason}").format(
                source=entry["source"], reason=entry["error"]
            )
            print(text, file=sys.stderr)
    t = data["totals"]
    summary = _(
        "dry run: {files} input(s), {convert} output(s) to make, {skip} to skip, "
        "{failed} failed; nothing was written"
    ).format(files=t["files"], convert=t["would convert"], skip=t["skipped"], failed=t["failed"])
    if not args.quiet:
        print(summary, file=out)
    if args.report is not None:
        report.save(args.report, data)
    return EXIT_FAILED if t["failed"] else EXIT_OK


def _warn(text: str) -> None:
    print(_("shh-converter: warning: {text}").format(text=text), file=sys.stderr)


def open_session(recipe: Recipe, hooks: Hooks, args: argparse.Namespace) -> Session:
    """The batch door for ``convert`` and ``watch``, with background removal checked once.

    Background removal that cannot start: exit 2, or one warning and go on without it.
    """
    from ..core.batch import Session
    from ..core.errors import BackgroundRemovalError

    try:
        return Session(
            recipe,
            dataclasses.replace(hooks, warn=_warn),
            workers=args.jobs,
            continue_without_bg=args.continue_without_bg,
        )
    except BackgroundRemovalError as exc:
        msg = f"background removal cannot start: {exc} (--continue-without-bg converts without it)"
        raise UsageError(msg) from None


def exit_code(finished: BatchFinished) -> int:
    if finished.cancelled and not destination.stopped_by_destination(finished.results):
        return EXIT_INTERRUPTED  # the user's cancel; a full or read-only destination: 1
    if finished.error or finished.failed:
        return EXIT_FAILED
    return EXIT_OK


def _setup_logging(args: argparse.Namespace) -> None:
    """Log to stderr; the sidecars' ``logs.setup`` replaces this with file logging."""
    from ..sidecars import startup

    if startup.started():  # cli.main set up the log file and the console already
        return
    level = logging.ERROR if args.quiet else logging.DEBUG if args.verbose else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger().setLevel(level)


@contextlib.contextmanager
def _ctrl_c_cancels(cancel: CancelToken) -> Iterator[None]:
    """First Ctrl-C cancels the batch gracefully; a second one interrupts at once."""

    def handler(signum: int, frame: object) -> None:
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        print(_("shh-converter: cancelling (Ctrl-C again to stop at once)"), file=sys.stderr)

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
