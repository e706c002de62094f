"""Webhook deliveries when things go wrong on either side (docs/api.md#webhooks): a worker that
dies mid-batch loses nothing and repeats at most the delivery in flight (with the same
``webhook-id``, so receivers drop it); a receiver that does not answer is given up on after the
timeout; an endless answer is read only up to the size limit. A real local HTTP receiver."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
from django.utils import timezone

from supportal.core.testing_http import LocalHTTPServer
from supportal.tickets import services as tickets
from supportal.tickets.workflow import Action
from supportal.webhooks import services
from supportal.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint
from supportal.webhooks.tests.test_webhooks import Receiver

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    server = Receiver()
    yield server
    server.close()


def _endpoint(cast, url: str) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(name="ERP", url=url, owner=cast.admin)


class Killed(BaseException):
    """The worker process dies (SIGKILL): nothing after this line of it runs."""


def test_a_worker_killed_mid_batch_loses_nothing_and_repeats_only_the_one_in_flight(
    cast, receiver, monkeypatch
):
    endpoint = _endpoint(cast, receiver.url)
    receiver.secret = endpoint.secret
    first = [cast.ticket(cast.cristina, summary=f"Request {n}") for n in range(3)]
    post = services.delivery_post
    calls = []

    def dies_after_the_second_send(delivery, *, now):
        outcome = post(delivery, now=now)
        calls.append(delivery.message_id)
        if len(calls) == 2:
            raise Killed  # sent, but its outcome is never recorded
        return outcome

    monkeypatch.setattr(services, "delivery_post", dies_after_the_second_send)
    now = timezone.now()
    with pytest.raises(Killed):
        services.webhooks_deliver_due(now)
    monkeypatch.setattr(services, "delivery_post", post)
    in_flight = calls[1]
    # Meanwhile the requests go on changing.
    for ticket in first:
        tickets.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)

    # The dead worker's claim holds for its lease; then another worker takes its rows.
    lease = services.CLAIM_LEASE_DURATION
    services.webhooks_deliver_due(now + dt.timedelta(seconds=30))
    unsent = WebhookDelivery.objects.filter(state=DeliveryState.PENDING)
    assert unsent.filter(message_id=in_flight).exists()
    later = now + lease + dt.timedelta(seconds=1)
    while services.webhooks_deliver_due(later):
        later += dt.timedelta(seconds=1)

    rows = list(WebhookDelivery.objects.order_by("pk"))
    assert {row.state for row in rows} == {DeliveryState.DELIVERED}
    received = [r["id"] for r in receiver.received]
    assert all(r["verified"] for r in receiver.received)
    assert set(received) == {row.message_id for row in rows}  # nothing lost
    repeated = {m for m in received if received.count(m) > 1}
    assert repeated == {in_flight}  # only the delivery in flight at the kill, same webhook-id
    # In order per request: the order the changes were made in.
    for ticket in first:
        made = [row.message_id for row in rows if row.ticket_reference == ticket.reference]
        got = [
            r["id"]
            for r in receiver.received
            if r["payload"]["data"]["ticket"]["reference"] == ticket.reference
        ]
        assert [m for n, m in enumerate(got) if m not in got[:n]] == made
        assert len(made) >= 3  # created, assigned, taken


class _Server:
    """A receiver that misbehaves: ``handle(handler)`` writes the answer."""

    def __init__(self, handle) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                # The sender hanging up is what it should do.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self.server = LocalHTTPServer(Handler).start()
        self.url = f"{self.server.url}/hook"

    def close(self) -> None:
        self.server.close()


@pytest.fixture
def misbehaving(settings: Any) -> Iterator[Callable[[Callable[[Any], None]], _Server]]:
    settings.SUPPORTAL_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    servers: list[_Server] = []

    def start(handle: Callable[[Any], None]) -> _Server:
        servers.append(_Server(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def test_a_receiver_that_does_not_answer_is_given_up_on_after_the_timeout(
    cast, settings, misbehaving
):
    settings.SUPPORTAL_WEBHOOK_TIMEOUT = 1
    silent = misbehaving(lambda handler: time.sleep(8))
    _endpoint(cast, silent.url)
    cast.ticket(cast.cristina)
    started = time.monotonic()
    services.webhooks_deliver_due(timezone.now())
    assert time.monotonic() - started < 5
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PENDING  # retried later
    assert delivery.last_status_code is None
    assert "timed out" in delivery.last_error


def test_an_endless_answer_is_read_only_up_to_the_limit(cast, settings, misbehaving):
    settings.SUPPORTAL_WEBHOOK_TIMEOUT = 5

    def endless(handler) -> None:
        handler.send_response(200)
        handler.end_headers()  # no Content-Length: the body lasts until the connection ends
        chunk = b"x" * 65536
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            handler.wfile.write(chunk)

    flood = misbehaving(endless)
    _endpoint(cast, flood.url)
    cast.ticket(cast.cristina)
    started = time.monotonic()
    services.webhooks_deliver_due(timezone.now())
    assert time.monotonic() - started < 5  # not the 20 s the receiver would go on for
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED
    assert len(delivery.response_excerpt) <= services.RESPONSE_EXCERPT_CHARS
