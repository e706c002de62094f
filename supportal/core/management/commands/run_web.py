"""``manage.py run_web``: the production web server, configured from the settings.

gunicorn as the process manager (graceful restarts, a dead worker replaced, recycling after
``--max-requests``) with uvicorn workers speaking ASGI, so async views (live updates) hold a
connection without holding a process; docs/deploy.md gives the measurement behind the choice.
Before serving: static files are collected when their manifest is missing, and the database
cache table is created when several processes must share the database cache.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

logger = logging.getLogger("supportal.serve")


def default_workers() -> int:
    """WEB_CONCURRENCY when set, else two per CPU (sync views wait on the database)."""
    configured = os.environ.get("WEB_CONCURRENCY", "")
    if configured.isdigit() and int(configured) > 0:
        return int(configured)
    return 2 * (os.cpu_count() or 1)


def prepare(*, stdout: OutputWrapper | None = None) -> None:
    """Collect static files when the hashed-name manifest is missing (a fresh checkout); clear
    the temporary upload files a killed web process left (core/orphans.py: a web host of its
    own has no worker to do it)."""
    from supportal.core.orphans import upload_temp_files_sweep

    upload_temp_files_sweep()
    if not settings.SUPPORTAL_STATIC_MANIFEST:
        return
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        if stdout:
            stdout.write(f"Collecting static files into {settings.STATIC_ROOT} ...")
        call_command("collectstatic", interactive=False, verbosity=0)


def gunicorn_argv(*, bind: str, workers: int) -> list[str]:
    gunicorn = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    argv = [
        gunicorn,
        "config.asgi:application",
        "--worker-class",
        "uvicorn_worker.UvicornWorker",
        "--workers",
        str(workers),
        "--bind",
        bind,
        "--chdir",
        str(settings.BASE_DIR),
        # A worker that leaks memory or connections is replaced now and then, without a gap.
        "--max-requests",
        "2000",
        "--max-requests-jitter",
        "200",
        "--timeout",
        "60",
        "--graceful-timeout",
        "30",
        "--access-logfile",
        "-",
        # Several instances on one machine (tests, a second site) must not share one socket.
        "--no-control-socket",
    ]
    if settings.SUPPORTAL_TRUSTED_PROXY:
        # The proxy's X-Forwarded-For/-Proto are believed only with this setting on.
        argv += ["--forwarded-allow-ips", os.environ.get("FORWARDED_ALLOW_IPS", "*")]
    return argv


class Command(BaseCommand):
    help = "Serve Supportal with gunicorn and uvicorn workers (the production web server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind",
            default=f"127.0.0.1:{settings.PORT}",
            help="host:port or unix:/path (default 127.0.0.1:PORT).",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Web processes (default: WEB_CONCURRENCY, else two per CPU).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workers: int = options["workers"] or default_workers()
        if workers < 1:
            raise CommandError("--workers: must be at least 1")
        prepare(stdout=self.stdout)
        # The web processes read WEB_CONCURRENCY in their settings: several of them without
        # REDIS_URL share the database cache, whose table is made here.
        os.environ["WEB_CONCURRENCY"] = str(workers)
        # Under ASGI each request's sync code runs in a fresh thread, where a persistent
        # connection is never reused and piles up until PostgreSQL refuses clients (measured,
        # docs/deploy.md): no persistent connections, and Django's pool on PostgreSQL instead.
        os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
        if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
            os.environ.setdefault("DATABASE_POOL_MAX_SIZE", "4")
        if workers > 1 and not settings.REDIS_URL:
            self.stderr.write(
                f"REDIS_URL is not set and {workers} web processes will run: the cache (log-in"
                " throttle, presence, collision warnings) is kept in the database so they share"
                " it. Set REDIS_URL for a faster shared cache."
            )
            subprocess.run(  # noqa: S603
                [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "createcachetable"],
                check=True,
            )
        if settings.SUPPORTAL_METRICS and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
            # gunicorn's workers add up their request counts through files in this folder.
            os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="supportal-metrics-")
        argv = gunicorn_argv(bind=options["bind"], workers=workers)
        self.stdout.write(f"Serving on {options['bind']} with {workers} worker(s)")
        self.stdout.flush()
        sys.stderr.flush()
        os.execv(argv[0], argv)  # noqa: S606 - gunicorn replaces this process
