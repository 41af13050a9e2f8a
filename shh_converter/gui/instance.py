"""One window per user: a second launch hands its paths to the running window and exits.

On Windows, "Open with" on several selected files, "Send to" and drops on the
shortcut start one process per file; without this each would open a window.

The channel is a loopback TCP socket (127.0.0.1, any free port) -- it exists on
Windows, macOS and Linux alike. What keeps other users out is a random token in
``instance.json`` in the per-user cache folder, written readable by its owner only
(mode 0600; on Windows the per-user ``%LOCALAPPDATA%`` folder is already private).
Both sides prove they know it (HMAC-SHA256 over the other side's nonce) before a
path is sent, so no other user can inject paths nor receive them.

Who is the running window: the process holding an OS lock on ``instance.lock``
(``fcntl.flock`` / ``msvcrt.locking``) for its whole life. The OS drops the lock
when a process dies, however it dies, so a channel file left by a crashed process
is recognised as stale at once (lock free) and the new launch takes over. Five
processes started at once by "Open with" on five files: one wins the lock, the
others wait for its channel and hand their paths over.

Protocol (one connection per hand-off, every read under a timeout)::

    client -> MAGIC + client_nonce(16)
    server -> server_nonce(16) + HMAC(token, b"server" + client_nonce)
    client -> HMAC(token, b"client" + server_nonce) + length(4) + JSON {"paths": [...]}
    server -> b"OK"
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import secrets
import socket
import struct
import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .. import paths

if TYPE_CHECKING:
    import tkinter as tk
    from collections.abc import Callable, Sequence

    from .pump import Post

log = logging.getLogger(__name__)

CHANNEL_FILE = "instance.json"
LOCK_FILE = "instance.lock"
MAGIC = b"SHHCONV1"
NONCE_BYTES = 16
MAC_BYTES = 32
MAX_MESSAGE = 4 * 1024 * 1024  # thousands of long paths still fit
IO_TIMEOUT = 3.0  # seconds for any one read or write of a hand-off
WAIT_FOR_PRIMARY = 10.0  # a window starting right now needs a moment to open its channel


def _folder() -> Path:
    return paths.cache_dir


def _mac(token: bytes, label: bytes, nonce: bytes) -> bytes:
    return hmac.new(token, label + nonce, hashlib.sha256).digest()


def _recv_exact(sock: socket.socket, count: int) -> bytes:
    chunks, got = [], 0
    while got < count:
        chunk = sock.recv(count - got)
        if not chunk:
            msg = "the other side closed the connection"
            raise ConnectionError(msg)
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# -- the OS lock that says "a window is running" -------------------------------------


class _ProcessLock:
    """An exclusive lock on a file, held until :meth:`release` or the process ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[bytes] | None = None

    def try_acquire(self) -> bool:
        paths.ensure(self.path.parent)
        fh = open(self.path, "a+b")  # noqa: SIM115 (kept open while the lock is held)
        try:
            if sys.platform == "win32":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            with contextlib.suppress(OSError):
                if sys.platform == "win32":  # unlock first: Windows frees it lazily on close
                    import msvcrt

                    self._fh.seek(0)
                    msvcrt.locking(self._fh.fileno(), msvcrt.LK_UNLCK, 1)
                self._fh.close()  # drops a flock; the OS also drops both when a process dies
            self._fh = None


# -- the running window's side ----------------------------------------------------------


class InstanceServer:
    """Accepts hand-offs from later launches; see :meth:`attach` for where they go."""

    def __init__(self, lock: _ProcessLock) -> None:
        self._lock = lock
        self._on_paths: Callable[[list[Path]], None] | None = None
        self._early: list[list[Path]] = []  # arrived before the window was ready
        self._guard = threading.Lock()
        self._token = secrets.token_bytes(32)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._closed = False
        self._write_channel_file()
        self._thread = threading.Thread(target=self._serve, name="instance-channel", daemon=True)
        self._thread.start()

    def _write_channel_file(self) -> None:
        target = _folder() / CHANNEL_FILE
        temp = target.with_name(f"{CHANNEL_FILE}.{os.getpid()}.tmp")
        data = {"port": self.port, "pid": os.getpid(), "token": self._token.hex()}
        # Created 0600 from the start (never briefly readable by others), then renamed.
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(temp, target)

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return  # closed
            with conn:
                try:
                    received = self._handle(conn)
                except (OSError, ValueError, ConnectionError) as exc:
                    log.info("single-instance hand-off refused: %s", exc)
                    continue
            self._deliver(received)  # no paths too: a bare second launch raises the window

    def attach(self, on_paths: Callable[[list[Path]], None]) -> None:
        """Send hand-offs to ``on_paths`` (called in the channel's thread), earlier ones first."""
        with self._guard:
            self._on_paths = on_paths
            early, self._early = self._early, []
        for received in early:
            self._deliver(received)

    def _deliver(self, received: list[Path]) -> None:
        with self._guard:
            handler = self._on_paths
            if handler is None:
                self._early.append(received)
                return
        try:
            handler(received)
        except Exception:  # the window's problem must not end the channel
            log.exception("handing over paths failed")

    def _handle(self, conn: socket.socket) -> list[Path]:
        conn.settimeout(IO_TIMEOUT)
        if _recv_exact(conn, len(MAGIC)) != MAGIC:
            msg = "not a hand-off"
            raise ValueError(msg)
        client_nonce = _recv_exact(conn, NONCE_BYTES)
        server_nonce = secrets.token_bytes(NONCE_BYTES)
        conn.sendall(server_nonce + _mac(self._token, b"server", client_nonce))
        proof = _recv_exact(conn, MAC_BYTES)
        if not hmac.compare_digest(proof, _mac(self._token, b"client", server_nonce)):
            msg = "wrong token"
            raise ValueError(msg)
        (length,) = struct.unpack(">I", _recv_exact(conn, 4))
        if length > MAX_MESSAGE:
            msg = "message too large"
            raise ValueError(msg)
        message = json.loads(_recv_exact(conn, length).decode("utf-8"))
        received = [Path(p) for p in message.get("paths", []) if isinstance(p, str)]
        conn.sendall(b"OK")
        log.info("a second launch handed over %d path(s)", len(received))
        return received

    def close(self) -> None:
        """Stop listening, remove the channel file, drop the lock."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(OSError, ValueError):
            channel = _folder() / CHANNEL_FILE
            if json.loads(channel.read_text(encoding="utf-8")).get("pid") == os.getpid():
                channel.unlink()
        self._lock.release()


# -- a later launch's side ------------------------------------------------------------------


def send_paths(items: Sequence[Path], timeout: float = IO_TIMEOUT) -> bool:
    """Hand ``items`` to the running window; True once it confirmed. Never raises."""
    try:
        data = json.loads((_folder() / CHANNEL_FILE).read_text(encoding="utf-8"))
        port, token = int(data["port"]), bytes.fromhex(data["token"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    payload = json.dumps({"paths": [str(Path(p).absolute()) for p in items]}).encode("utf-8")
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            client_nonce = secrets.token_bytes(NONCE_BYTES)
            sock.sendall(MAGIC + client_nonce)
            server_nonce = _recv_exact(sock, NONCE_BYTES)
            proof = _recv_exact(sock, MAC_BYTES)
            if not hmac.compare_digest(proof, _mac(token, b"server", client_nonce)):
                return False  # someone else on that port: they get nothing
            sock.sendall(_mac(token, b"client", server_nonce))
            sock.sendall(struct.pack(">I", len(payload)) + payload)
            return _recv_exact(sock, 2) == b"OK"
    except (OSError, ConnectionError):
        return False


def claim_or_hand_off(
    items: Sequence[Path], wait: float = WAIT_FOR_PRIMARY
) -> InstanceServer | None:
    """Become the running window (returns its server) or hand ``items`` over (returns None).

    A lock that cannot be taken means a window is running or starting: keep trying
    to reach its channel until ``wait`` runs out, then open a window of our own
    (better two windows than a launch that does nothing).
    """
    lock = _ProcessLock(_folder() / LOCK_FILE)
    deadline = time.monotonic() + wait
    while True:
        if lock.try_acquire():
            try:
                return InstanceServer(lock)
            except OSError as exc:
                lock.release()
                log.warning("single-instance channel unavailable: %s", exc)
                return None if send_paths(items) else _no_channel()
        if send_paths(items):
            return None
        if time.monotonic() > deadline:
            log.warning("the running window did not answer: opening another one")
            return _no_channel()
        time.sleep(0.05)


class _NoChannel(InstanceServer):
    """Stands in when no channel can be opened: the window runs on, alone."""

    def __init__(self) -> None:  # no socket, no thread, no file
        self._closed = True
        self.port = 0

    def attach(self, on_paths: Callable[[list[Path]], None]) -> None:
        pass

    def close(self) -> None:
        pass


def _no_channel() -> InstanceServer:
    return _NoChannel()


def bring_to_front(root: tk.Tk) -> None:
    """Show the window above others (it may be minimised or behind another app)."""
    with contextlib.suppress(Exception):
        root.deiconify()
        root.lift()
        # Windows only raises a window of the foreground process; a brief topmost does it.
        root.attributes("-topmost", True)
        root.after(200, lambda: root.attributes("-topmost", False))
        root.focus_force()


def connect_window(
    channel: InstanceServer,
    root: tk.Tk,
    post: Post,
    add: Callable[[list[Path]], None],
) -> None:
    """Route hand-offs to the window: ``add(paths)`` on the Tk thread (via ``post``), then raise.

    ``post`` is the controller's thread-safe queue to the Tk thread, ``add`` its
    add-paths method -- the same path a drop takes.
    """

    def on_paths(received: list[Path]) -> None:
        def on_tk_thread() -> None:
            if received:
                add(received)
            bring_to_front(root)

        post(on_tk_thread)

    channel.attach(on_paths)
