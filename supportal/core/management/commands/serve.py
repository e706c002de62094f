"""``manage.py serve``: the web server, the worker and the SMTP listener together, as children.

What ``make run`` starts. Ctrl-C or SIGTERM stops all of them; if one dies, the others are
stopped too and the command exits non-zero, so a supervisor (or the person at the terminal)
sees the failure instead of a half-running Supportal.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

logger = logging.getLogger("supportal.serve")


def supervise(
    commands: Mapping[str, Sequence[str]],
    *,
    poll_seconds: float = 0.2,
    stop_timeout_seconds: float = 10.0,
) -> int:
    """Start each ``{name: argv}`` as a child process and wait.

    Returns 0 after SIGTERM/SIGINT (every child stopped), 1 as soon as any child exits on its
    own (the others stopped). Side effects: starts and stops processes; replaces the SIGTERM and
    SIGINT handlers while running (so call it from the main thread).
    """
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    children: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, argv in commands.items():
            # Each child leads its own process group: the terminal's Ctrl-C reaches only us, we
            # stop the children in order, and stopping runserver's group also ends the process
            # its autoreloader forks.
            children[name] = subprocess.Popen(list(argv), start_new_session=True)  # noqa: S603
        while not stop.wait(poll_seconds):
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    logger.error("%s exited with status %s; stopping the others", name, code)
                    return 1
        return 0
    finally:
        _stop_children(children, timeout_seconds=stop_timeout_seconds)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _signal_group(child: subprocess.Popen[bytes], sig: int) -> None:
    # The whole group may already be gone.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, sig)


def _stop_children(
    children: Mapping[str, subprocess.Popen[bytes]], *, timeout_seconds: float
) -> None:
    for child in children.values():
        _signal_group(child, signal.SIGTERM)
    deadline = time.monotonic() + timeout_seconds
    for name, child in children.items():
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            logger.warning("%s did not stop within %.0f s; killing it", name, timeout_seconds)
            _signal_group(child, signal.SIGKILL)
            child.wait()


class Command(BaseCommand):
    help = "Run the web server, the worker and (when installed) the SMTP listener together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=settings.PORT, help="Web port (default: PORT, 8000)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        runserver = [*manage, "runserver", f"127.0.0.1:{port}"]
        if not settings.DEBUG:
            # Without DEBUG: no code reloading, as in production, and static files still served
            # because serve is the all-in-one runner; a real deployment puts a web server in front.
            runserver += ["--noreload", "--insecure"]
        commands = {
            "web": runserver,
            "worker": [*manage, "run_worker"],
            # One-off jobs (exports, reports, index rebuilds) queued through the Tasks API.
            "tasks": [*manage, "db_worker", "--interval", "2"],
        }
        if "run_smtp" in get_commands():
            commands["smtp"] = [*manage, "run_smtp"]
        os.environ.setdefault("PYTHONUNBUFFERED", "1")  # children's logs appear as they happen

        self.stdout.write(
            f"Supportal: http://127.0.0.1:{port}/  ({', '.join(commands)}; Ctrl-C stops all)"
        )
        self.stdout.flush()
        if supervise(commands) != 0:
            raise CommandError("a process stopped unexpectedly; stopped the others", returncode=1)
