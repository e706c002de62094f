"""A local HTTP server for the source tests: answers from a table the test writes, on
127.0.0.1 and a port the system chooses; records what it was asked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from supportal.core.testing_http import LocalHTTPServer


@dataclass
class Answer:
    body: object = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


Route = Callable[[str, dict[str, str], "FixtureServer"], Answer | None]


class FixtureServer:
    def __init__(self, route: Route) -> None:
        self.route = route
        self.asked: list[tuple[str, dict[str, str], dict[str, str]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(parts.query).items()}
                server.asked.append((parts.path, query, dict(self.headers)))
                answer = server.route(parts.path, query, server) or Answer(
                    {"code": "not_found"}, 404
                )
                raw = answer.raw if answer.raw is not None else json.dumps(answer.body).encode()
                self.send_response(answer.status)
                content_type = (
                    "application/octet-stream" if answer.raw is not None else "application/json"
                )
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(raw)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = LocalHTTPServer(Handler)
        self.url = self.httpd.url

    def __enter__(self) -> FixtureServer:
        self.httpd.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.close()

    def count(self, path: str) -> int:
        return sum(1 for asked, _q, _h in self.asked if asked == path)
