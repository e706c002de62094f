"""``manage.py run_worker``: run the registered queues and periodic jobs until stopped."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import uuid
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from supportal.core import jobs, ops

logger = logging.getLogger("supportal.worker")

HEARTBEAT_SECONDS = 10.0


class Command(BaseCommand):
    help = (
        "Claim and handle due background work (outbox, inbox, sweeps) until SIGTERM or Ctrl-C."
        " Any number of workers may run at once."
    )
    # Django's system checks (0.5 s of CPU: they load every URL and view) run once per deployment
    # (`migrate`, `serve`, `check --deploy`), not in each worker nor in each health probe
    # (docs/deploy.md, "System checks").
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run one tick, then exit.")
        parser.add_argument(
            "--check-heartbeat",
            action="store_true",
            help="Exit 0 when a worker reported alive within SUPPORTAL_READY_HEARTBEAT_SECONDS,"
            " else 1 (a container health check).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds to sleep after a tick that found nothing to do"
            " (default: SUPPORTAL_WORKER_INTERVAL).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interval: float = options["interval"] or settings.SUPPORTAL_WORKER_INTERVAL
        if options["check_heartbeat"]:
            last = ops.heartbeat_last()
            limit = settings.SUPPORTAL_READY_HEARTBEAT_SECONDS
            if last is None or (timezone.now() - last).total_seconds() > limit:
                raise CommandError(f"no worker heartbeat within {limit} s (last: {last})")
            self.stdout.write(f"worker alive (last heartbeat {last:%H:%M:%S})")
            return
        holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        if options["once"]:
            self._tick(holder)
            return

        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            logger.info("worker %s: stopping after the current tick", holder)
            stop.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        logger.info(
            "worker %s: started; queues: %s; periodic: %s",
            holder,
            ", ".join(jobs.registry.queues) or "-",
            ", ".join(jobs.registry.periodics) or "-",
        )
        listener = jobs.WakeListener()
        try:
            while not stop.is_set():
                # Drop connections that are too old or broken (a database restart) before the
                # tick uses them; Django does this around each web request, we around each tick.
                close_old_connections()
                # Idle: on PostgreSQL, NOTIFY from a new row wakes us at once (jobs.py).
                if self._tick(holder) == 0:
                    if listener.available:
                        listener.wait(interval, stop)
                    else:
                        stop.wait(interval)
        finally:
            listener.close()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            close_old_connections()
        logger.info("worker %s: stopped", holder)

    def _tick(self, holder: str) -> int:
        """One pass over the registry; returns the number of rows handled (0 means idle)."""
        now = time.monotonic()
        if now - getattr(self, "_heartbeat_at", -HEARTBEAT_SECONDS) >= HEARTBEAT_SECONDS:
            try:
                # /readyz turns unhealthy when no worker has written this for a while.
                ops.heartbeat_write(holder)
                self._heartbeat_at = now
            except Exception:
                logger.exception("worker %s: heartbeat failed", holder)
        try:
            handled = jobs.worker_tick(holder=holder)
        except Exception:
            # worker_tick already contains each job's failure; this is the last guard, so that
            # nothing (a lost database, say) ends the worker — the next tick tries again.
            logger.exception("worker %s: tick failed", holder)
            return 0
        for name, count in handled.items():
            if count:
                logger.info("%s: handled %d", name, count)
        return sum(handled.values())
