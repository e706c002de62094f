""" "SSO only": agents of the provider's domains (or linked to it) may not log in with a
password, on the portal's log-in page nor the administration site's, and get no reset link;
administrators keep their password (docs/sso.md#sso-only)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from supportal.accounts.tests.helpers import mails
from supportal.audit.models import Action, AuditEntry
from supportal.sso.models import IdentityProvider, SsoIdentity

REFUSED = "This account signs in with single sign-on only"


@pytest.fixture
def sso_only(db, cast):
    return IdentityProvider.objects.create(
        name="Tecnet ID",
        slug="tecnet",
        issuer="https://id.support.test",
        client_id="supportal",
        client_secret_env="SUPPORTAL_SSO_TECNET",
        allowed_domains="support.test",
        is_sso_only=True,
    )


def _log_in(web: Client, email: str, url: str = "/login/"):
    return web.post(url, {"username": email, "password": "parola123"})


def test_an_agent_of_the_domain_is_refused_the_password_with_a_clear_message(sso_only, cast):
    web = Client()
    page = _log_in(web, cast.agent_help.email)
    assert page.status_code == 403
    assert REFUSED in page.content.decode()
    assert "“Sign in with Tecnet ID”" in page.content.decode()
    assert "_auth_user_id" not in web.session
    entry = AuditEntry.objects.get(action=Action.PASSWORD_LOGIN_REFUSED)
    assert entry.object_id == str(cast.agent_help.pk)


def test_the_administration_sites_log_in_refuses_too(sso_only, cast):
    cast.agent_help.is_staff = True
    cast.agent_help.save()
    web = Client()
    page = _log_in(web, cast.agent_help.email, "/admin/login/")
    assert REFUSED in page.content.decode()
    assert "_auth_user_id" not in web.session


def test_a_wrong_password_gets_the_same_refusal_and_is_not_counted(sso_only, cast):
    web = Client()
    for _attempt in range(6):
        page = web.post("/login/", {"username": cast.agent_help.email, "password": "x"})
        assert page.status_code == 403 and REFUSED in page.content.decode()
    assert not AuditEntry.objects.filter(action=Action.LOGIN_FAILED).exists()


def test_an_agent_linked_to_the_provider_is_refused_whatever_the_domain(sso_only, cast):
    sso_only.allowed_domains = "elsewhere.test"
    sso_only.save()
    assert _log_in(Client(), cast.agent_help.email).status_code == 302
    SsoIdentity.objects.create(provider=sso_only, subject="s-1", user=cast.agent_help)
    assert REFUSED in _log_in(Client(), cast.agent_help.email).content.decode()


def test_administrators_and_customers_keep_their_password(sso_only, cast):
    assert _log_in(Client(), cast.admin.email).status_code == 302
    assert _log_in(Client(), cast.cristina.email).status_code == 302


def test_without_sso_only_the_password_works(sso_only, cast):
    sso_only.is_sso_only = False
    sso_only.save()
    assert _log_in(Client(), cast.agent_help.email).status_code == 302


def test_no_reset_link_for_an_sso_only_agent(sso_only, cast):
    page = Client().post(
        reverse("accounts:password_forgot"), {"email": cast.agent_help.email}, follow=True
    )
    assert page.status_code == 200
    assert mails("password_reset") == []
    Client().post(reverse("accounts:password_forgot"), {"email": cast.admin.email})
    assert [mail.to for mail in mails("password_reset")] == [[cast.admin.email]]
