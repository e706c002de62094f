"""Liveness, readiness, metrics and the administrators' queue page (docs/deploy.md)."""

from __future__ import annotations

import json
import logging
import re
import socket
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from supportal.core import ops
from supportal.core.observability import JsonFormatter, RequestIdFilter
from supportal.mail.models import OutboundEmail, OutboundState
from supportal.tickets import services

TOKEN = "ops-token-for-tests"


@pytest.fixture
def ops_token(settings):
    settings.SUPPORTAL_OPS_TOKEN = TOKEN
    settings.SUPPORTAL_METRICS = True
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def outbox_row(**fields) -> OutboundEmail:
    fields.setdefault("next_attempt_at", timezone.now())
    return OutboundEmail.objects.create(
        to=["a@example.com"],
        from_email="support@example.com",
        subject="Hello",
        body_text="Hi",
        message_id=f"<{timezone.now().timestamp()}.{OutboundEmail.objects.count()}@test>",
        **fields,
    )


def test_healthz_answers_without_touching_the_database(client):
    # No database access is allowed in this test: a query would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_is_unavailable_until_a_worker_has_reported(client, db):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}  # nothing more to an anonymous caller

    call_command("run_worker", "--once")  # one tick writes the heartbeat
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_turns_unhealthy_when_the_worker_stops(client, db, ops_token):
    ops.heartbeat_write("host:1:abc", now=timezone.now() - timedelta(minutes=10))
    response = client.get("/readyz", **ops_token)
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["worker"]["ok"] is False
    assert re.fullmatch(r"last heartbeat 60\d s ago \(limit 120 s\)", checks["worker"]["detail"])
    assert checks["database"]["ok"] and checks["storage"]["ok"] and checks["cache"]["ok"]

    ops.heartbeat_write("host:2:def")
    assert client.get("/readyz", **ops_token).status_code == 200


def test_readyz_turns_unhealthy_when_mail_waits_too_long(client, db, ops_token, settings):
    ops.heartbeat_write("host:1:abc")
    outbox_row()
    assert client.get("/readyz").status_code == 200  # just queued: fine

    settings.SUPPORTAL_READY_QUEUE_AGE_SECONDS = 60
    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/readyz", **ops_token)
    assert response.status_code == 503
    outbox = response.json()["checks"]["mail.outbox"]
    assert outbox["ok"] is False
    assert re.fullmatch(r"1 waiting, oldest 30\d s \(limit 60 s\)", outbox["detail"])
    OutboundEmail.objects.update(state=OutboundState.SENT)
    assert client.get("/readyz").status_code == 200


def test_readyz_shows_why_only_to_the_token_or_an_administrator(client, cast, settings):
    ops.heartbeat_write("host:1:abc")
    port = closed_port()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/5",
        }
    }
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    anonymous = client.get("/readyz")
    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "unavailable"}
    assert str(port) not in anonymous.content.decode()

    settings.SUPPORTAL_OPS_TOKEN = TOKEN
    wrong = client.get("/readyz", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.json() == {"status": "unavailable"}
    with_token = client.get("/readyz", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").json()
    assert with_token["checks"]["cache"]["ok"] is False
    assert str(port) in with_token["checks"]["cache"]["detail"]

    client.force_login(cast.agent_help)
    assert "checks" not in client.get("/readyz").json()  # an agent is not an administrator
    client.force_login(cast.admin)
    assert client.get("/readyz").json()["checks"]["cache"]["ok"] is False


def test_metrics_need_the_token_and_count_requests_queues_and_failed_log_ins(
    client, cast, ops_token
):
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404

    outbox_row(created_at=timezone.now())
    client.get(reverse("login"))
    client.post(reverse("login"), {"username": cast.cristina.email, "password": "wrong"})
    body = client.get("/metrics", **ops_token).content.decode()
    assert 'supportal_queue_depth{queue="mail.outbox"} 1.0' in body
    assert 'supportal_mails_out{state="pending"} 1.0' in body
    assert 'supportal_http_requests_total{status="200",view="login"}' in body
    assert 'supportal_http_request_duration_seconds_bucket{le="10.0",view="login"}' in body
    failures = [
        line for line in body.splitlines() if line.startswith("supportal_login_failures_total ")
    ]
    assert failures and float(failures[0].split()[1]) >= 1
    assert "supportal_worker_heartbeat_age_seconds -1.0" in body


def test_administrators_see_each_queue_and_retry_the_failed(client, cast):
    outbox_row(state=OutboundState.FAILED, attempts=7, last_error="550 mailbox unavailable")
    outbox_row()
    client.force_login(cast.agent_help)
    assert client.get("/admin/queues/").status_code == 302  # to the admin log-in

    client.force_login(cast.admin)
    page = client.get("/admin/queues/").content.decode()
    assert "Outgoing e-mail" in page and "Received e-mail" in page
    assert "Retry the failed" in page
    response = client.post("/admin/queues/", {"queue": "mail.outbox"}, follow=True)
    assert "1 row of mail.outbox put back in line." in response.content.decode()
    assert OutboundEmail.objects.filter(state=OutboundState.PENDING).count() == 2
    assert OutboundEmail.objects.filter(attempts=0).count() == 2


def test_every_response_carries_a_request_id_that_log_lines_carry_too(client, db, settings):
    first = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != client.get("/healthz")["X-Request-ID"]
    # A client's own id is believed only from a trusted proxy.
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] != "abc-123"
    settings.SUPPORTAL_TRUSTED_PROXY = True
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"

    record = logging.LogRecord("supportal.test", logging.INFO, __file__, 1, "hi %s", ("x",), None)
    record.ticket = "HELP-1"
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hi x" and line["level"] == "INFO" and line["ticket"] == "HELP-1"


def test_downloads_go_through_nginx_after_the_permission_check(client, cast, settings):
    settings.SUPPORTAL_SENDFILE = "nginx"
    settings.SUPPORTAL_SENDFILE_MIN_BYTES = 10
    big = SimpleUploadedFile("raport final.pdf", b"%PDF" + b"x" * 100, "application/pdf")
    small = SimpleUploadedFile("s.txt", b"tiny", "text/plain")
    ticket = cast.ticket(
        attachments=[services.NewAttachment(file=big), services.NewAttachment(file=small)]
    )
    big_row, small_row = ticket.attachments.order_by("size").reverse()
    client.force_login(cast.other_customer)
    assert client.get(reverse("portal:file", args=[big_row.pk])).status_code == 404

    client.force_login(cast.cristina)
    response = client.get(reverse("portal:file", args=[big_row.pk]))
    assert response.status_code == 200
    assert response["X-Accel-Redirect"].startswith("/protected-media/")
    assert response["X-Accel-Redirect"].endswith(big_row.file.name.rsplit("/", 1)[-1])
    assert response.content == b""  # nginx sends the bytes
    assert response["Content-Disposition"] == 'attachment; filename="raport final.pdf"'
    assert response["Content-Type"] == "application/octet-stream"

    streamed = client.get(reverse("portal:file", args=[small_row.pk]))
    assert "X-Accel-Redirect" not in streamed
    assert b"".join(streamed.streaming_content) == b"tiny"
