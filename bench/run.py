"""Serve Supportal the production way and measure every page over HTTP with wrk.

Usage (the database must have been filled by ``bench.generate``)::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_100k .venv/bin/python -m bench.run
    .venv/bin/python -m bench.run --duration 5 --reps 1 --only "agent queue" --only hello

gunicorn with ``--workers`` sync workers (2) serves ``bench.wsgi`` (the product's URLs plus
``/bench/hello/``, DEBUG off, persistent database connections) on 127.0.0.1. The runner logs in
through the log-in form as the generator's customer, company admin and agent, checks every page
once, then runs wrk (one thread; 1 connection for light load, then 2 for load) on each page in
turn, ``--reps`` times interleaved, with a short warm-up before each measured run. It prints the
medians and writes every run to var/bench/http-<label>-<time>.json. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).with_name("wrk.lua")
HOST = "127.0.0.1"


@dataclass
class Page:
    name: str
    role: str | None  # whose session: customer, company_admin, agent; None: anonymous
    paths: list[str]
    method: str = "GET"
    body: str | None = None  # form body; "{n}" unique per request
    expect: str = "2"  # status class counted as success
    content_type: str = ""  # a JSON body (the API): its content type; else a form
    single_ms: float = 0.0  # the pre-flight request's time
    runs: dict[int, list[dict]] = field(default_factory=dict)  # connections -> wrk results


# Log-ins --------------------------------------------------------------------------------------


class Session:
    """A browser-like session against the server: cookies, CSRF, the log-in form."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.timeout = 180.0

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                cookie_name, _, rest = value.partition("=")
                self.cookies[cookie_name.strip()] = rest.split(";", 1)[0]
        connection.close()
        return response.status, response.getheader("Location") or "", text

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items() if value)

    def login(self, email: str, password: str) -> None:
        status, _location, page = self.request("GET", "/login/")
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or not match:
            raise SystemExit(f"GET /login/ answered {status} without a CSRF token")
        form = {"csrfmiddlewaretoken": match.group(1), "username": email, "password": password}
        status, _location, _page = self.request("POST", "/login/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"log-in as {email} failed ({status}); was the database generated?")


# The pages ------------------------------------------------------------------------------------


def pages_plan(sample_seed: int = 7) -> list[Page]:
    """The pages of issue 12's table, with rotating paths read from the generated database."""
    from bench.generate import LOGIN_AGENT, LOGIN_CUSTOMER
    from bench.words import COMMON_WORD, RARE_WORD
    from supportal.desks.models import Desk
    from supportal.tickets.models import Ticket
    from supportal.tickets.workflow import OPEN_STATUSES

    rng = random.Random(sample_seed)
    desk = Desk.objects.get(key="HELP")
    request_type = desk.request_types.order_by("position").first()
    product = desk.products.order_by("pk").first()
    own = list(
        Ticket.objects.filter(requester__email=LOGIN_CUSTOMER).values_list("reference", flat=True)
    )
    agent_desks = Desk.objects.filter(memberships__user__email=LOGIN_AGENT)
    top = Ticket.objects.filter(desk__in=agent_desks).order_by("-pk").values("pk")[:1].get()["pk"]
    sample_ids = [rng.randint(1, top) for _ in range(600)]
    anywhere = list(
        Ticket.objects.filter(pk__in=sample_ids, desk__in=agent_desks).values_list(
            "reference", flat=True
        )[:200]
    )
    open_ones = list(
        Ticket.objects.filter(pk__in=sample_ids, desk=desk, status__in=OPEN_STATUSES).values_list(
            "reference", flat=True
        )[:100]
    )
    if not open_ones:
        open_ones = list(
            Ticket.objects.filter(desk=desk, status__in=OPEN_STATUSES)
            .order_by("-pk")
            .values_list("reference", flat=True)[:100]
        )
    new_request = urlencode(
        {
            "summary": "Bench request {n}",
            "details": "Comanda nu ajunge in depozit; va rog verificati.",
            "request_type": request_type.pk,
            "product": product.pk if product else "",
        },
        safe="{}",
    )
    reply = urlencode(
        {"body": "Am verificat comanda {n}.", "visibility": "public", "token": "bench-{n}"},
        safe="{}",
    )
    # The ceiling first and the slowest pages last: a request wrk abandons at the end of a run
    # still occupies a worker, and must not slow the next page down.
    return [
        Page("hello (ceiling)", None, ["/bench/hello/"]),
        Page("agent queue", "agent", ["/agent/"]),
        Page(
            "queue: desk + status", "agent", [f"/agent/?view=all&desk={desk.pk}&status=in_progress"]
        ),
        Page("queue counts", "agent", ["/agent/counts/"]),
        Page("SLA at risk", "agent", ["/agent/?view=at_risk"]),
        Page("agent ticket page", "agent", [f"/agent/tickets/{r}/" for r in anywhere]),
        Page("customer list", "customer", ["/"]),
        Page("company list (biggest)", "company_admin", ["/?who=company"]),
        Page("awaiting your reply", "customer", ["/awaiting/"]),
        Page("customer request page", "customer", [f"/requests/{r}/" for r in own]),
        Page(
            "create a request",
            "customer",
            [f"/requests/new/?desk={desk.key}"],
            method="POST",
            body=new_request,
            expect="3",
        ),
        Page(
            "post a comment (agent)",
            "agent",
            [f"/agent/tickets/{r}/comment/" for r in open_ones],
            method="POST",
            body=reply,
            expect="3",
        ),
        Page("agent search: specific", "agent", [f"/agent/?view=all&q={RARE_WORD}"]),
        Page("customer search", "customer", [f"/?status=any&q={COMMON_WORD}"]),
        Page("agent search: common", "agent", [f"/agent/?view=all&q={COMMON_WORD}"]),
    ]


def api_pages_plan() -> list[Page]:
    """The REST API's list, detail and create beside the pages (docs/api.md): requested with an
    API token of the generator's agent and customer (roles ``api_agent``, ``api_customer``).
    Measured in process (bench/inprocess.py); the HTTP runner drives browser sessions only."""
    from bench.generate import LOGIN_AGENT, LOGIN_CUSTOMER
    from supportal.desks.models import Desk
    from supportal.tickets.models import Ticket

    desk = Desk.objects.get(key="HELP")
    agent_desks = Desk.objects.filter(memberships__user__email=LOGIN_AGENT)
    anywhere = list(
        Ticket.objects.filter(desk__in=agent_desks)
        .order_by("-pk")
        .values_list("reference", flat=True)[:50]
    )
    own = list(
        Ticket.objects.filter(requester__email=LOGIN_CUSTOMER)
        .order_by("-pk")
        .values_list("reference", flat=True)[:50]
    )
    create = json.dumps(
        {"desk": desk.key, "summary": "Bench API request {n}", "details": "Comanda lipsește."}
    )
    return (
        [
            Page("API: ticket list (agent)", "api_agent", ["/api/v1/tickets?limit=50"]),
            Page("API: ticket list (customer)", "api_customer", ["/api/v1/tickets?limit=50"]),
            Page(
                "API: ticket detail (agent)",
                "api_agent",
                [f"/api/v1/tickets/{r}" for r in anywhere],
            ),
            Page(
                "API: create a request",
                "api_customer",
                ["/api/v1/tickets"],
                method="POST",
                body=create,
                content_type="application/json",
            ),
        ]
        if own
        else []
    )


# The server -----------------------------------------------------------------------------------


def server_start(port: int, workers: int, log_path: Path) -> subprocess.Popen:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="bench.settings", DEBUG="0")
    env.setdefault("SECRET_KEY", "bench-server-not-a-secret-" + "x" * 40)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "bench.wsgi:application",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "300",
        "--error-logfile",
        str(log_path),
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if Session(port).request("GET", "/bench/hello/")[0] == 200:
                return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"the server did not start; see {log_path}")


def server_memory(server: subprocess.Popen) -> dict[str, float]:
    """RSS in MiB of the master and each worker (Linux /proc)."""
    sizes = {}
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    pids = (
        [server.pid, *(int(p) for p in children.read_text().split())] if children.exists() else []
    )
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        rss = re.search(r"VmRSS:\s+(\d+) kB", status)
        sizes[str(pid)] = round(int(rss.group(1)) / 1024, 1) if rss else 0.0
    return sizes


# wrk ------------------------------------------------------------------------------------------


def wrk_run(page: Page, session: dict[str, str], port: int, *, connections: int, seconds: float):
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        spec = Path(folder) / "spec.tsv"
        out = Path(folder) / "out.json"
        lines = [f"method\t{page.method}", f"expect\t{page.expect}"]
        if session:
            cookie = "; ".join(f"{k}={v}" for k, v in session.items())
            lines.append(f"header\tCookie: {cookie}")
            lines.append(f"header\tX-CSRFToken: {session.get('csrftoken', '')}")
        if page.body:
            token = session.get("csrftoken", "")
            lines.append(f"body\t{page.body}&csrfmiddlewaretoken={token}")
        lines += [f"path\t{path}" for path in page.paths]
        spec.write_text("\n".join(lines) + "\n")
        env = dict(os.environ, BENCH_SPEC=str(spec), BENCH_OUT=str(out))
        command = [
            shutil.which("wrk") or "/usr/bin/wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "60s",
            "-s",
            str(LUA),
            f"http://{HOST}:{port}",
        ]
        subprocess.run(command, env=env, check=True, capture_output=True)  # noqa: S603
        return json.loads(out.read_text())


def single_request(page: Page, session: Session) -> tuple[int, str, float]:
    """One request of the page: its status, redirect and time in ms."""
    body = None
    if page.body:
        body = dict(parse_qsl(page.body.replace("{n}", str(time.time_ns()))))
        body["csrfmiddlewaretoken"] = session.cookies.get("csrftoken", "")
    began = time.monotonic()
    status, location, _text = session.request(page.method, page.paths[0], body)
    return status, location, (time.monotonic() - began) * 1000


def preflight(pages: list[Page], sessions: dict[str | None, Session]) -> None:
    """Every page once: a page that answers the wrong status is not measured. A page slower than
    a second is asked once more and its faster time kept: the first request a freshly started
    worker serves also pays for what the process reads once (templates, the desks' choices)."""
    problems = []
    for page in pages:
        began = time.monotonic()
        try:
            status, location, page.single_ms = single_request(page, sessions[page.role])
            if page.single_ms > 1000:
                status, location, again_ms = single_request(page, sessions[page.role])
                page.single_ms = min(page.single_ms, again_ms)
        except TimeoutError:
            page.single_ms = (time.monotonic() - began) * 1000
            print(f"{page.name}: no answer within {page.single_ms / 1000:.0f} s", flush=True)
            continue
        if str(status)[0] != page.expect or "/login/" in location:
            problems.append(f"{page.name}: {page.method} {page.paths[0]} -> {status} {location}")
    if problems:
        raise SystemExit("pages that do not answer as expected:\n  " + "\n  ".join(problems))


def too_slow(page: Page, seconds: float) -> bool:
    """A page whose single request outlasts a run is not load-tested: wrk would abandon its
    requests at the end of the run while they still hold a worker, slowing the next page."""
    return page.single_ms > seconds * 1000


def median_of(runs: list[dict]) -> dict:
    """Medians of the runs in which a request finished: wrk reports a run without an answer
    (the server starved of CPU on a shared machine) as 0 ms, which would pull the medians
    down; such runs are counted in ``unanswered`` instead."""
    answered = [r for r in runs if r["requests"]]
    if not answered:
        return {"unanswered": len(runs)} if runs else {}
    return {
        "rps": statistics.median(r["rps"] for r in answered),
        "p50": statistics.median(r["ms"]["p50"] for r in answered),
        "p95": statistics.median(r["ms"]["p95"] for r in answered),
        "p99": statistics.median(r["ms"]["p99"] for r in answered),
        "bad": sum(r["bad"] + r["socket_errors"] for r in runs),
        "unanswered": len(runs) - len(answered),
    }


def _unanswered(medians: dict) -> str:
    count = medians.get("unanswered", 0)
    return f"{count} run{'s' if count != 1 else ''} without an answer" if count else ""


def table(pages: list[Page], levels: list[int]) -> str:
    hello = next((p for p in pages if p.role is None and "hello" in p.name), None)
    top = max(levels)
    hello_rps = median_of(hello.runs.get(top, [])).get("rps") if hello else None
    header = "| page |"
    rule = "| --- |"
    for level in levels:
        header += f" {level} conn req/s | p50 / p95 / p99 ms |"
        rule += " ---: | ---: |"
    header += " % of hello |"
    rule += " ---: |"
    lines = [header, rule]
    for page in pages:
        line = f"| {page.name} |"
        if not any(page.runs.values()) and page.single_ms:
            lines.append(line + f" one request: {page.single_ms:,.0f} ms (too slow to load) |")
            continue
        for level in levels:
            m = median_of(page.runs.get(level, []))
            if "rps" not in m:
                line += f" {_unanswered(m)} | |"
                continue
            flag = f" ({m['bad']} bad)" if m["bad"] else ""
            flag += f" ({_unanswered(m)})" if m["unanswered"] else ""
            line += (
                f" {m['rps']:,.1f}{flag} | {m['p50']:,.0f} / {m['p95']:,.0f} / {m['p99']:,.0f} |"
            )
        m = median_of(page.runs.get(top, []))
        share = f"{100 * m['rps'] / hello_rps:.0f}%" if "rps" in m and hello_rps else ""
        lines.append(line + f" {share} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--duration", type=float, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each run")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions")
    parser.add_argument("--connections", default="1,2", help="load levels, e.g. 1,2")
    parser.add_argument("--only", action="append", help="measure only pages with this name")
    parser.add_argument("--skip", action="append", help="leave out pages with this name")
    parser.add_argument("--label", default="", help="names the JSON file (e.g. postgres-100k)")
    parser.add_argument("--out", default=str(ROOT / "var" / "bench"))
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.connections.split(",") if c]

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("SECRET_KEY", "bench-server-not-a-secret-" + "x" * 40)
    import django

    django.setup()
    from django.db import connection

    from bench.generate import BENCH_PASSWORD, LOGIN_AGENT, LOGIN_COMPANY_ADMIN, LOGIN_CUSTOMER

    pages = pages_plan()
    if args.only:
        pages = [p for p in pages if any(o.lower() in p.name.lower() for o in args.only)]
    if args.skip:
        pages = [p for p in pages if not any(o.lower() in p.name.lower() for o in args.skip)]
    vendor = connection.vendor
    from supportal.tickets.models import Ticket

    tickets = Ticket.objects.count()
    connection.close()

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%SZ", time.gmtime())
    server = server_start(args.port, args.workers, out_dir / f"gunicorn-{stamp}.log")
    try:
        sessions: dict[str | None, Session] = {None: Session(args.port)}
        for role, email in (
            ("customer", LOGIN_CUSTOMER),
            ("company_admin", LOGIN_COMPANY_ADMIN),
            ("agent", LOGIN_AGENT),
        ):
            sessions[role] = Session(args.port)
            sessions[role].login(email, BENCH_PASSWORD)
        preflight(pages, sessions)
        memory_before = server_memory(server)
        began = time.monotonic()
        for rep in range(args.reps):
            for level in levels:
                for page in pages:
                    if too_slow(page, args.duration):
                        continue
                    cookies = sessions[page.role].cookies
                    if args.warmup > 0:
                        wrk_run(page, cookies, args.port, connections=level, seconds=args.warmup)
                    result = wrk_run(
                        page, cookies, args.port, connections=level, seconds=args.duration
                    )
                    page.runs.setdefault(level, []).append(result)
                    if not result["requests"]:
                        print(f"rep {rep + 1}/{args.reps} c{level} {page.name:<26} no answer")
                        continue
                    print(
                        f"rep {rep + 1}/{args.reps} c{level} {page.name:<26} "
                        f"{result['rps']:8.1f} req/s  p50 {result['ms']['p50']:8.1f} ms  "
                        f"p95 {result['ms']['p95']:8.1f} ms"
                        + (
                            f"  {result['bad']} bad ({result['first_bad_status']})"
                            if result["bad"]
                            else ""
                        ),
                        flush=True,
                    )
        memory_after = server_memory(server)
    finally:
        server.terminate()
        server.wait(timeout=60)

    summary = table(pages, levels)
    print()
    print(
        f"{tickets:,} tickets on {vendor}; {args.workers} gunicorn workers; medians of {args.reps}"
    )
    print(summary)
    label = args.label or f"{vendor}-{tickets}"
    result = {
        "label": label,
        "vendor": vendor,
        "tickets": tickets,
        "workers": args.workers,
        "duration": args.duration,
        "reps": args.reps,
        "levels": levels,
        "started": stamp,
        "seconds": round(time.monotonic() - began),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        "worker_rss_mib": {"before": memory_before, "after": memory_after},
        "pages": [
            {
                "name": p.name,
                "method": p.method,
                "paths": len(p.paths),
                "single_ms": round(p.single_ms, 1),
                "median": {str(level): median_of(p.runs.get(level, [])) for level in levels},
                "runs": {str(level): p.runs.get(level, []) for level in levels},
            }
            for p in pages
        ],
        "table": summary,
    }
    path = out_dir / f"http-{label}-{stamp}.json"
    path.write_text(json.dumps(result, indent=1))
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
