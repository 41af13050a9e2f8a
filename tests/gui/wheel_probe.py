"""Run by ``test_wheel.py`` in a child process (a language is chosen when the window's
modules load): the real window made short enough that its settings column scrolls,
the real wheel turned over each kind of widget in the column from top to bottom and
back, the saved settings compared before and after; a screenshot at the bottom.

    python tests/gui/wheel_probe.py --shot out.png
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from guikit import (  # noqa: E402
    column_pointer_spots,
    end_probe,
    make_app,
    pump_until,
    saved_settings,
    wheel_column_through,
)

SHORT = "1000x560"  # the column scrolls at this height in every language


def wheel_everywhere(app: Any, shot: Path | None = None) -> dict[str, Any]:
    """Make the column scroll, wheel it through over each kind of widget; the report."""
    root, column = app.root, app.window.settings_column
    root.geometry(SHORT)
    pump_until(root, lambda: column.scrolls, what="the settings column to scroll")
    before = saved_settings(app)
    frame = root.wm_frame()

    def grab() -> None:
        if shot is not None:
            subprocess.run(["import", "-window", frame, str(shot)], check=True, timeout=30)

    runs = [wheel_column_through(app, x, y, at_bottom=grab) for x, y in column_pointer_spots(app)]
    return {
        "runs": runs,
        "same": saved_settings(app) == before,
        "language": app.window.settings.resize_box.get(),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shot", type=Path)
    args = parser.parse_args()
    app = make_app()
    return end_probe(app, wheel_everywhere(app, args.shot))


if __name__ == "__main__":
    sys.exit(main())
