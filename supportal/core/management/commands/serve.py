"""``manage.py serve``: the web server, the worker, the task worker and the SMTP listener, as
children of one supervisor.

What ``make run`` starts (Django's development server), and with ``--production`` what a single
machine without systemd can run (``run_web``: gunicorn with uvicorn workers, see docs/deploy.md).
Ctrl-C or SIGTERM stops all of them. A child that dies is started again after a back-off
(1 s, doubling to 30 s, reset once it has run for a minute): one crashing process never takes
the others down. Each such exit is logged and recorded (``ProcessExit``) for /metrics.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management import get_commands
from django.core.management.base import BaseCommand, CommandError, CommandParser

logger = logging.getLogger("supportal.serve")

PROCESS_NAMES = ("web", "worker", "tasks", "smtp")


@dataclass
class _Child:
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0  # consecutive quick deaths, for the back-off
    restart_at: float | None = None


def restart_delay(failures: int, *, base_seconds: float = 1.0, cap_seconds: float = 30.0) -> float:
    """Seconds to wait before starting a child again after its ``failures``-th quick death."""
    return min(base_seconds * 2 ** min(max(failures - 1, 0), 16), cap_seconds)


@dataclass(frozen=True)
class RestartPolicy:
    """When a child that exited is started again: after :func:`restart_delay` of its count of
    quick deaths, which resets once it has run ``stable_seconds``."""

    restart: bool = True
    base_delay_seconds: float = 1.0
    cap_delay_seconds: float = 30.0
    stable_seconds: float = 60.0


# Told of every child that exited on its own: (name, exit status, seconds it ran).
ExitHook = Callable[[str, int, float], None]


class _Children:
    """The supervised children, one :meth:`check` per poll."""

    def __init__(
        self,
        commands: Mapping[str, Sequence[str]],
        policy: RestartPolicy,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.policy = policy
        self.env = dict(env) if env is not None else None
        self.children = {name: _Child(argv=list(argv)) for name, argv in commands.items()}

    def start(self, child: _Child) -> None:
        # Each child leads its own process group: the terminal's Ctrl-C reaches only us, we
        # stop the children in order, and stopping a group also ends what the child forked.
        child.process = subprocess.Popen(  # noqa: S603
            child.argv, start_new_session=True, env=self.env
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    def check(self, now: float, on_exit: ExitHook | None) -> bool:
        """Start again what is due, notice what exited; False when a child exited and the
        policy says to stop everything."""
        for name, child in self.children.items():
            if child.restart_at is not None:
                if now >= child.restart_at:
                    logger.warning("%s: starting again", name)
                    self.start(child)
                continue
            assert child.process is not None
            code = child.process.poll()
            if code is None:
                continue
            if not self.policy.restart:
                logger.error("%s exited with status %s; stopping the others", name, code)
                return False
            self._exited(name, child, code, now)
            if on_exit is not None:
                _exit_tell(on_exit, name, code, now - child.started_at)
        return True

    def _exited(self, name: str, child: _Child, code: int, now: float) -> None:
        assert child.process is not None
        _signal_group(child.process, signal.SIGKILL)  # what it forked goes too
        ran = now - child.started_at
        child.failures = 1 if ran >= self.policy.stable_seconds else child.failures + 1
        delay = restart_delay(
            child.failures,
            base_seconds=self.policy.base_delay_seconds,
            cap_seconds=self.policy.cap_delay_seconds,
        )
        logger.error(
            "%s exited with status %s after %.0f s; starting it again in %.0f s",
            name,
            code,
            ran,
            delay,
        )
        child.restart_at = now + delay

    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        return {name: c.process for name, c in self.children.items() if c.process is not None}


def _exit_tell(on_exit: ExitHook, name: str, code: int, ran: float) -> None:
    try:
        on_exit(name, code, ran)
    except Exception:
        # Recording a crash (in the database, which may be what failed) never stops us.
        logger.warning("%s: its exit could not be recorded", name, exc_info=True)


def supervise(
    commands: Mapping[str, Sequence[str]],
    *,
    poll_seconds: float = 0.2,
    stop_timeout_seconds: float = 10.0,
    restart: bool = True,
    base_delay_seconds: float = 1.0,
    cap_delay_seconds: float = 30.0,
    stable_seconds: float = 60.0,
    on_exit: ExitHook | None = None,
    env: Mapping[str, str] | None = None,
) -> int:
    """Start each ``{name: argv}`` as a child process and wait for SIGTERM/SIGINT.

    A child that exits is started again after :func:`restart_delay` (see
    :class:`RestartPolicy`), and ``on_exit(name, status, seconds run)`` is told. The children
    get ``env`` (default: ours). With
    ``restart=False`` the first child to exit stops the others instead. Returns 0 after
    SIGTERM/SIGINT (every child stopped), 1 when a child exited and ``restart`` is off. Side
    effects: starts and stops processes; replaces the SIGTERM and SIGINT handlers while running
    (so call it from the main thread).
    """
    stop = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    policy = RestartPolicy(restart, base_delay_seconds, cap_delay_seconds, stable_seconds)
    children = _Children(commands, policy, env)
    try:
        for child in children.children.values():
            children.start(child)
        while not stop.wait(poll_seconds):
            if not children.check(time.monotonic(), on_exit):
                return 1
        return 0
    finally:
        _stop_children(children.processes(), timeout_seconds=stop_timeout_seconds)
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
    help = (
        "Run the web server, the worker, the task worker and (when installed) the SMTP listener"
        " together; a process that dies is started again. --production serves with gunicorn."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--port", type=int, default=settings.PORT, help="Web port (default: PORT, 8000)."
        )
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="Address the web server listens on (default 127.0.0.1; 0.0.0.0 in a container).",
        )
        parser.add_argument(
            "--production",
            action="store_true",
            help="Serve with the production server (run_web) instead of Django's development"
            " server; collects static files first when they are missing.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Web processes with --production (default: WEB_CONCURRENCY, else 2 per CPU).",
        )
        parser.add_argument(
            "--only",
            default=",".join(PROCESS_NAMES),
            help="Comma-separated processes to run, of: web, worker, tasks, smtp (default: all).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port: int = options["port"]
        host: str = options["host"]
        only = {name.strip() for name in options["only"].split(",") if name.strip()}
        unknown = only - set(PROCESS_NAMES)
        if unknown or not only:
            raise CommandError(
                f"--only: expected some of {', '.join(PROCESS_NAMES)}, got {options['only']!r}"
            )
        manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
        if options["production"]:
            web = [*manage, "run_web", "--bind", f"{host}:{port}"]
            if options["workers"]:
                web += ["--workers", str(options["workers"])]
            if "web" in only:
                from supportal.core.management.commands.run_web import prepare

                prepare(stdout=self.stdout)
        else:
            # Django's development server; whitenoise serves static files, so --insecure is
            # never needed, and without DEBUG there is no code reloading, as in production.
            web = [*manage, "runserver", f"{host}:{port}"]
            if not settings.DEBUG:
                web.append("--noreload")
                if "web" in only:
                    from supportal.core.management.commands.run_web import prepare

                    prepare(stdout=self.stdout)
        commands = {
            "web": web,
            "worker": [*manage, "run_worker"],
            # One-off jobs (exports, reports, index rebuilds) queued through the Tasks API.
            "tasks": [*manage, "db_worker", "--interval", "2"],
        }
        if "run_smtp" in get_commands():
            commands["smtp"] = [*manage, "run_smtp"]
        commands = {name: argv for name, argv in commands.items() if name in only}
        os.environ.setdefault("PYTHONUNBUFFERED", "1")  # children's logs appear as they happen

        shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
        self.stdout.write(
            f"Supportal: http://{shown_host}:{port}/  ({', '.join(commands)}; Ctrl-C stops all)"
        )
        self.stdout.flush()
        supervise(commands, on_exit=_exit_record)


def _exit_record(name: str, status: int, ran_seconds: float) -> None:
    """A crashed child, for /metrics (supportal_process_exits_recent) and the operator."""
    from django.db import connections

    from supportal.core import ops

    try:
        ops.process_exit_record(
            name, host=socket.gethostname(), status=status, ran_seconds=ran_seconds
        )
    finally:
        # The supervisor holds no connection between crashes (one open for hours goes stale).
        connections.close_all()
