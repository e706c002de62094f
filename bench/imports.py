"""Measure the import: requests per second from a generated source (20 comments and 2 files
each by default) and the process's memory as the history grows (docs/import.md).

    SECRET_KEY=x .venv/bin/python -m bench.imports --requests 500
    SECRET_KEY=x DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_import \\
        .venv/bin/python -m bench.imports --requests 500

It migrates a fresh database (SQLite: var/bench-import.sqlite3, removed first; PostgreSQL: the
database named, emptied first), stores files under a temporary directory, imports in one run
and prints, every ``--every`` requests, the rate so far and the resident memory.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _rss_mb() -> float:
    """The process's own resident memory now (not the peak): /proc's RssAnon, which leaves
    out mapped files — SQLite maps its database file (PRAGMA mmap_size), and the pages of a
    growing database are not the importer's memory."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1000
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--comments", type=int, default=20)
    parser.add_argument("--attachments", type=int, default=2)
    parser.add_argument("--every", type=int, default=100)
    args = parser.parse_args()

    sqlite = ROOT / "var" / "bench-import.sqlite3"
    if "DATABASE_URL" not in os.environ:
        sqlite.unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{sqlite}"
    media = tempfile.mkdtemp(prefix="bench-import-")
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if not os.environ["DATABASE_URL"].startswith("sqlite"):
        call_command("flush", interactive=False, verbosity=0)  # a database used before
    from supportal.desks.models import Desk
    from supportal.imports.records import Request
    from supportal.imports.sources.generated import GeneratedSource
    from supportal.imports.writer import ImportWriter

    desk = Desk.objects.create(name="Helpdesk", key="HELP")
    source = GeneratedSource(
        requests=args.requests, comments=args.comments, attachments=args.attachments
    )
    writer = ImportWriter(source=source.name, desk=desk, statuses=source.statuses)
    started = time.perf_counter()
    cpu_started = time.process_time()
    done = 0
    print(f"database: {django.db.connection.vendor}; start rss {_rss_mb():.0f} MB")

    def counted():
        nonlocal done
        for record in source.records():
            yield record
            if isinstance(record, Request):
                done += 1
                if done % args.every == 0:
                    rate = done / (time.perf_counter() - started)
                    print(f"{done:>7} requests  {rate:6.1f} req/s  rss {_rss_mb():6.0f} MB")

    writer.write_all(counted())
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(
        f"total: {done} requests, {args.comments} comments and {args.attachments} files each, "
        f"in {elapsed:.1f} s = {done / elapsed:.1f} requests/s; "
        f"100,000 requests would take {100_000 / (done / elapsed) / 60:.0f} min; "
        f"this process's CPU: {cpu / done * 1000:.0f} ms per request"
    )
    shutil.rmtree(media, ignore_errors=True)


if __name__ == "__main__":
    main()
