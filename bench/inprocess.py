"""In-process figures on a generated database: SQL queries and time per page, the SLA sweep,
inbound e-mail and ticket creation throughput, and this process's memory.

    DATABASE_URL=... .venv/bin/python -m bench.inprocess            # all figures
    DATABASE_URL=... .venv/bin/python -m bench.inprocess --check    # CI: fail on more queries
    DATABASE_URL=... .venv/bin/python -m bench.inprocess --update   # accept the counts
    DATABASE_URL=... .venv/bin/python -m bench.inprocess --mail-only --mail-workers 1,2,4

Pages are requested with Django's test client (the same URLs as bench/run.py, logged in as the
generator's users); each page's queries are counted with CaptureQueriesContext. ``--check``
compares them with bench/expected_queries.json and exits 1 when a page runs more queries than
committed there (fewer is fine: commit the lower count with ``--update``). Timings are printed,
never asserted: the machines are noisy. The SLA sweeps run in a transaction that is rolled back;
the e-mail intake (in this process, then with 1, 2 and 4 worker processes at once on
PostgreSQL) and the ticket creations are committed (they add rows to the bench database, as the
HTTP runner's POSTs do). Results go to var/bench/inprocess-<label>-<time>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
EXPECTED = Path(__file__).with_name("expected_queries.json")


class _Rollback(Exception):
    pass


def _median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def page_figures(pages, *, repeat: int) -> dict[str, dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench.generate import LOGIN_AGENT, LOGIN_COMPANY_ADMIN, LOGIN_CUSTOMER
    from supportal.accounts.models import ApiTokenScope, User
    from supportal.accounts.services import api_token_create

    clients = {None: Client(HTTP_HOST="127.0.0.1")}
    for role, email in (
        ("customer", LOGIN_CUSTOMER),
        ("company_admin", LOGIN_COMPANY_ADMIN),
        ("agent", LOGIN_AGENT),
    ):
        clients[role] = Client(HTTP_HOST="127.0.0.1")
        clients[role].force_login(User.objects.get(email=email))
    for role, email in (("api_agent", LOGIN_AGENT), ("api_customer", LOGIN_CUSTOMER)):
        _token, secret = api_token_create(
            user=User.objects.get(email=email),
            name=f"bench {time.time_ns()}",
            scope=ApiTokenScope.WRITE,
        )
        clients[role] = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {secret}")
    # One cheap page per session first: what every first request loads once (translations,
    # URL resolvers, templates) is then loaded, so even a page's first request counts alike.
    for role, client in clients.items():
        client.get(
            "/bench/hello/"
            if role is None
            else "/agent/counts/"
            if role == "agent"
            else "/api/v1/desks"
            if role and role.startswith("api_")
            else "/awaiting/"
        )
    # And each page read once: what a process keeps once it has read it (the desks' choices,
    # docs/performance.md "Fifth round") is then kept, as in a server that has run a while.
    for page in pages:
        if page.method == "GET":
            clients[page.role].get(page.paths[0])
    figures = {}
    for page in pages:
        client = clients[page.role]
        counts, timings = [], []
        for n in range(repeat):
            path = page.paths[n % len(page.paths)]
            data: dict | str | None = None
            if page.body and page.content_type:
                data = page.body.replace("{n}", str(time.time_ns()))
            elif page.body:
                data = dict(parse_qsl(page.body.replace("{n}", str(time.time_ns()))))
            began = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                post = page.method == "POST"
                if post and page.content_type:
                    response = client.post(path, data, content_type=page.content_type)
                else:
                    response = client.post(path, data) if post else client.get(path)
            elapsed = time.perf_counter() - began
            if str(response.status_code)[0] != page.expect:
                raise SystemExit(f"{page.name}: {path} answered {response.status_code}")
            counts.append(len(queries))
            timings.append(elapsed)
        figures[page.name] = {
            "queries": max(counts),
            "queries_min": min(counts),
            "ms_median": _median_ms(timings),
            "ms_max": round(max(timings) * 1000, 2),
        }
        print(
            f"  {page.name:<26} {max(counts):>4} queries  {_median_ms(timings):>9.1f} ms median",
            flush=True,
        )
    return figures


def sweep_figures(due_count: int = 1000) -> dict[str, float]:
    """The sweep with nothing due, then with ``due_count`` breaches due (made due in a
    transaction that is rolled back: running clocks given a deadline a minute ago)."""
    from django.db import transaction
    from django.utils import timezone

    from supportal.sla.models import Clock, ClockState
    from supportal.sla.sweeper import sla_sweep_due

    figures: dict[str, float] = {}
    first_due = (
        Clock.objects.filter(next_due_at__isnull=False)
        .order_by("next_due_at")
        .values_list("next_due_at", flat=True)
        .first()
    )
    nothing_at = (first_due or timezone.now()) - dt.timedelta(seconds=1)
    samples = []
    for _ in range(5):
        began = time.perf_counter()
        assert sla_sweep_due(now=nothing_at) == 0
        samples.append(time.perf_counter() - began)
    figures["sweep_nothing_due_ms"] = _median_ms(samples)
    now = timezone.now()
    try:
        with transaction.atomic():
            ids = list(
                Clock.objects.filter(state=ClockState.RUNNING, target_duration__isnull=False)
                .order_by("pk")
                .values_list("pk", flat=True)[:due_count]
            )
            Clock.objects.filter(pk__in=ids).update(
                deadline_at=now - dt.timedelta(minutes=1),
                warn_at=now - dt.timedelta(minutes=11),
                is_breached=False,
                is_warning_recorded=True,
                is_breach_recorded=False,
                next_due_at=now - dt.timedelta(minutes=1),
            )
            began = time.perf_counter()
            recorded = sla_sweep_due(now=now, limit=due_count)
            elapsed = time.perf_counter() - began
            figures[f"sweep_{len(ids)}_due_ms"] = round(elapsed * 1000, 1)
            figures["sweep_recorded"] = recorded
            raise _Rollback
    except _Rollback:
        pass
    return figures


def _mail(number: int, sender: str, to: str, subject: str) -> bytes:
    return (
        f"From: Client <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <bench-{number}-{time.time_ns()}@bench.example>\r\n"
        f"Date: {dt.datetime.now(dt.UTC):%a, %d %b %Y %H:%M:%S +0000}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Buna ziua,\r\n\r\nComanda {number} nu a ajuns in depozit. Va rog verificati.\r\n"
    ).encode()


def _mail_batch(count: int) -> tuple[str, list[bytes]]:
    """The desk's address and ``count`` messages to it: half open a request, half answer one
    of the bench customers' open requests by the reference in the subject."""
    from supportal.accounts.models import User
    from supportal.desks.models import Desk
    from supportal.tickets.models import Ticket

    desk = Desk.objects.get(key="HELP")
    # Other senders each run: the same ones run after run would reach the limit of new
    # requests a sender may open by mail in an hour, and be quarantined (a cheaper path).
    rng = random.Random(time.time_ns())
    customers = list(
        User.objects.filter(is_agent=False, is_superuser=False, organization__isnull=False)
        .order_by("pk")
        .values_list("email", flat=True)[:500]
    )
    open_tickets = list(
        Ticket.objects.filter(desk=desk, requester__email__in=customers)
        .exclude(status__in=["closed", "cancelled"])
        .values_list("reference", "requester__email")[:200]
    )
    messages = []
    for n in range(count):
        if n % 2 and open_tickets:
            reference, sender = rng.choice(open_tickets)
            subject = f"Re: [{reference}] Comanda"
        else:
            sender, subject = rng.choice(customers), f"Comanda {n} nu ajunge"
        messages.append(_mail(n, sender, desk.email_address, subject))
    return desk.email_address, messages


def _local_dns() -> None:
    """Sender authentication asks a DNS server on 127.0.0.1 that knows no name (the tests'
    own), never the network: the figure is the intake's, not the internet's."""
    from django.conf import settings

    from supportal.mail.testing import LocalDns

    settings.SUPPORTAL_MAIL_DNS_SERVERS = [LocalDns().address]


MAIL_WARM_UP = 6


def mail_figures(count: int) -> dict[str, float]:
    """Store + parse + thread + write, one message after the other in this process, as
    ``ingest_email`` does: half new requests, half answers to existing ones."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportal.mail.inbound import inbound_process_one, inbound_store
    from supportal.mail.models import InboundChannel

    _local_dns()
    address, messages = _mail_batch(count + MAIL_WARM_UP)
    for raw in messages[:MAIL_WARM_UP]:  # what a process does once (imports, translations)
        inbound_process_one(
            inbound_store(raw, channel=InboundChannel.SMTP, recipients=[address]).message.pk
        )
    messages = messages[MAIL_WARM_UP:]
    began = time.perf_counter()
    cpu = time.process_time()
    states: dict[str, int] = {}
    with CaptureQueriesContext(connection) as queries:
        for raw in messages:
            stored = inbound_store(raw, channel=InboundChannel.SMTP, recipients=[address])
            state = inbound_process_one(stored.message.pk).state
            states[str(state)] = states.get(str(state), 0) + 1
    elapsed = time.perf_counter() - began
    return {
        "mail_per_second": round(count / elapsed, 1),
        "mail_statements_per_message": round(len(queries) / count, 1),
        "mail_cpu_ms_per_message": round((time.process_time() - cpu) / count * 1000, 1),
        "mail_outcomes": states,
    }


def _intake_worker(messages: list[bytes], address: str, start, done) -> None:
    """One intake worker process: stores its share of the messages as the SMTP listener does
    and, after each, processes what is due as ``run_worker``'s queue ``mail.inbound`` does
    (claims of up to 20 with SKIP LOCKED, so the workers share each other's messages); then
    drains what is left. Reports its CPU time and the rows it processed."""
    from django.db import connections
    from django.utils import timezone

    from supportal.mail.inbound import inbound_process_due, inbound_store
    from supportal.mail.models import InboundChannel

    start.wait()
    cpu, handled = time.process_time(), 0
    for raw in messages:
        inbound_store(raw, channel=InboundChannel.SMTP, recipients=[address])
        handled += inbound_process_due(timezone.now())
    while processed := inbound_process_due(timezone.now()):
        handled += processed
    done.put((time.process_time() - cpu, handled))
    connections.close_all()


def mail_workers_figures(count: int, workers: int) -> dict[str, float]:
    """The whole intake with ``workers`` processes at once (forked from this one, each with
    its own connection): messages per second from the start to the last one processed, and
    the workers' CPU per message."""
    import multiprocessing

    from django.db import connections
    from django.db.models import Count

    from supportal.mail.models import InboundMessage, InboundState

    _local_dns()
    address, messages = _mail_batch(count)
    first = InboundMessage.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    connections.close_all()  # a forked child must open its own connection
    context = multiprocessing.get_context("fork")
    start, done = context.Barrier(workers + 1), context.Queue()
    children = [
        context.Process(target=_intake_worker, args=(messages[n::workers], address, start, done))
        for n in range(workers)
    ]
    for child in children:
        child.start()
    start.wait()
    began = time.perf_counter()
    reports = [done.get() for _child in children]
    elapsed = time.perf_counter() - began
    for child in children:
        child.join()
    states = dict(
        InboundMessage.objects.filter(pk__gt=first)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    if states.get(InboundState.RECEIVED) or sum(handled for _cpu, handled in reports) != count:
        raise SystemExit(f"intake with {workers} workers left messages behind: {states}")
    return {
        f"mail_{workers}_workers_per_second": round(count / elapsed, 1),
        f"mail_{workers}_workers_cpu_ms_per_message": round(
            sum(cpu for cpu, _handled in reports) / count * 1000, 1
        ),
    }


def create_figures(count: int) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from supportal.accounts.models import User
    from supportal.desks.models import Desk
    from supportal.tickets.services import ticket_create

    desk = Desk.objects.get(key="HELP")
    request_type = desk.request_types.order_by("position").first()
    customers = list(User.objects.filter(is_agent=False, is_superuser=False).order_by("pk")[:200])
    began = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        for n in range(count):
            requester = customers[n % len(customers)]
            ticket_create(
                desk=desk,
                requester=requester,
                actor=requester,
                summary=f"Bench request {n}",
                details="Comanda nu ajunge in depozit; va rog verificati.",
                request_type=request_type,
            )
    return {
        "tickets_created_per_second": round(count / (time.perf_counter() - began), 1),
        "create_statements_per_ticket": round(len(queries) / count, 1),
    }


def mail_report(count: int, workers: str) -> dict:
    """The intake in this process, then with each number of worker processes; printed."""
    figures = mail_figures(count)
    print(
        f"  inbound e-mail: {figures['mail_per_second']} per second,"
        f" {figures['mail_statements_per_message']} statements and"
        f" {figures['mail_cpu_ms_per_message']} ms of CPU each {figures['mail_outcomes']}"
    )
    for number in [int(n) for n in workers.split(",") if n.strip()]:
        figures.update(mail_workers_figures(count, number))
        print(
            f"  inbound e-mail, {number} worker processes:"
            f" {figures[f'mail_{number}_workers_per_second']} per second,"
            f" {figures[f'mail_{number}_workers_cpu_ms_per_message']} ms of CPU each",
            flush=True,
        )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail on more queries than expected")
    parser.add_argument("--update", action="store_true", help="write the counts as expected")
    parser.add_argument("--quick", action="store_true", help="pages only (the CI job)")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (quick: 2)")
    parser.add_argument("--mail", type=int, default=200, help="messages through the intake")
    parser.add_argument(
        "--mail-workers",
        default=None,
        help="the intake again with these numbers of worker processes (comma-separated; ''"
        " none); 1,2,4 on PostgreSQL, 1 on SQLite (one writer at a time)",
    )
    parser.add_argument("--mail-only", action="store_true", help="the e-mail intake figures only")
    parser.add_argument("--create", type=int, default=200, help="tickets through the service")
    parser.add_argument("--skip", action="append", help="leave out pages with this name")
    parser.add_argument("--label", default="")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"))
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("SECRET_KEY", "bench-inprocess-not-a-secret")
    os.environ.setdefault("DEBUG", "0")
    import django

    django.setup()
    from django.db import connection

    from bench.run import api_pages_plan, pages_plan
    from supportal.tickets.models import Ticket

    tickets = Ticket.objects.count()
    label = args.label or f"{connection.vendor}-{tickets}"
    print(f"{tickets:,} tickets on {connection.vendor}: queries and time per page")
    result: dict = {"label": label, "vendor": connection.vendor, "tickets": tickets}
    pages = [
        page
        for page in [*pages_plan(), *api_pages_plan()]
        if not any(skip.lower() in page.name.lower() for skip in args.skip or ())
    ]
    if args.mail_workers is None:
        args.mail_workers = "1,2,4" if connection.vendor == "postgresql" else "1"
    result["pages"] = (
        {} if args.mail_only else page_figures(pages, repeat=2 if args.quick else args.repeat)
    )
    if args.mail_only:
        result.update(mail_report(args.mail, args.mail_workers))
    elif not args.quick:
        result["sla"] = sweep_figures()
        print(f"  SLA sweep: {result['sla']}")
        result.update(mail_report(args.mail, args.mail_workers))
        result.update(create_figures(args.create))
        print(
            f"  tickets created: {result['tickets_created_per_second']} per second,"
            f" {result['create_statements_per_ticket']} statements each"
        )
    result["max_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(f"  this process's peak memory: {result['max_rss_mib']} MiB")

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%SZ", time.gmtime())
    (out / f"inprocess-{label}-{stamp}.json").write_text(json.dumps(result, indent=1))

    # The fewest queries of a page's requests: a session's periodic write (every few minutes)
    # lands on whichever request comes then, and is not the page's cost.
    counts = {name: figure["queries_min"] for name, figure in result["pages"].items()}
    if args.update:
        EXPECTED.write_text(json.dumps(counts, indent=1) + "\n")
        print(f"expected counts written to {EXPECTED}")
    if args.check:
        expected = json.loads(EXPECTED.read_text())
        # The committed counts are SQLite's (make bench-ci). On PostgreSQL a write runs one
        # statement more: the live updates' NOTIFY (docs/performance.md, "Query counts"); a
        # search up to two more: choosing its newest matches (docs/search.md).
        postgresql = connection.vendor == "postgresql"
        slack = {
            page.name: 0
            if not postgresql
            else 1
            if page.method != "GET"
            else 2
            if "search" in page.name
            else 0
            for page in pages
        }
        worse = [
            f"{name}: {count} queries, expected at most {expected.get(name)} (+{slack[name]})"
            for name, count in counts.items()
            if name not in expected or count > expected[name] + slack[name]
        ]
        if worse:
            print("query counts grew:\n  " + "\n  ".join(worse), file=sys.stderr)
            return 1
        print("query counts: none above bench/expected_queries.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
