"""``customer.created`` webhooks: a new customer account, however it comes to be, is one
delivery for each endpoint of the support team that wants it, written in the registration's
transaction; customers' endpoints, desk-limited endpoints and imports get none."""

from __future__ import annotations

import pytest

from supportal.accounts.services import customer_invite, customer_register
from supportal.core.quiet import quietly
from supportal.webhooks.models import WebhookDelivery, WebhookEndpoint
from supportal.webhooks.services import endpoints_cache_clear

pytestmark = pytest.mark.django_db


def _endpoint(owner, **fields) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.create(
        name=fields.pop("name", "CRM"),
        url="https://crm.firma.test/hooks",
        owner=owner,
        event_kinds=fields.pop("event_kinds", ["customer_created"]),
        **fields,
    )
    endpoints_cache_clear()
    return endpoint


def test_a_phone_registration_is_one_delivery_with_the_customers_names(cast):
    crm = _endpoint(cast.agent_help)
    _endpoint(cast.agent_help, name="Tickets only", event_kinds=["created"])
    _endpoint(cast.cristina_admin, name="A customer's own", event_kinds=[])
    _endpoint(cast.agent_help, name="One desk", desk=cast.help_desk, event_kinds=[])
    customer = customer_register(
        email="ion.popescu@firma-noua.ro",
        invited_by=cast.agent_help,
        new_company="Firma Nouă SRL",
        first_name="Ion",
        last_name="Popescu",
        language="ro",
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == crm and delivery.event_type == "customer.created"
    data = delivery.payload["data"]["customer"]
    assert data["id"] == customer.pk and data["name"] == "Ion Popescu"
    assert data["language"] == "ro" and data["company"]["name"] == "Firma Nouă SRL"


def test_an_existing_customer_invited_again_is_no_news(cast):
    _endpoint(cast.agent_help)
    customer_invite(email=cast.cristina.email, invited_by=cast.agent_help)
    customer_register(email=cast.colleague.email, invited_by=None, is_invited=False)
    assert not WebhookDelivery.objects.exists()


def test_a_new_sender_and_a_company_limited_endpoint(cast):
    _endpoint(cast.agent_help, name="Other SA's", organization=cast.other_sa)
    mine = _endpoint(cast.agent_help, name="Cristina SRL's", organization=cast.cristina_srl)
    customer_register(
        email="noua.colega@cristina.ro",
        invited_by=None,
        is_invited=False,
        organization=cast.cristina_srl,
    )
    assert [d.endpoint for d in WebhookDelivery.objects.all()] == [mine]


def test_an_import_registers_customers_quietly(cast):
    _endpoint(cast.agent_help)
    with quietly():
        customer_register(email="din.import@firma.ro", invited_by=None, is_invited=False)
    assert not WebhookDelivery.objects.exists()
