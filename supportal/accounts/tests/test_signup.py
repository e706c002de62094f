"""Sign-up in each mode: closed (the default), open, known companies' domains, and request
access with an agent's approval. The address is confirmed first, and the sign-up page answers
the same whatever the address."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from supportal.accounts import services
from supportal.accounts.models import (
    AccessRequest,
    AccessRequestState,
    OrganizationDomain,
    SignupMode,
    User,
)
from supportal.accounts.tests.helpers import link_path, mails
from supportal.accounts.tokens import signup_token_make
from supportal.core.errors import InvalidInput, PermissionRefused

PASSWORD = "Munte-Rosu-42"


@pytest.fixture
def mode(portal):
    def set_mode(value: str) -> None:
        portal.signup_mode = value
        portal.save()

    return set_mode


def _sign_up(client: Client, email: str, **fields):
    data = {"email": email, "first_name": "Ana", "last_name": "Pop", **fields}
    return client.post(reverse("accounts:signup"), data, follow=True)


def test_sign_up_is_closed_by_default(client, portal):
    assert portal.signup_mode == SignupMode.CLOSED

    page = _sign_up(client, "ana@client.test").content.decode()

    assert "Sign-up is closed" in page
    assert "Forgot your password?" in page
    assert mails() == []
    with pytest.raises(PermissionRefused):
        services.signup_request(email="ana@client.test")


def test_open_sign_up_confirms_the_address_then_the_password_is_chosen(client, cast, mode):
    mode(SignupMode.OPEN)

    page = _sign_up(client, "Ana@Client.test").content.decode()

    assert "Check your e-mail" in page
    assert not User.objects.filter(email="ana@client.test").exists()  # not before confirming
    [confirm] = mails("signup_verify")
    assert confirm.subject == "[Supportal] Confirm your e-mail address"
    path = link_path(confirm)
    assert "Your password must follow these rules:" in client.get(path).content.decode()
    refused = client.post(path, {"new_password1": "vbz", "new_password2": "vbz"})
    assert "too short" in refused.content.decode()
    assert not User.objects.filter(email="ana@client.test").exists()

    response = client.post(path, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert response.url == reverse("login")
    user = User.objects.get(email="ana@client.test")
    assert (user.first_name, user.last_name, user.organization) == ("Ana", "Pop", None)
    assert user.check_password(PASSWORD)
    assert "already has an account" in client.get(path).content.decode()


def test_signing_up_with_an_address_that_has_an_account_looks_the_same_and_mails_a_reset(
    cast, mode
):
    mode(SignupMode.OPEN)

    new = _sign_up(Client(), "ana@client.test")
    existing = _sign_up(Client(), cast.cristina.email)

    assert new.content == existing.content
    [reset] = mails("password_reset")
    assert reset.to == [cast.cristina.email]
    assert "This address already has an account." in reset.body_text


def test_open_sign_up_puts_people_into_the_company_of_their_domain(client, cast, mode):
    mode(SignupMode.OPEN)
    OrganizationDomain.objects.create(organization=cast.cristina_srl, domain="client.test")
    _sign_up(client, "ana@client.test")

    client.post(link_path(mails()[0]), {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert User.objects.get(email="ana@client.test").organization == cast.cristina_srl


def test_known_company_sign_up_refuses_other_domains_by_mail_only(cast, mode):
    mode(SignupMode.DOMAINS)
    OrganizationDomain.objects.create(organization=cast.cristina_srl, domain="client.test")

    known = _sign_up(Client(), "ana@client.test")
    unknown = _sign_up(Client(), "ana@gmail.test")

    assert known.content == unknown.content
    refusal = mails(to="ana@gmail.test")[0]
    assert refusal.subject == "[Supportal] About your sign-up"
    assert "not one of them" in refusal.body_text
    assert "/signup/confirm/" not in refusal.body_text
    web = Client()
    web.post(
        link_path(mails(to="ana@client.test")[0]),
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert User.objects.get(email="ana@client.test").organization == cast.cristina_srl


def test_a_forged_known_company_sign_up_for_another_domain_creates_nothing(client, cast, mode):
    mode(SignupMode.DOMAINS)
    token = signup_token_make({"email": "ana@gmail.test", "language": "en"})

    with pytest.raises(PermissionRefused):
        services.signup_complete(data={"email": "ana@gmail.test"}, password=PASSWORD)
    client.post(
        reverse("accounts:signup_verify", args=[token]),
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )

    assert not User.objects.filter(email="ana@gmail.test").exists()


def test_request_access_waits_for_an_agents_approval(client, cast, mode):
    mode(SignupMode.REQUEST)
    page = client.get(reverse("accounts:signup")).content.decode()
    assert "Request access" in page and "Registration number" in page

    _sign_up(
        client,
        "ana@client.test",
        company_name="Client SRL",
        registration_number="RO999",
        message="Contabilitate",
    )
    path = link_path(mails("signup_verify")[0])
    assert "Confirm your request" in client.get(path).content.decode()
    assert not AccessRequest.objects.exists()  # opening the link changes nothing

    page = client.post(path).content.decode()
    client.post(path)  # twice: still one request

    assert "waiting for approval" in page
    access_request = AccessRequest.objects.get()
    assert (access_request.company_name, access_request.registration_number) == (
        "Client SRL",
        "RO999",
    )
    assert access_request.state == AccessRequestState.PENDING
    assert not User.objects.filter(email="ana@client.test").exists()

    user = services.access_request_approve(
        access_request=access_request, decided_by=cast.agent_help, organization=cast.cristina_srl
    )

    assert (user.organization, user.first_name) == (cast.cristina_srl, "Ana")
    access_request.refresh_from_db()
    assert (access_request.state, access_request.decided_by) == (
        AccessRequestState.APPROVED,
        cast.agent_help,
    )
    [invitation] = mails("invitation")
    assert invitation.to == ["ana@client.test"]
    with pytest.raises(InvalidInput):
        services.access_request_approve(access_request=access_request, decided_by=cast.agent_help)


def test_a_rejected_request_gets_no_account_and_no_mail(cast):
    access_request = services.access_request_create(data={"email": "ana@client.test"})

    services.access_request_reject(access_request=access_request, decided_by=cast.agent_help)

    access_request.refresh_from_db()
    assert access_request.state == AccessRequestState.REJECTED
    assert not User.objects.filter(email="ana@client.test").exists()
    assert mails() == []


def test_only_the_support_team_decides_access_requests(cast):
    access_request = services.access_request_create(data={"email": "ana@client.test"})

    with pytest.raises(PermissionRefused):
        services.access_request_approve(
            access_request=access_request, decided_by=cast.cristina_admin
        )


def test_an_expired_sign_up_link_says_so(client, mode):
    mode(SignupMode.OPEN)
    token = signup_token_make({"email": "ana@client.test"}, now=timezone.now() - timedelta(days=3))

    page = client.get(reverse("accounts:signup_verify", args=[token])).content.decode()

    assert "This link has expired" in page
    assert "Sign up again" in page


def test_a_tampered_sign_up_link_is_refused(client, mode):
    mode(SignupMode.OPEN)
    token = signup_token_make({"email": "ana@client.test"})
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")

    response = client.post(
        reverse("accounts:signup_verify", args=[tampered]),
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )

    assert "This link can no longer be used" in response.content.decode()
    assert not User.objects.filter(email="ana@client.test").exists()


def test_a_sign_up_link_stops_working_when_sign_up_is_closed(client, mode):
    mode(SignupMode.OPEN)
    token = signup_token_make({"email": "ana@client.test"})
    mode(SignupMode.CLOSED)

    page = client.get(reverse("accounts:signup_verify", args=[token])).content.decode()

    assert "Sign-up is closed" in page


def test_signing_up_in_a_loop_sends_one_mail_a_minute(client, mode):
    mode(SignupMode.OPEN)
    for _ in range(4):
        _sign_up(client, "ana@client.test")

    assert len(mails()) == 1
