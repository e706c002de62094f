"""The production kind of server for tests of the live channel: uvicorn serving the project's
ASGI application in a thread, on a port the system chooses (never a fixed one). Django's own
live server speaks WSGI, which cannot hold a server-sent event stream open."""

from __future__ import annotations

import contextlib
import http.client
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest


@dataclass
class AsgiServer:
    url: str
    port: int


@contextlib.contextmanager
def asgi_server_running() -> Iterator[AsgiServer]:
    import uvicorn
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application
    from django.db import connections

    # As run_web does (docs/deploy.md): each request's sync code runs in a thread of its own,
    # whose persistent connection would outlive the test and keep its database from being
    # dropped.
    saved = connections.settings["default"]["CONN_MAX_AGE"]
    connections.settings["default"]["CONN_MAX_AGE"] = 0
    app = ASGIStaticFilesHandler(get_asgi_application())
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="off", log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield AsgiServer(url=f"http://127.0.0.1:{port}", port=port)
    finally:
        server.should_exit = True
        # Open streams end when the server stops; give them a moment, then leave the thread.
        server.force_exit = True
        thread.join(timeout=10)
        connections.settings["default"]["CONN_MAX_AGE"] = saved


class Stream:
    """A server-sent event stream read as a browser's EventSource would: a thread reads it
    (a socket read that timed out cannot be read again) and queues each event with data."""

    def __init__(self, response: http.client.HTTPResponse, sock: socket.socket) -> None:
        self.response = response
        self.sock = sock
        self.status = response.status
        self.events: queue.Queue[dict[str, str]] = queue.Queue()
        self.ended_cleanly = False  # the server ended the stream (not a cut connection)
        self.reader = threading.Thread(target=self._read, daemon=True)
        if self.status == 200:
            self.reader.start()

    def _read(self) -> None:
        event: dict[str, str] = {}
        try:
            while line := self.response.readline():
                text = line.decode().rstrip("\r\n")
                if not text:
                    if "data" in event:
                        self.events.put(event)
                    event = {}
                elif not text.startswith(":"):
                    name, _, value = text.partition(":")
                    event[name] = value.lstrip(" ")
            self.ended_cleanly = True
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # cut, or closed by the test

    def next_event(self, timeout: float) -> dict[str, str] | None:
        """The next event with data (comments and keep-alives skipped), or None on time-out."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        # The reader thread holds the response's buffer in a read until data or the socket's
        # time-out (10 s) comes, and closing the response waits for that buffer: end the
        # connection underneath first, as a browser closing the page does.
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.response.close()


def stream_open(server: AsgiServer, session_cookie: str, path: str = "/agent/live/") -> Stream:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request(
        "GET",
        path,
        headers={"Cookie": f"sessionid={session_cookie}", "Accept": "text/event-stream"},
    )
    sock = connection.sock  # the response may let the connection drop it (no length)
    response = connection.getresponse()
    if response.status == 200:
        # The first event (the retry interval) comes once the stream is subscribed; headers
        # come before.
        while response.readline().strip():
            pass
    return Stream(response, sock)


def session_cookie_for(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def redis_url_or_skip() -> str:
    import redis

    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/7"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis at {url} ({exc})")
    return url
