"""A local HTTP server for the tests' stand-ins of the outside world (the importers' source
APIs, webhook receivers, the OAuth2 provider of mail/testing_oauth.py): on 127.0.0.1, on a
port the system chooses, served from a thread of the test's process.

Nothing here runs in production.
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

# How often the serving loop looks whether it should stop. ``shutdown()`` waits for that look:
# at the standard library's 0.5 s every test that started a server waited half a second at its
# end, some 60 tests a pass (docs/architecture.md, "Nineteenth round: the pipeline").
POLL_SECONDS = 0.02


class LocalHTTPServer:
    """``handler`` answers each request, in a thread of its own; ``url`` is the server's root
    (no trailing slash). Started by ``start()`` or ``with``, stopped by ``close()``."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, daemon=True
        )

    def start(self) -> Self:
        self._thread.start()
        return self

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()
