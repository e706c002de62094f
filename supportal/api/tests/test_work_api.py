"""Canned replies, saved views and contacts through the API: the workspace's and the company
pages' permissions, one query count for a list whatever its length."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.accounts.models import Contact
from supportal.company.models import ContactChange
from supportal.replies.models import CannedReply, SavedView

pytestmark = pytest.mark.django_db


def test_canned_replies_for_agents_only(cast, api_as):
    CannedReply.objects.create(desk=cast.help_desk, title="Hello", body="Hi {requester_name}")
    CannedReply.objects.create(desk=cast.dev_desk, title="Dev", body="Dev text")
    agent = api_as(cast.agent_help).get("/api/v1/canned-replies")
    assert agent.status_code == 200
    assert [r["title"] for r in agent.json()] == ["Hello"]
    assert agent.json()[0]["body"] == "Hi {requester_name}"
    assert api_as(cast.cristina).get("/api/v1/canned-replies").json() == []
    admin = api_as(cast.admin).get("/api/v1/canned-replies", {"desk": "dev"}).json()
    assert [r["title"] for r in admin] == ["Dev"]


def test_canned_reply_filled_in_and_sent(cast, api_as):
    reply = CannedReply.objects.create(
        desk=cast.help_desk, title="Hello", body="Hello {requester_name}, about {reference}."
    )
    ticket = cast.ticket(cast.cristina)
    agent = api_as(cast.agent_help)
    filled = agent.get(f"/api/v1/tickets/{ticket.reference}/canned-replies").json()
    assert filled[0]["id"] == reply.pk
    assert "Cristina" in filled[0]["text"]
    assert ticket.reference in filled[0]["text"]
    sent = agent.post(f"/api/v1/tickets/{ticket.reference}/canned-replies/{reply.pk}/send", {})
    assert sent.status_code == 201
    assert sent.json()["body"] == filled[0]["text"]
    assert ticket.comments.filter(body=filled[0]["text"], is_public=True).exists()
    # Customers and agents of other desks cannot use it.
    customer = api_as(cast.cristina)
    assert customer.get(f"/api/v1/tickets/{ticket.reference}/canned-replies").json() == []
    path = f"/api/v1/tickets/{ticket.reference}/canned-replies/{reply.pk}/send"
    assert customer.post(path, {}).status_code == 404
    assert api_as(cast.agent_dev).post(path, {}).status_code == 404


def test_saved_views_personal_and_shared(cast, api_as):
    SavedView.objects.create(owner=cast.agent_help, name="Mine", params={"view": ["mine"]})
    SavedView.objects.create(owner=cast.lead_help, desk=cast.help_desk, name="Desk view")
    SavedView.objects.create(owner=cast.lead_help, name="Lead's own")
    SavedView.objects.create(owner=cast.agent_dev, desk=cast.dev_desk, name="Dev view")
    views = api_as(cast.agent_help).get("/api/v1/saved-views").json()
    assert [v["name"] for v in views] == ["Desk view", "Mine"]
    assert views[0]["desk"] == "HELP"
    assert views[1]["params"] == {"view": ["mine"]}
    assert api_as(cast.cristina).get("/api/v1/saved-views").json() == []


def _contact(cast, **given) -> Contact:
    given.setdefault("first_name", "Maria")
    given.setdefault("last_name", "Ionescu")
    return Contact.objects.create(organization=cast.cristina_srl, **given)


def test_customer_admin_manages_own_company_contacts(cast, api_as):
    existing = _contact(cast, email="maria@example.com", function="Accounting")
    admin = api_as(cast.cristina_admin)
    path = f"/api/v1/companies/{cast.cristina_srl.pk}/contacts"
    listed = admin.get(path, {"q": "account"})
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [existing.pk]
    created = admin.post(path, {"first_name": "Ion", "last_name": "Vasile", "email": "I@EX.COM"})
    assert created.status_code == 201
    assert created.json()["email"] == "i@ex.com"
    contact_id = created.json()["id"]
    duplicate = admin.post(path, {"first_name": "X", "last_name": "Y", "email": "i@ex.com"})
    assert duplicate.status_code == 422
    assert duplicate.json()["field"] == "email"
    changed = admin.client.put(
        f"/api/v1/contacts/{contact_id}",
        '{"first_name": "Ion", "last_name": "Vasilescu", "is_active": false}',
        content_type="application/json",
        headers={"Authorization": f"Bearer {admin.token}"},
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["last_name"] == "Vasilescu"
    assert changed.json()["is_active"] is False
    assert ContactChange.objects.filter(contact_id=contact_id).count() == 3
    assert admin.get(f"/api/v1/contacts/{contact_id}").json()["is_active"] is False


def test_contacts_are_404_for_others(cast, api_as):
    contact = _contact(cast)
    for user in (cast.cristina, cast.other_customer):
        api = api_as(user)
        assert api.get(f"/api/v1/companies/{cast.cristina_srl.pk}/contacts").status_code == 404
        assert api.get(f"/api/v1/contacts/{contact.pk}").status_code == 404
        response = api.post(
            f"/api/v1/companies/{cast.cristina_srl.pk}/contacts",
            {"first_name": "A", "last_name": "B"},
        )
        assert response.status_code == 404
    other_admin = api_as(cast.other_customer)
    assert other_admin.get(f"/api/v1/companies/{cast.other_sa.pk}/contacts").status_code == 404
    agent = api_as(cast.agent_help)
    assert agent.get(f"/api/v1/contacts/{contact.pk}").status_code == 200
    bad = agent.post(
        f"/api/v1/companies/{cast.cristina_srl.pk}/contacts",
        {"first_name": "A", "last_name": "B", "gender": "x"},
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "gender"


def test_lists_cost_the_same_queries_whatever_their_length(cast, api_as):
    agent = api_as(cast.agent_help)
    admin = api_as(cast.cristina_admin)
    contacts_path = f"/api/v1/companies/{cast.cristina_srl.pk}/contacts"

    def counts() -> list[int]:
        found = []
        for api, path in [
            (agent, "/api/v1/canned-replies"),
            (agent, "/api/v1/saved-views"),
            (admin, contacts_path),
        ]:
            with CaptureQueriesContext(connection) as queries:
                assert api.get(path).status_code == 200
            found.append(len(queries))
        return found

    CannedReply.objects.create(desk=cast.help_desk, title="One", body="1")
    SavedView.objects.create(owner=cast.agent_help, name="One")
    _contact(cast, last_name="One")
    counts()  # the tokens' first use is recorded once
    few = counts()
    for n in range(8):
        CannedReply.objects.create(desk=cast.help_desk, title=f"R{n}", body="x")
        SavedView.objects.create(owner=cast.lead_help, desk=cast.help_desk, name=f"V{n}")
        _contact(cast, last_name=f"C{n}")
    assert counts() == few
