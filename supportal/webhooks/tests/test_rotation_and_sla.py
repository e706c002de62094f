"""A rotated secret keeps signing during the overlap (two signatures, either verifies with the
Standard Webhooks library); SLA warnings and breaches reach the support team's endpoints; an
endpoint filtered by company gets only that company's requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.utils import timezone

from supportal.sla import sweeper
from supportal.sla.models import SlaEvent
from supportal.sla.tests.conftest import bucharest
from supportal.sla.tests.conftest import default_policy as default_policy
from supportal.sla.tests.conftest import office_calendar as office_calendar
from supportal.tickets import services
from supportal.webhooks.models import WebhookDelivery, WebhookEndpoint
from supportal.webhooks.services import endpoint_secret_rotate, webhooks_deliver_due
from supportal.webhooks.tests.test_webhooks import _endpoint
from supportal.webhooks.tests.test_webhooks import receiver as receiver

pytestmark = pytest.mark.django_db


def _comment(cast, ticket, text: str) -> None:
    services.ticket_comment_add(ticket=ticket, author=cast.agent_help, body=text)


def test_rotation_signs_with_both_secrets_during_the_overlap(cast, receiver, settings):
    settings.SUPPORTAL_WEBHOOK_SECRET_OVERLAP_HOURS = 24
    endpoint = _endpoint(cast, receiver)
    old = endpoint.secret
    ticket = cast.ticket(cast.cristina)
    endpoint_secret_rotate(endpoint, now=timezone.now())
    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.previous_secret == old

    # A receiver still holding the old secret verifies, and so does one with the new.
    _comment(cast, ticket, "one")
    webhooks_deliver_due(timezone.now())
    _comment(cast, ticket, "two")
    receiver.secret = endpoint.secret
    webhooks_deliver_due(timezone.now())
    assert [r["verified"] for r in receiver.received] == [True, True, True]

    # After the overlap only the new secret signs.
    _comment(cast, ticket, "three")
    receiver.secret = old
    webhooks_deliver_due(timezone.now() + dt.timedelta(hours=25))
    assert receiver.received[-1]["verified"] is False
    receiver.secret = endpoint.secret
    _comment(cast, ticket, "four")
    webhooks_deliver_due(timezone.now() + dt.timedelta(hours=26))
    assert receiver.received[-1]["verified"] is True


def test_without_overlap_the_old_secret_stops_at_once(cast, receiver, settings):
    settings.SUPPORTAL_WEBHOOK_SECRET_OVERLAP_HOURS = 0
    endpoint = _endpoint(cast, receiver)
    old = endpoint.secret
    endpoint_secret_rotate(endpoint, now=timezone.now())
    assert endpoint.secrets_signing(timezone.now()) == [endpoint.secret]
    assert old not in endpoint.secrets_signing(timezone.now())


def test_admin_rotation_action_keeps_the_old_secret_for_the_overlap(cast, receiver):
    endpoint = _endpoint(cast, receiver)
    old = endpoint.secret
    request = RequestFactory().post("/")
    request.user = cast.admin
    request._messages = type("M", (), {"add": lambda *a, **k: None})()
    admin = site._registry[WebhookEndpoint]
    admin.secret_rotate(request, WebhookEndpoint.objects.filter(pk=endpoint.pk))
    endpoint.refresh_from_db()
    assert endpoint.previous_secret == old
    assert endpoint.previous_secret_until > timezone.now() + dt.timedelta(hours=23)


def test_sla_warning_and_breach_reach_agent_endpoints_only(cast, receiver, default_policy):
    agents = _endpoint(cast, receiver, event_kinds=["sla_warning", "sla_breach"])
    _endpoint(cast, receiver, owner=cast.cristina)  # a customer's endpoint: every event
    _endpoint(cast, receiver, owner=cast.agent_dev)  # an agent of another desk
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    WebhookDelivery.objects.all().delete()
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:21")) == 1  # first answer near
    deliveries = WebhookDelivery.objects.order_by("pk")
    assert [(d.endpoint_id, d.event_type) for d in deliveries] == [
        (agents.pk, "ticket.sla_warning")
    ]
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:31")) == 1  # and missed
    assert [d.event_type for d in WebhookDelivery.objects.order_by("pk")] == [
        "ticket.sla_warning",
        "ticket.sla_breach",
    ]
    receiver.secret = agents.secret
    webhooks_deliver_due(timezone.now())
    payload = receiver.received[-1]["payload"]
    assert receiver.received[-1]["verified"]
    assert payload["type"] == "ticket.sla_breach"
    assert payload["data"]["ticket"]["reference"] == ticket.reference
    assert payload["data"]["sla"]["goal"] == "first_response"
    assert SlaEvent.objects.filter(ticket=ticket).count() == 2


def test_an_endpoint_for_one_company_gets_only_its_requests(cast, receiver):
    ours = _endpoint(cast, receiver, organization=cast.cristina_srl)
    theirs = _endpoint(cast, receiver, organization=cast.other_sa)
    everyone = _endpoint(cast, receiver)
    cristinas = cast.ticket(cast.cristina)
    petrs = cast.ticket(cast.other_customer)
    by_endpoint = {
        endpoint.pk: set(
            WebhookDelivery.objects.filter(endpoint=endpoint).values_list(
                "ticket_reference", flat=True
            )
        )
        for endpoint in (ours, theirs, everyone)
    }
    assert by_endpoint == {
        ours.pk: {cristinas.reference},
        theirs.pk: {petrs.reference},
        everyone.pk: {cristinas.reference, petrs.reference},
    }


def test_admin_endpoint_form_offers_the_company_and_sla_events(cast, client):
    client.force_login(cast.admin)
    page = client.get("/admin/webhooks/webhookendpoint/add/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="organization"' in html
    assert 'value="sla_breach"' in html
