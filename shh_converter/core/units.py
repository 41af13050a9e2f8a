"""Byte sizes for people: one rule for the command line and the window.

Decimal units (1 KB = 1000 bytes), the unit of the size cap (``--max-kb``, the
window's *At most (KB)*): a file capped at 200 KB is reported as at most 200 KB.
macOS Finder counts the same way; Windows Explorer divides by 1024 while still
writing "KB", so there a file shows about 2 % (KB) to 7 % (GB) smaller.
"""

from __future__ import annotations

KB = 1000  # bytes


def human_bytes(n: float | None) -> str:
    """``1536`` -> ``"1.5 KB"``; ``None`` (size unknown) -> ``""``."""
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if abs(size) < KB:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= KB
    return f"{size:.1f} GB"
