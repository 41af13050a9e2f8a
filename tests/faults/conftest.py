"""The fault tests import their helpers from ``faultkit`` beside this file.

Their window tests use ``x_display`` (``tests/conftest.py``), the one private Xvfb.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.append(str(Path(__file__).resolve().parent.parent / "gui"))  # guikit
