"""One local HTTP server for the tests: a real socket on 127.0.0.1, never the internet.

``with local_server(Handler) as server:`` serves on a free port from a thread and stops
(and closes the socket) when the block ends; ``server.server_port`` is the port.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from collections.abc import Iterator

Server = TypeVar("Server", bound=http.server.ThreadingHTTPServer)


class QuietHandler(http.server.BaseHTTPRequestHandler):
    """A handler that keeps the test output clean, with a JSON answer at hand."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def send_json(self, data: object, content_type: str = "application/json") -> None:
        """Answer 200 with ``data`` as JSON."""
        body = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@overload
def local_server(
    handler: type[http.server.BaseHTTPRequestHandler],
) -> contextlib.AbstractContextManager[http.server.ThreadingHTTPServer]: ...
@overload
def local_server(
    handler: type[http.server.BaseHTTPRequestHandler], server_class: type[Server]
) -> contextlib.AbstractContextManager[Server]: ...
def local_server(
    handler: type[http.server.BaseHTTPRequestHandler],
    server_class: type[http.server.ThreadingHTTPServer] = http.server.ThreadingHTTPServer,
) -> contextlib.AbstractContextManager[http.server.ThreadingHTTPServer]:
    """``server_class`` serving ``handler`` on a free port of 127.0.0.1 while inside."""
    return _serving(server_class(("127.0.0.1", 0), handler))


@contextlib.contextmanager
def _serving(
    server: http.server.ThreadingHTTPServer,
) -> Iterator[http.server.ThreadingHTTPServer]:
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
