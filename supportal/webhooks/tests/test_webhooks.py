"""Webhooks end to end: a real local HTTP receiver verifies every delivery's signature with the
Standard Webhooks library; failures are retried, endpoints failing for days are disabled with a
mail to administrators; private addresses are refused unless allowed."""

from __future__ import annotations

import datetime as dt
import json
from http.server import BaseHTTPRequestHandler

import pytest
from django.core import mail as django_mail  # noqa: F401 (the mail backend is the outbox)
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from supportal.core.errors import InvalidInput
from supportal.core.testing_http import LocalHTTPServer
from supportal.mail.models import OutboundEmail
from supportal.tickets import services
from supportal.tickets.workflow import Action
from supportal.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from supportal.webhooks.services import (
    MAX_ATTEMPTS,
    target_resolve,
    webhook_redeliver,
    webhooks_deliver_due,
)

pytestmark = pytest.mark.django_db(transaction=False)


class Receiver:
    """A local HTTP server that verifies signatures and answers with a chosen status."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        self.secret = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k: v for k, v in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except Exception:
                    payload, verified = json.loads(body), False
                receiver.received.append(
                    {"payload": payload, "verified": verified, "id": headers.get("webhook-id")}
                )
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args: object) -> None:
                pass

        # A free port of the system's choosing: parallel test processes never collide.
        self.server = LocalHTTPServer(Handler).start()
        self.url = f"{self.server.url}/hooks/supportal?x=1"

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def receiver(settings):
    settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    server = Receiver()
    yield server
    server.close()


def _endpoint(cast, receiver, **fields) -> WebhookEndpoint:
    fields.setdefault("owner", cast.admin)
    endpoint = WebhookEndpoint.objects.create(name="ERP", url=receiver.url, **fields)
    receiver.secret = endpoint.secret
    return endpoint


def _deliver(now=None) -> int:
    return webhooks_deliver_due(now or timezone.now())


def test_every_change_reaches_the_receiver_signed(cast, receiver):
    _endpoint(cast, receiver)
    ticket = cast.ticket(cast.cristina)
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="On it")
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Done"
    )
    # Nothing is sent from the request: only the worker posts.
    assert receiver.received == []
    assert _deliver() == WebhookDelivery.objects.count()
    assert all(r["verified"] for r in receiver.received)
    types = [r["payload"]["type"] for r in receiver.received]
    assert types[0] == "ticket.created"
    assert "ticket.commented" in types
    assert types.count("ticket.status_changed") == 2
    last = receiver.received[-1]["payload"]["data"]
    assert last["ticket"]["reference"] == ticket.reference
    assert last["ticket"]["status"] == "resolved"
    delivery = WebhookDelivery.objects.order_by("pk").first()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.last_status_code == 200
    assert delivery.response_excerpt == "thanks"


def test_a_tampered_body_fails_verification(cast, receiver):
    endpoint = _endpoint(cast, receiver)
    cast.ticket(cast.cristina)
    receiver.secret = "whsec_" + "A" * 43 + "="  # the receiver holds another secret
    _deliver()
    assert receiver.received and not receiver.received[0]["verified"]
    assert endpoint.secret != receiver.secret


def test_only_the_chosen_events_and_desk(cast, receiver):
    _endpoint(cast, receiver, event_kinds=["status_changed"], desk=cast.help_desk)
    ticket = cast.ticket(cast.cristina)
    cast.ticket(cast.cristina, desk=cast.dev_desk)
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    _deliver()
    assert [r["payload"]["type"] for r in receiver.received] == ["ticket.status_changed"]


def test_internal_notes_go_only_to_endpoints_that_may_see_them(cast, receiver):
    _endpoint(cast, receiver, owner=cast.cristina)
    ticket = cast.ticket(cast.cristina)
    services.ticket_comment_add(
        ticket=ticket, author=cast.agent_help, body="Secret note", is_public=False
    )
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="Public answer")
    other = cast.ticket(cast.other_customer)
    _deliver()
    text = json.dumps([r["payload"] for r in receiver.received])
    assert "Secret note" not in text
    assert "Public answer" in text
    assert other.reference not in text


def test_a_rolled_back_change_sends_nothing(cast, receiver):
    _endpoint(cast, receiver)
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        cast.ticket(cast.cristina)
        raise RuntimeError("rolled back")
    assert not WebhookDelivery.objects.exists()


def test_failures_are_retried_with_backoff_then_delivered_once(cast, receiver):
    endpoint = _endpoint(cast, receiver)
    cast.ticket(cast.cristina)
    receiver.status = 503
    now = timezone.now()
    assert _deliver(now) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING
    assert delivery.last_status_code == 503
    first_retry = delivery.next_attempt_at
    assert first_retry >= now + dt.timedelta(minutes=1)
    assert _deliver(now + dt.timedelta(seconds=30)) == 0  # not due yet
    assert _deliver(first_retry) == 1
    delivery.refresh_from_db()
    assert delivery.next_attempt_at - first_retry >= dt.timedelta(minutes=2)  # doubled
    endpoint.refresh_from_db()
    assert endpoint.failing_since is not None
    receiver.status = 204
    assert _deliver(delivery.next_attempt_at) == 1
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DELIVERED
    assert delivery.attempts == 3
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None
    assert _deliver(delivery.next_attempt_at + dt.timedelta(days=1)) == 0
    ids = [r["id"] for r in receiver.received]
    assert len(set(ids)) == 1  # the same message, tried three times


def test_a_delivery_fails_after_the_last_attempt(cast, receiver):
    _endpoint(cast, receiver)
    cast.ticket(cast.cristina)
    receiver.status = 500
    WebhookDelivery.objects.update(attempts=MAX_ATTEMPTS - 1)
    _deliver()
    assert WebhookDelivery.objects.get().state == DeliveryState.FAILED


def test_an_endpoint_failing_for_days_is_disabled_with_a_mail(cast, receiver, settings):
    settings.SUPPORTAL_WEBHOOK_DISABLE_AFTER_DAYS = 2
    endpoint = _endpoint(cast, receiver)
    receiver.status = 500
    cast.ticket(cast.cristina)
    now = timezone.now()
    _deliver(now)
    endpoint.refresh_from_db()
    assert endpoint.is_active
    later = now + dt.timedelta(days=2, minutes=1)
    WebhookDelivery.objects.update(next_attempt_at=later)
    _deliver(later)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at is not None
    mails = OutboundEmail.objects.filter(to__icontains=cast.admin.email)
    assert any("ERP" in m.subject for m in mails)
    # No more deliveries are recorded for it.
    before = WebhookDelivery.objects.count()
    cast.ticket(cast.cristina)
    assert WebhookDelivery.objects.count() == before


def test_redeliver_sends_the_same_message_again(cast, receiver):
    _endpoint(cast, receiver)
    cast.ticket(cast.cristina)
    _deliver()
    first = WebhookDelivery.objects.get()
    copy = webhook_redeliver(actor=cast.admin, delivery=first)
    _deliver()
    assert [r["id"] for r in receiver.received] == [first.message_id, first.message_id]
    copy.refresh_from_db()
    assert copy.state == DeliveryState.DELIVERED


def test_admin_delivery_log_and_redeliver_button(cast, receiver, client):
    _endpoint(cast, receiver)
    ticket = cast.ticket(cast.cristina)
    _deliver()
    client.force_login(cast.admin)
    log = client.get("/admin/webhooks/webhookdelivery/")
    assert log.status_code == 200
    assert ticket.reference.encode() in log.content
    delivery = WebhookDelivery.objects.get()
    client.post(
        "/admin/webhooks/webhookdelivery/",
        {"action": "redeliver", "_selected_action": [delivery.pk]},
    )
    assert WebhookDelivery.objects.filter(state=DeliveryState.PENDING).count() == 1


def test_private_addresses_are_refused_unless_allowed(settings):
    settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = []
    for url in [
        "http://127.0.0.1:8000/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://localhost/x",
        "ftp://example.com/x",
        "http://user:pw@8.8.8.8/x",
    ]:
        with pytest.raises(InvalidInput):
            target_resolve(url)
    assert target_resolve("http://8.8.8.8/hook").address == "8.8.8.8"
    settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert target_resolve("http://127.0.0.1:18711/x").address == "127.0.0.1"


def test_a_refused_target_is_logged_not_sent(cast, receiver, settings):
    _endpoint(cast, receiver)
    cast.ticket(cast.cristina)
    settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = []
    _deliver()
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert "private" in delivery.last_error
    assert delivery.state == DeliveryState.PENDING


def test_admin_form_refuses_a_private_url(cast, client, settings):
    settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = []
    client.force_login(cast.admin)
    response = client.post(
        "/admin/webhooks/webhookendpoint/add/",
        {"name": "x", "url": "http://127.0.0.1/x", "owner": cast.admin.pk, "is_active": "on"},
    )
    assert response.status_code == 200
    assert b"private" in response.content
    assert not WebhookEndpoint.objects.exists()


def test_no_endpoint_costs_no_query(cast, django_assert_num_queries):
    from supportal.webhooks.services import _active_endpoints

    _active_endpoints()
    with django_assert_num_queries(0):
        assert _active_endpoints() == []


def test_a_receiver_down_for_a_while_gets_every_event_once_in_order(cast, receiver):
    _endpoint(cast, receiver)
    ticket = cast.ticket(cast.cristina)
    receiver.status = 503
    now = timezone.now()
    _deliver(now)  # the first event fails; the later ones wait behind it
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body="On it")
    assert _deliver(now + dt.timedelta(seconds=1)) == 0
    receiver.status = 200
    moment = now
    for _ in range(10):
        moment += dt.timedelta(hours=2)
        _deliver(moment)
    delivered = [r for r in receiver.received if r["payload"]]
    ok_ids = [r["id"] for r in delivered][1:]  # the first was the failed try
    expected = list(WebhookDelivery.objects.order_by("pk").values_list("message_id", flat=True))
    assert ok_ids == expected
    assert WebhookDelivery.objects.filter(state=DeliveryState.DELIVERED).count() == len(expected)
