"""Hold many live connections against the production server and measure what they cost.

Usage (Redis for the stream; any database, SQLite by default in var/bench/live.sqlite3)::

    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python -m bench.live --connections 200
    REDIS_URL=... DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_live \\
        .venv/bin/python -m bench.live --connections 200 --events 20 --poll

``manage.py run_web`` (gunicorn with ``--workers`` uvicorn workers, as in production) serves the
project on 127.0.0.1. The script makes an agent of one desk and a customer, opens
``--connections`` server-sent event streams as that agent (``/agent/live/``), measures the
server's memory (the resident size of gunicorn and its workers) and CPU while they only wait,
then creates ``--events`` requests one by one, as a customer would (the ticket service in this
process; the notice goes through Redis after the commit), and records when each stream hears
each one: the delivery delay from the commit. With ``--poll`` it then measures the fallback
instead: the same number of pages polling ``/agent/live/last/`` every second. It prints the
figures and writes them to var/bench/live-<time>.json. See docs/workspace.md (Live updates).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TICKS = os.sysconf("SC_CLK_TCK")


def setup_django(database_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()


def world() -> tuple[str, str]:
    """An agent of the desk LIVE (a session cookie for them) and its customer's e-mail."""
    from django.core.management import call_command

    from supportal.accounts.models import User
    from supportal.desks.models import Desk, DeskMembership, DeskRole

    call_command("migrate", verbosity=0)
    desk, _ = Desk.objects.get_or_create(key="LIVE", defaults={"name": "Live bench"})
    agent, _ = User.objects.get_or_create(
        email="bench.agent@example.com", defaults={"first_name": "Bench", "is_agent": True}
    )
    DeskMembership.objects.get_or_create(desk=desk, user=agent, defaults={"role": DeskRole.AGENT})
    User.objects.get_or_create(email="bench.customer@example.com", defaults={"first_name": "B"})
    from django.test import Client

    client = Client()
    client.force_login(agent)
    return client.cookies["sessionid"].value, "bench.customer@example.com"


def server_start(port: int, workers: int, env: dict[str, str]) -> subprocess.Popen:
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "run_web",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            import http.client

            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", "/login/")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise SystemExit("the server did not come up")


def _processes(root: int) -> list[int]:
    """The server's process and its children (gunicorn's workers)."""
    pids = [root]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == root:
                pids.append(int(entry.name))
    return pids


def server_usage(root: int) -> tuple[float, float]:
    """(resident memory in MiB, CPU seconds used so far) of the server's processes."""
    rss = cpu = 0.0
    for pid in _processes(root):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        rss += next(
            int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")
        )
        cpu += (int(fields[11]) + int(fields[12])) / TICKS
    return rss / 1024, cpu


class Listener:
    """One EventSource-like connection: when each event id arrived."""

    def __init__(self) -> None:
        self.heard: dict[int, float] = {}
        self.status = 0
        self.task: asyncio.Task[None] | None = None

    async def run(self, port: int, cookie: str, opened: asyncio.Event) -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        writer.write(
            (
                f"GET /agent/live/ HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
                f"Cookie: sessionid={cookie}\r\nAccept: text/event-stream\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        self.status = int((await reader.readline()).split()[1])
        opened.set()
        try:
            while line := await reader.readline():
                if line.startswith(b"id: "):
                    self.heard.setdefault(int(line[4:]), time.monotonic())
        finally:
            writer.close()


async def hold_and_deliver(args: argparse.Namespace, cookie: str, customer: str, pid: int):
    from asgiref.sync import sync_to_async

    base_rss, _ = server_usage(pid)
    listeners = [Listener() for _ in range(args.connections)]
    began = time.monotonic()
    for listener in listeners:
        opened = asyncio.Event()
        listener.task = asyncio.create_task(listener.run(args.port, cookie, opened))
        await asyncio.wait_for(opened.wait(), 30)
    open_seconds = time.monotonic() - began
    refused = sum(1 for listener in listeners if listener.status != 200)
    await asyncio.sleep(2)
    held_rss, cpu0 = server_usage(pid)
    await asyncio.sleep(args.hold)
    _, cpu1 = server_usage(pid)
    idle_cpu = (cpu1 - cpu0) / args.hold

    committed: dict[int, float] = {}
    cpu_before = server_usage(pid)[1]
    started = time.monotonic()
    for n in range(args.events):
        event_id, at = await sync_to_async(create_request, thread_sensitive=True)(customer, n)
        committed[event_id] = at
        await asyncio.sleep(args.interval)
    await asyncio.sleep(2)
    busy_cpu = (server_usage(pid)[1] - cpu_before) / (time.monotonic() - started)
    delays = [
        (listener.heard[event_id] - at) * 1000
        for listener in listeners
        for event_id, at in committed.items()
        if event_id in listener.heard
    ]
    expected = len(listeners) * len(committed)
    for listener in listeners:
        if listener.task:
            listener.task.cancel()
    return {
        "connections": args.connections,
        "workers": args.workers,
        "refused": refused,
        "open_seconds": round(open_seconds, 2),
        "rss_mib_before": round(base_rss, 1),
        "rss_mib_holding": round(held_rss, 1),
        "kib_per_connection": round((held_rss - base_rss) * 1024 / args.connections, 1),
        "cpu_idle_percent": round(idle_cpu * 100, 2),
        "cpu_delivering_percent": round(busy_cpu * 100, 1),
        "events": len(committed),
        "delivered": f"{len(delays)}/{expected}",
        "delay_ms_p50": round(statistics.median(delays), 1) if delays else None,
        "delay_ms_p95": round(_percentile(delays, 95), 1) if delays else None,
        "delay_ms_max": round(max(delays), 1) if delays else None,
        "database_connections": await sync_to_async(database_connections)(),
    }


def _percentile(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def create_request(customer_email: str, n: int) -> tuple[int, float]:
    """A customer's new request; the commit's moment and its Created event's id."""
    from supportal.accounts.models import User
    from supportal.desks.models import Desk
    from supportal.tickets import services

    customer = User.objects.get(email=customer_email)
    ticket = services.ticket_create(
        desk=Desk.objects.get(key="LIVE"),
        requester=customer,
        actor=customer,
        summary=f"Bench request {n}",
        details="Held connections, delivered notices.",
    )
    return ticket.events.order_by("-id").values_list("id", flat=True)[0], time.monotonic()


def database_connections() -> int | None:
    """Connections to the database other than this script's (PostgreSQL only)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


async def poll(args: argparse.Namespace, cookie: str, pid: int) -> dict[str, object]:
    """The fallback: ``--connections`` pages asking for the last event id every second."""
    latencies: list[float] = []
    failures = 0

    async def page() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(HOST, args.port)
        etag = ""
        try:
            while True:
                began = time.monotonic()
                writer.write(
                    (
                        f"GET /agent/live/last/ HTTP/1.1\r\nHost: {HOST}:{args.port}\r\n"
                        f"Cookie: sessionid={cookie}\r\nIf-None-Match: {etag}\r\n\r\n"
                    ).encode()
                )
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b": ")
                    if name.lower() == b"content-length":
                        length = int(value)
                    if name.lower() == b"etag":
                        etag = value.decode()
                if length:
                    await reader.readexactly(length)
                if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.1 304")):
                    failures += 1
                latencies.append((time.monotonic() - began) * 1000)
                await asyncio.sleep(max(0.0, 1.0 - (time.monotonic() - began)))
        finally:
            writer.close()

    tasks = []
    for _ in range(args.connections):
        tasks.append(asyncio.create_task(page()))
        await asyncio.sleep(1.0 / args.connections)  # spread over one second, as pages are
    await asyncio.sleep(3)
    latencies.clear()
    cpu0 = server_usage(pid)[1]
    await asyncio.sleep(args.hold)
    cpu = (server_usage(pid)[1] - cpu0) / args.hold
    rate = len(latencies) / args.hold
    for task in tasks:
        task.cancel()
    return {
        "pollers": args.connections,
        "requests_per_second": round(rate, 1),
        "cpu_percent": round(cpu * 100, 1),
        "latency_ms_p50": round(statistics.median(latencies), 1) if latencies else None,
        "latency_ms_p95": round(_percentile(latencies, 95), 1) if latencies else None,
        "failures": failures,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=18700)
    parser.add_argument("--hold", type=float, default=10.0, help="seconds measured idle")
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between events")
    parser.add_argument("--poll", action="store_true", help="measure the polling fallback too")
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("REDIS_URL: the stream needs Redis (redis://127.0.0.1:6379/<db>)")
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT}/var/bench/live.sqlite3"
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("SECRET_KEY", "bench-server-not-a-secret-" + "x" * 40)
    setup_django(database_url)
    cookie, customer = world()
    env = dict(
        os.environ, DATABASE_URL=database_url, SUPPORTAL_BASE_URL=f"http://{HOST}:{args.port}"
    )
    server = server_start(args.port, args.workers, env)
    try:
        result: dict[str, object] = {
            "stream": asyncio.run(hold_and_deliver(args, cookie, customer, server.pid))
        }
        if args.poll:
            result["poll"] = asyncio.run(poll(args, cookie, server.pid))
    finally:
        server.terminate()
        server.wait(timeout=60)
    result["database"] = database_url.split("://")[0]
    result["cpus"] = os.cpu_count()
    print(json.dumps(result, indent=2))
    out = (
        ROOT / "var" / "bench" / f"live-{args.label or 'run'}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    )
    out.write_text(json.dumps(result, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
