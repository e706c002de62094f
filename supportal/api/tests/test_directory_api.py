"""Customers and companies are the support team's; desks and priorities everyone reads."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from supportal.accounts.models import Organization, User
from supportal.mail.models import OutboundEmail

pytestmark = pytest.mark.django_db


def test_customers_are_for_the_support_team_only(cast, api_as):
    response = api_as(cast.cristina).get("/api/v1/customers", {"q": "cristina"})
    assert response.status_code == 403
    assert api_as(cast.cristina).post("/api/v1/customers", {"email": "x@y.ro"}).status_code == 403
    assert api_as(cast.cristina).post("/api/v1/companies", {"name": "Evil"}).status_code == 403
    assert not User.objects.filter(email="x@y.ro").exists()
    assert not Organization.objects.filter(name="Evil").exists()


def test_agent_finds_customers(cast, api_as):
    found = api_as(cast.agent_help).get("/api/v1/customers", {"q": cast.cristina.email}).json()
    assert [c["id"] for c in found] == [cast.cristina.pk]
    assert found[0]["company"]["id"] == cast.cristina_srl.pk
    # Agents are no customers.
    agents = api_as(cast.agent_help).get("/api/v1/customers", {"q": cast.agent_dev.email}).json()
    assert agents == []


def test_agent_registers_and_invites_a_customer_with_a_new_company(cast, api_as):
    api = api_as(cast.agent_help)
    response = api.post(
        "/api/v1/customers",
        {"email": "Ion.Nou@Firma-Noua.ro", "first_name": "Ion", "new_company": "Firma Nouă SRL"},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["email"] == "ion.nou@firma-noua.ro"
    assert data["company"]["name"] == "Firma Nouă SRL"
    assert data["has_password"] is False
    assert OutboundEmail.objects.filter(to__icontains="ion.nou@firma-noua.ro").count() == 1
    again = api.post(f"/api/v1/customers/{data['id']}/invite")
    assert again.status_code == 200


def test_an_agents_address_is_no_customer(cast, api_as):
    response = api_as(cast.agent_help).post("/api/v1/customers", {"email": cast.agent_dev.email})
    assert response.status_code == 422
    assert response.json()["field"] == "email"


def test_companies_find_and_create_once(cast, api_as):
    api = api_as(cast.agent_help)
    created = api.post(
        "/api/v1/companies", {"name": "  Nouă   SA ", "registration_number": "RO98765"}
    )
    assert created.status_code == 201
    same = api.post("/api/v1/companies", {"name": "nouă sa"})
    assert same.status_code == 200
    assert same.json()["id"] == created.json()["id"]
    found = api.get("/api/v1/companies", {"q": "RO98765"}).json()
    assert [c["name"] for c in found] == ["Nouă SA"]
    assert api.post("/api/v1/companies", {"name": " "}).status_code == 422


def test_desks_and_priorities_in_constant_queries(cast, api_as):
    api = api_as(cast.cristina)
    api.get("/api/v1/desks")
    with CaptureQueriesContext(connection) as queries:
        desks = api.get("/api/v1/desks").json()
    assert {d["key"] for d in desks} == {"HELP", "DEV"}
    help_desk = next(d for d in desks if d["key"] == "HELP")
    assert cast.question.name in [t["name"] for t in help_desk["request_types"]]
    assert len(queries) <= 6
    priorities = api.get("/api/v1/priorities").json()
    assert {p["name"] for p in priorities} >= {cast.high.name, cast.normal.name}
