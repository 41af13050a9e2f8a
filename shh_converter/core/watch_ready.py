"""When is a file that landed in a watched folder ready to convert?

A camera, a colleague's copy or a browser download writes a file over seconds
or minutes; converting it half-written would make a grey-bottomed image. So a
file is *ready* only when

1. its size and modification time have not changed for a quiet period
   (:attr:`ArrivalTracker.quiet`; every file-system event resets the clock), and
2. it looks complete: :func:`looks_complete` reads its last bytes (a JPEG's end
   marker, a PNG's ``IEND``, a GIF trailer, the declared length of a WebP, HEIF
   or AVIF file) and, for a JPEG without its end marker at the very end, tries a
   cheap 1/8-scale decode. A writer that pauses longer than the quiet period
   therefore still does not get its file converted early.

A file that is stable but never looks complete is handed to the converter after
:attr:`ArrivalTracker.give_up` seconds anyway, so its real error ("truncated")
is reported once instead of the file waiting forever.
"""

from __future__ import annotations

import logging
import stat
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

Signature = tuple[int, int]  # (size, mtime_ns): what "unchanged" means
TAIL_BYTES = 64
MAX_BOXES = 10_000  # an ISO-BMFF walk never loops forever on a crafted file
PNG_END = b"IEND\xaeB`\x82"


def signature(path: Path) -> Signature | None:
    """``(size, mtime_ns)`` of a regular file, or None when it is gone or not a file."""
    try:
        st = path.stat()
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return st.st_size, st.st_mtime_ns


def looks_complete(path: Path) -> bool:
    """True when ``path`` reads as a whole image file (see the module docstring).

    False while the file cannot be opened (Windows locks a file being copied),
    is empty, or ends before its format says it should. Formats without a cheap
    end check count as complete: the quiet period is their only guard.
    """
    try:
        size = path.stat().st_size
        if size == 0:
            return False
        with path.open("rb") as fh:
            head = fh.read(32)
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read()
    except OSError:
        return False
    if head.startswith(b"\xff\xd8"):
        return tail.rstrip(b"\x00").endswith(b"\xff\xd9") or _jpeg_decodes(path)
    if head.startswith(b"\x89PNG"):
        return tail.endswith(PNG_END)
    if head.startswith(b"GIF8"):
        return tail.rstrip(b"\x00").endswith(b";")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return size >= int.from_bytes(head[4:8], "little") + 8
    if head[4:8] == b"ftyp":
        return _boxes_complete(path, size)
    return True


def _jpeg_decodes(path: Path) -> bool:
    """A JPEG with data after its end marker (e.g. a motion photo): decode it at 1/8 scale."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.draft("RGB", (max(1, im.width // 8), max(1, im.height // 8)))
            im.load()
    except Exception:  # truncated, or not decodable at all: not complete (yet)
        return False
    return True


def _boxes_complete(path: Path, size: int) -> bool:
    """HEIF/AVIF (ISO base media): the top-level boxes must add up to the file's length."""
    offset = 0
    try:
        with path.open("rb") as fh:
            for _ in range(MAX_BOXES):
                if offset == size:
                    return True
                fh.seek(offset)
                header = fh.read(16)
                if len(header) < 8:
                    return False
                box = int.from_bytes(header[:4], "big")
                if box == 0:  # "to the end of the file"
                    return True
                if box == 1:
                    if len(header) < 16:
                        return False
                    box = int.from_bytes(header[8:16], "big")
                if box < 8:
                    return True  # malformed: let the decoder say what is wrong
                offset += box
                if offset > size:
                    return False
    except OSError:
        return False
    return True


@dataclass
class _Pending:
    path: Path
    signature: Signature | None
    changed_at: float  # monotonic time of the last change seen
    check_at: float  # when to look again
    stable_since: float | None = None  # first time it was stable but looked incomplete


class ArrivalTracker:
    """Files that changed recently, until they are ready (not thread-safe: one loop owns it).

    ``touch(path, now)`` on every event or rescan hit; ``ready(now)`` returns the
    files whose quiet period passed and that look complete, and forgets them.
    """

    def __init__(self, quiet: float = 0.5, give_up: float = 30.0) -> None:
        self.quiet, self.give_up = quiet, give_up
        self._pending: dict[str, _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, path_key: str) -> bool:
        return path_key in self._pending

    def touch(self, path_key: str, path: Path, now: float) -> None:
        """``path`` may have changed: (re)start its quiet period."""
        self._pending[path_key] = _Pending(path, signature(path), now, now + self.quiet)

    def forget(self, path_key: str) -> None:
        self._pending.pop(path_key, None)

    def keys(self) -> list[str]:
        return list(self._pending)

    def next_check(self) -> float | None:
        """Monotonic time of the earliest look due, or None when nothing is pending."""
        return min((p.check_at for p in self._pending.values()), default=None)

    def ready(self, now: float) -> tuple[list[tuple[Path, Signature]], list[Path]]:
        """``(ready, gone)``: files ready now with their signature, and files that vanished."""
        ready: list[tuple[Path, Signature]] = []
        gone: list[Path] = []
        for path_key, p in list(self._pending.items()):
            if p.check_at > now:
                continue
            current = signature(p.path)
            if current is None:
                gone.append(p.path)
                del self._pending[path_key]
            elif current != p.signature:  # still being written
                p.signature, p.changed_at, p.check_at = current, now, now + self.quiet
                p.stable_since = None
            elif now - p.changed_at < self.quiet:
                p.check_at = p.changed_at + self.quiet
            elif looks_complete(p.path) or self._waited_enough(p, now):
                ready.append((p.path, current))
                del self._pending[path_key]
            else:  # stable but cut short: the writer paused; look again less often
                p.stable_since = p.stable_since if p.stable_since is not None else now
                p.check_at = now + min(5.0, max(self.quiet, (now - p.stable_since) / 2))
        return ready, gone

    def _waited_enough(self, p: _Pending, now: float) -> bool:
        if p.stable_since is not None and now - p.stable_since >= self.give_up:
            log.info("%s still looks incomplete after %.0f s: converting it", p.path, self.give_up)
            return True
        return False
