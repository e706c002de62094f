"""Company log-in by registration number and password (docs/requirements.md A6): off by default,
switched on per company and for the portal, throttled like any log-in."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from supportal.accounts import selectors, services
from supportal.accounts.models import Organization, User
from supportal.accounts.tests.helpers import mails

COMPANY_PASSWORD = "Firma-2024-ok"


def _company_login(client: Client, number: str, password: str = COMPANY_PASSWORD):
    return client.post(
        reverse("accounts:company_login"), {"registration_number": number, "password": password}
    )


@pytest.fixture
def company(cast, portal) -> User:
    portal.is_company_login_enabled = True
    portal.save()
    cast.cristina_srl.has_company_login = True
    cast.cristina_srl.save()
    account = services.company_account_ensure(organization=cast.cristina_srl)
    account.set_password(COMPANY_PASSWORD)
    account.save()
    return account


def test_company_log_in_is_off_by_default(client, cast, portal):
    assert not portal.is_company_login_enabled
    assert not Organization().has_company_login

    assert client.get(reverse("accounts:company_login")).status_code == 404


def test_a_company_logs_in_with_its_registration_number_and_password(client, cast, company):
    assert reverse("accounts:company_login") in client.get(reverse("login")).content.decode()

    response = _company_login(client, " ro 123 ", COMPANY_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(company.pk)
    assert selectors.user_requires_contact_email(company)
    assert "Cristina SRL" in client.get(reverse("accounts:profile")).content.decode()


def test_a_company_whose_switch_is_off_cannot_log_in(client, cast, company):
    cast.cristina_srl.has_company_login = False
    cast.cristina_srl.save()

    page = _company_login(client, "RO123").content.decode()

    assert "The registration number or the password is not right." in page
    assert "_auth_user_id" not in client.session


def test_a_wrong_company_password_is_refused(client, cast, company):
    page = _company_login(client, "RO123", "Gresit-2024").content.decode()

    assert "The registration number or the password is not right." in page


def test_switching_company_log_in_off_ends_the_company_sessions(client, cast, company, portal):
    _company_login(client, "RO123")
    assert client.get(reverse("accounts:profile")).status_code == 200

    portal.is_company_login_enabled = False
    portal.save()

    assert client.get(reverse("accounts:profile")).status_code == 302


def test_the_company_account_cannot_log_in_by_its_placeholder_address(client, cast, company):
    response = client.post(
        reverse("login"), {"username": company.email, "password": COMPANY_PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_company_log_in_is_throttled(client, cast, company, clock):
    for _ in range(5):
        _company_login(client, "RO123", "Gresit-2024")
        clock.advance(seconds=30)

    response = _company_login(client, "RO123")

    assert response.status_code == 429
    assert "locked" in response.content.decode()


def test_company_log_in_needs_a_registration_number_that_no_other_company_uses(cast):
    nameless = Organization(name="Fără număr", has_company_login=True)
    with pytest.raises(ValidationError):
        nameless.full_clean()

    cast.cristina_srl.has_company_login = True
    cast.cristina_srl.save()
    twin = Organization(name="Geamăn", registration_number="ro123", has_company_login=True)
    with pytest.raises(ValidationError):
        twin.full_clean()


def test_a_company_has_one_company_account_that_gets_no_invitation(cast):
    first = services.company_account_ensure(organization=cast.cristina_srl)
    second = services.company_account_ensure(organization=cast.cristina_srl)

    assert first == second
    assert first.email.endswith("@companies.invalid")
    assert not first.has_usable_password()
    services.customer_invite(email=first.email, invited_by=cast.agent_help)
    assert mails() == []


def test_a_request_from_a_company_account_must_name_a_contact_email(cast, company):
    from supportal.core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="contact e-mail"):
        cast.ticket(requester=company)
    ticket = cast.ticket(requester=company, contact_email="Ion.Popescu@example.com")
    assert ticket.contact_email == "ion.popescu@example.com"
    assert ticket.notification_email == "ion.popescu@example.com"


def test_the_new_request_form_asks_a_company_account_for_the_contact_email(client, cast, company):
    _company_login(client, "RO123")
    response = client.get(reverse("portal:new"), {"desk": cast.help_desk.key})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Required: every e-mail about this request goes to this address." in page
