"""Beyond one machine, end to end (docs/deploy.md, "Growing past one machine"): two production
web processes and two workers, plus the SMTP listener, on one PostgreSQL database, one Redis and
an S3-compatible bucket (moto's server). Real traffic goes through both web processes and real
mail through the listener; every piece of background work must happen exactly once, also when a
worker is killed in the middle of a send.

The test makes a PostgreSQL database of its own on the server the suite uses (or
127.0.0.1:5432 when the suite runs on SQLite), so it runs in both runs of the suite.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import signal
import smtplib
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from supportal.core.tests.test_jobs import MANAGE, free_port
from supportal.core.tests.test_s3 import BUCKET, s3_endpoint  # noqa: F401 - a fixture

# The processes run on a PostgreSQL database of the test's own, whatever the suite's.
pytestmark = [pytest.mark.slow, pytest.mark.own_database]

REQUESTS_PER_WEB = 2
INBOUND_MAILS = 2
SLOW_MARK = "[slow-send]"
# Work claimed under a lease, which a killed worker leaves behind.
LEASED_TABLES = (
    "mail_outboundemail",
    "notifications_pendingnotification",
    "notifications_pendingslanotification",
)

# Run in a child process (manage.py shell) on the migrated database (the fixture's): the people,
# a 24/7 SLA policy.
SETUP = """
import datetime as dt, json
from supportal.conftest import cast_build
from supportal.accounts.models import User
from supportal.sla.models import Calendar, Policy
cast = cast_build()
User.objects.create_user("guessed-{tag}@example.com", password="parola123",
                         organization=cast.cristina_srl)
Policy.objects.create(
    name="Scale-out", desk=cast.help_desk, first_response_duration=dt.timedelta(hours=8),
    calendar=Calendar.objects.create(name="Always", is_always_open=True),
)
print(json.dumps({"product": cast.product.pk, "question": cast.question.pk}))
"""


class Sink:
    """The outside world's mail server: keeps every message it accepts. The first message whose
    subject carries SLOW_MARK is held before its answer until ``release`` — the moment to kill
    the worker sending it — and then not accepted (its sender is gone)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.held_peer_port: int | None = None
        self.held_message_id = ""
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        if SLOW_MARK in str(message["Subject"]) and self.held_peer_port is None:
            self.held_peer_port = session.peer[1]
            self.held_message_id = str(message["Message-ID"])
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Try again later"
        self.messages.append(message)
        return "250 Message accepted for delivery"


def pid_of_local_port(port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the TCP connection from 127.0.0.1:``port`` (Linux /proc)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    return None


@pytest.fixture
def redis_url() -> str:
    redis = pytest.importorskip("redis")
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"needs Redis at {url} ({exc})")
    return url


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, controller.port
    finally:
        handler.release.set()
        controller.stop()


class Processes:
    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        self.running[name] = subprocess.Popen(  # noqa: S603
            [*MANAGE, *args], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        return self.running[name]

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_for(condition, what: str | Callable[[], str], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, (
            f"timed out waiting for {what if isinstance(what, str) else what()}"
        )
        time.sleep(0.1)


def form_post(session, url: str, data: dict[str, Any], **kwargs: Any):
    """GET the form for its CSRF token, then POST it (no redirects followed)."""
    page = session.get(url, allow_redirects=False, timeout=20)
    assert page.status_code == 200, (url, page.status_code)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, url
    return session.post(
        url,
        data={"csrfmiddlewaretoken": token.group(1), **data},
        allow_redirects=False,
        timeout=20,
        **kwargs,
    )


def rows(db, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return db.execute(sql, params).fetchall()


def test_two_web_processes_and_two_workers_share_everything_and_do_each_job_once(
    tmp_path,
    migrated_postgres,
    redis_url,
    s3_endpoint,  # noqa: F811 - the fixture imported above
    sink,
):
    requests = pytest.importorskip("requests")
    database_url, db = migrated_postgres
    sink_handler, sink_port = sink
    tag = uuid.uuid4().hex[:8]
    smtp_port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": f"scale-{tag}",  # other runs may share this Redis database
        "EMAIL_URL": f"smtp://127.0.0.1:{sink_port}",
        "SUPPORTAL_BASE_URL": "http://127.0.0.1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SUPPORTAL_VAR_DIR": str(tmp_path),
        "SUPPORTAL_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
        "SUPPORTAL_STORAGE_BACKEND": "storages.backends.s3.S3Storage",
        "SUPPORTAL_STORAGE_OPTIONS": json.dumps(
            {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "access_key": "test",
                "secret_key": "test",
                "region_name": "us-east-1",
                "addressing_style": "path",
                "file_overwrite": False,
                "signature_version": "s3v4",
            }
        ),
        "SUPPORTAL_WORKER_INTERVAL": "1",
    }
    for name in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_REPLICA_URL"):
        env.pop(name, None)
    processes = Processes(env, tmp_path)
    webs = [free_port(), free_port()]
    try:
        # The web processes and the listener start while the people are made (they touch the
        # database only when asked); the workers after it.
        for number, port in enumerate(webs):
            processes.start(
                f"web{number}", "run_web", "--bind", f"127.0.0.1:{port}", "--workers", "1"
            )
        processes.start("smtp", "run_smtp")
        setup = subprocess.run(  # noqa: S603
            [*MANAGE, "shell", "-c", SETUP.replace("{tag}", tag)],
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert setup.returncode == 0, setup.stderr
        ids = json.loads(setup.stdout.strip().splitlines()[-1])
        worker_pids = [processes.start(f"worker{n}", "run_worker").pid for n in (0, 1)]
        for number, port in enumerate(webs):

            def answers(port: int = port, number: int = number) -> bool:
                assert processes.running[f"web{number}"].poll() is None, processes.log(
                    f"web{number}"
                )
                try:
                    return requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok
                except requests.RequestException:
                    return False

            wait_for(answers, f"web process {number}", timeout=60)
        a, b = (f"http://127.0.0.1:{port}" for port in webs)

        # The log-in throttle counts failures across processes: two on A and one on B make the
        # fourth attempt wait (slow_after=3), even with the right password.
        guesser = requests.Session()
        guessed = f"guessed-{tag}@example.com"
        for base in (a, a, b):
            wrong = form_post(guesser, f"{base}/login/", {"username": guessed, "password": "x"})
            assert wrong.status_code == 200
        refused = form_post(guesser, f"{a}/login/", {"username": guessed, "password": "parola123"})
        assert refused.status_code == 429 and "sessionid" not in guesser.cookies

        # Log in on A, continue on B: one session store.
        customer = requests.Session()
        login = form_post(
            customer,
            f"{a}/login/",
            {"username": "cristina.tanasescu@example.com", "password": "parola123"},
        )
        assert login.status_code == 302, login.text
        assert customer.get(f"{b}/", allow_redirects=False, timeout=20).status_code == 200

        # Requests through both web processes, one with an attachment stored in the bucket.
        for number in range(REQUESTS_PER_WEB):
            for base in (a, b):
                fields = {
                    "product": ids["product"],
                    "request_type": ids["question"],
                    "summary": f"Through {base[-5:]} #{number}",
                    "details": "Nu merge.",
                }
                files = {"attachments": ("log.txt", b"log " * 50, "text/plain")}
                created = form_post(
                    customer,
                    f"{base}/requests/new/?desk=HELP",
                    fields,
                    files=files if number == 0 else None,
                )
                assert created.status_code == 302, created.text[-2000:]

        # Mail in through the SMTP listener.
        for number in range(INBOUND_MAILS):
            message = EmailMessage()
            message["From"] = "Cristina Tănăsescu <cristina.tanasescu@example.com>"
            message["To"] = "support@localhost"
            message["Subject"] = f"By mail #{number}"
            message["Message-ID"] = f"<scale-{tag}-{number}@example.com>"
            message.set_content("Imprimanta nu tipărește.")
            wait_for(lambda m=message: _smtp_send(smtp_port, m), "the SMTP listener", timeout=30)

        total = 2 * REQUESTS_PER_WEB + INBOUND_MAILS
        wait_for(
            lambda: rows(db, "SELECT count(*) FROM tickets_ticket")[0][0] == total,
            "every request and mail to become a ticket",
        )
        references = [r for (r,) in rows(db, "SELECT reference FROM tickets_ticket")]
        assert sorted(references, key=lambda r: int(r.split("-")[1])) == [
            f"HELP-{n}" for n in range(1, total + 1)
        ]  # unique and gapless

        # The attachment, uploaded through A, downloads through B from the bucket.
        (file_id, ticket_ref), *_ = rows(
            db,
            "SELECT a.id, t.reference FROM tickets_attachment a"
            " JOIN tickets_ticket t ON t.id = a.ticket_id",
        )
        download = customer.get(f"{b}/files/{file_id}/", allow_redirects=False, timeout=20)
        assert download.status_code == 302
        assert download.headers["Location"].startswith(f"{s3_endpoint}/{BUCKET}/")
        assert requests.get(download.headers["Location"], timeout=20).content == b"log " * 50

        # Presence: an agent on A is seen by the team lead on B.
        agent, lead = requests.Session(), requests.Session()
        for session, base, address in (
            (agent, a, "bogdan.moraru@support.test"),
            (lead, b, "lead@support.test"),
        ):
            assert (
                form_post(
                    session, f"{base}/login/", {"username": address, "password": "parola123"}
                ).status_code
                == 302
            )
        for session, base in ((agent, a), (lead, b)):
            session.get(f"{base}/agent/tickets/{ticket_ref}/", timeout=20).raise_for_status()
        present = [
            session.post(
                f"{base}/agent/tickets/{ticket_ref}/presence/",
                data={"typing": "1"},
                headers={"X-CSRFToken": session.cookies["csrftoken"], "Referer": base},
                timeout=20,
            ).json()["others"]
            for session, base in ((agent, a), (lead, b))
        ]
        assert present[1] == [{"name": "Bogdan Moraru", "is_typing": True}]

        # SLA deadlines: every first-response warning comes due at once.
        db.execute(
            "UPDATE sla_clock SET warn_at = now() - interval '1 second',"
            " next_due_at = now() - interval '1 second'"
            " WHERE goal = 'first_response' AND state = 'running'"
        )
        wait_for(
            lambda: (
                rows(db, "SELECT count(*) FROM sla_slaevent WHERE kind = 'warning'")[0][0] == total
            ),
            "the SLA warnings",
        )

        # A worker killed in the middle of a send: the mail is neither lost nor sent twice.
        slow = form_post(
            customer,
            f"{b}/requests/new/?desk=HELP",
            {
                "product": ids["product"],
                "request_type": ids["question"],
                "summary": f"{SLOW_MARK} killed mid-send",
            },
        )
        assert slow.status_code == 302
        assert sink_handler.holding.wait(timeout=30), "no mail reached the sink"
        victim = pid_of_local_port(sink_handler.held_peer_port, worker_pids)
        assert victim is not None
        os.kill(victim, signal.SIGKILL)
        sink_handler.release.set()
        [(held_id, attempts, lease_left)] = rows(
            db,
            "SELECT id, attempts, extract(epoch FROM next_attempt_at - now())"
            " FROM mail_outboundemail WHERE message_id = %s AND state = 'pending'",
            sink_handler.held_message_id,
        )
        assert attempts == 1 and lease_left > 60  # claimed, under its lease
        time.sleep(1.5)  # the other worker leaves it alone while the lease runs
        assert rows(db, "SELECT state FROM mail_outboundemail WHERE id = %s", held_id) == [
            ("pending",)
        ]
        # The lease passes (15 minutes in production) for every row the dead worker had claimed
        # in its batch: the surviving worker sends them.
        for table in LEASED_TABLES:
            db.execute(
                f"UPDATE {table} SET next_attempt_at = now()"  # noqa: S608 - our own names
                " WHERE state = 'pending' AND next_attempt_at > now()"
            )
        wait_for(
            lambda: (
                rows(db, "SELECT state FROM mail_outboundemail WHERE id = %s", held_id)
                == [("sent",)]
            ),
            "the surviving worker to send the held mail",
        )

        # Everything settles: every outbound mail sent, each exactly once.
        def settled() -> bool:
            waiting = rows(
                db,
                "SELECT (SELECT count(*) FROM mail_outboundemail WHERE state <> 'sent')"
                " + (SELECT count(*) FROM notifications_pendingnotification"
                "    WHERE state = 'pending')"
                " + (SELECT count(*) FROM notifications_pendingslanotification"
                "    WHERE state = 'pending')",
            )
            return waiting[0][0] == 0

        def unsent() -> str:
            return repr(
                rows(db, "SELECT state, subject FROM mail_outboundemail WHERE state <> 'sent'")
            )

        wait_for(settled, lambda: f"the outbox to empty: {unsent()}")
        sent_ids = Counter(
            message_id for (message_id,) in rows(db, "SELECT message_id FROM mail_outboundemail")
        )
        received = Counter(str(m["Message-ID"]) for m in sink_handler.messages)
        assert received == sent_ids
        assert set(received.values()) == {1}
        # Each request's requester heard of it, and each warning reached the team lead.
        to_customer = Counter(
            str(m["Subject"]).split()[0]
            for m in sink_handler.messages
            if "cristina.tanasescu@example.com" in str(m["To"])
        )
        assert set(to_customer) >= {f"HELP-{n}" for n in range(1, total + 2)}
        warned = {
            str(m["Subject"]).split()[0] for m in sink_handler.messages if "lead@" in str(m["To"])
        }
        assert warned >= {f"HELP-{n}" for n in range(1, total + 1)}
        inbound = rows(db, "SELECT state, count(*) FROM mail_inboundmessage GROUP BY state")
        assert inbound == [("processed", INBOUND_MAILS)]
        assert rows(db, "SELECT count(*), count(DISTINCT clock_id) FROM sla_slaevent") == [
            (total, total)
        ]
        # The hourly periodic job ran once, on one of the two workers.
        runs = [
            processes.log(f"worker{n}").count("periodic job portal.pending_uploads_sweep ran")
            for n in (0, 1)
        ]
        assert sorted(runs) == [0, 1]
        for name in ("web0", "web1", "smtp"):
            assert "Traceback" not in processes.log(name), processes.log(name)
    finally:
        processes.stop_all()


def _smtp_send(port: int, message: EmailMessage) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
            client.send_message(message)
    except OSError:
        return False
    return True
