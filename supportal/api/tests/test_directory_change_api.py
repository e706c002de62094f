"""Changing customers and companies (PATCH): the support team, audited; others refused."""

from __future__ import annotations

import pytest

from supportal.accounts.models import Contact, Organization, User
from supportal.audit.models import Action, AuditEntry

pytestmark = pytest.mark.django_db


def test_agent_changes_a_customer(cast, api_as):
    api = api_as(cast.agent_help)
    response = api.patch(
        f"/api/v1/customers/{cast.cristina.pk}",
        {"phone": " +40 721 000 111 ", "language": "ro", "time_zone": "Europe/Bucharest"},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["phone"], data["language"], data["time_zone"]) == (
        "+40 721 000 111",
        "ro",
        "Europe/Bucharest",
    )
    cast.cristina.refresh_from_db()
    assert cast.cristina.phone == "+40 721 000 111"
    assert data["first_name"] == cast.cristina.first_name  # not sent, not changed
    entry = AuditEntry.objects.get(action=Action.ROLE_CHANGED, actor=cast.agent_help)
    assert entry.after["phone"] == "+40 721 000 111"


def test_the_company_admin_flag_needs_the_permission_to_change_people(cast, api_as):
    path = f"/api/v1/customers/{cast.cristina.pk}"
    refused = api_as(cast.agent_help).patch(path, {"is_customer_admin": True})
    assert refused.status_code == 403
    assert refused["Content-Type"].startswith("application/problem+json")
    cast.cristina.refresh_from_db()
    assert cast.cristina.is_customer_admin is False
    assert api_as(cast.admin).patch(path, {"is_customer_admin": True}).status_code == 200
    cast.cristina.refresh_from_db()
    assert cast.cristina.is_customer_admin is True


def test_agent_changes_a_company(cast, api_as):
    api = api_as(cast.agent_help)
    response = api.patch(
        f"/api/v1/companies/{cast.cristina_srl.pk}",
        {
            "name": "  Cristina   Group SRL ",
            "registration_number": "RO999",
            "shares_requests": True,
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["name"], data["registration_number"], data["shares_requests"]) == (
        "Cristina Group SRL",
        "RO999",
        True,
    )
    cast.cristina_srl.refresh_from_db()
    assert cast.cristina_srl.name == "Cristina Group SRL"
    assert AuditEntry.objects.filter(action=Action.COMPANY_CHANGED, actor=cast.agent_help).exists()


def test_bad_input_is_refused_with_the_field_named(cast, api_as):
    api = api_as(cast.agent_help)
    bad = api.patch(f"/api/v1/customers/{cast.cristina.pk}", {"time_zone": "Mars/Olympus"})
    assert bad.status_code == 422
    assert bad["Content-Type"].startswith("application/problem+json")
    assert bad.json()["field"] == "time_zone"
    bad = api.patch(f"/api/v1/customers/{cast.cristina.pk}", {"language": "xx"})
    assert (bad.status_code, bad.json()["field"]) == (422, "language")
    taken = api.patch(f"/api/v1/companies/{cast.cristina_srl.pk}", {"name": "other sa"})
    assert (taken.status_code, taken.json()["field"]) == (422, "name")
    empty = api.patch(f"/api/v1/companies/{cast.cristina_srl.pk}", {"name": "  "})
    assert (empty.status_code, empty.json()["field"]) == (422, "name")
    cast.cristina.refresh_from_db()
    cast.cristina_srl.refresh_from_db()
    assert cast.cristina.time_zone != "Mars/Olympus"
    assert cast.cristina_srl.name == "Cristina SRL"


def test_customers_may_not_change_customers_or_companies(cast, api_as):
    admin = api_as(cast.cristina_admin)
    mine = admin.patch(f"/api/v1/companies/{cast.cristina_srl.pk}", {"name": "Mine"})
    assert mine.status_code == 403
    assert admin.patch(f"/api/v1/customers/{cast.cristina.pk}", {"phone": "1"}).status_code == 403
    cast.cristina_srl.refresh_from_db()
    assert cast.cristina_srl.name == "Cristina SRL"


def test_no_such_customer_or_company_is_404(cast, api_as):
    api = api_as(cast.agent_help)
    assert api.patch(f"/api/v1/customers/{cast.agent_dev.pk}", {"phone": "1"}).status_code == 404
    assert api.patch("/api/v1/customers/999999", {"phone": "1"}).status_code == 404
    assert api.patch("/api/v1/companies/999999", {"name": "X"}).status_code == 404
    assert User.objects.get(pk=cast.agent_dev.pk).phone != "1"


def test_customer_admin_changes_own_contacts_not_another_companys(cast, api_as):
    mine = Contact.objects.create(organization=cast.cristina_srl, first_name="A", last_name="B")
    theirs = Contact.objects.create(organization=cast.other_sa, first_name="C", last_name="D")
    admin = api_as(cast.cristina_admin)
    body = {"first_name": "Ana", "last_name": "Bălan"}
    changed = admin.client.put(
        f"/api/v1/contacts/{mine.pk}",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert changed.status_code == 200
    assert changed.json()["first_name"] == "Ana"
    refused = admin.client.put(
        f"/api/v1/contacts/{theirs.pk}",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert refused.status_code == 404
    assert Organization.objects.get(pk=cast.other_sa.pk).contacts.get().first_name == "C"
