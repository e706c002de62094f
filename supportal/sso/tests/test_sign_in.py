"""Agents sign in through a real OpenID provider (oidc-provider on Node.js): the whole
authorization-code flow with PKCE, the ID token checked, the agent found, linked or created
(docs/sso.md)."""

from __future__ import annotations

import urllib.parse

import pytest
from django.test import Client

from supportal.accounts.models import TwoFactorPolicy, User
from supportal.accounts.services import twofactor
from supportal.audit.models import Action, AuditEntry
from supportal.desks.models import DeskMembership, DeskRole
from supportal.sso.models import SsoIdentity
from supportal.sso.tests.conftest import SLUG


def _start(web: Client, next_url: str = "") -> str:
    url = f"/sso/{SLUG}/start/" + (f"?next={next_url}" if next_url else "")
    response = web.get(url)
    assert response.status_code == 302, response.content
    return response["Location"]


def _sign_in(web: Client, provider, email: str, **kwargs):
    back = provider.sign_in(_start(web), email, **kwargs)
    parts = urllib.parse.urlsplit(back)
    return web.get(f"{parts.path}?{parts.query}")


def _logged_in(web: Client) -> User | None:
    user_id = web.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_the_log_in_page_offers_the_provider(client, idp):
    page = client.get("/login/")
    assert "Sign in with Tecnet ID" in page.content.decode()
    assert f'href="/sso/{SLUG}/start/"' in page.content.decode()


def test_the_provider_is_asked_with_pkce_state_and_nonce(client, idp):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(_start(client)).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert query["state"][0] and query["nonce"][0]
    assert query["redirect_uri"] == [f"http://testserver/sso/{SLUG}/callback/"]
    assert query["scope"] == ["openid email profile"]


def test_agent_signs_in_by_verified_email_and_is_linked(client, idp, oidc_provider, cast):
    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    response = _sign_in(client, oidc_provider, cast.agent_help.email)
    assert response.status_code == 302
    assert _logged_in(client) == cast.agent_help
    link = SsoIdentity.objects.get(provider=idp, subject="sub-bogdan")
    assert link.user == cast.agent_help and link.last_login_at is not None
    entry = AuditEntry.objects.filter(action=Action.SSO_LOGIN).get()
    assert entry.actor == cast.agent_help
    assert entry.after["provider"] == "Tecnet ID" and entry.after["mfa"] is False
    assert AuditEntry.objects.filter(action=Action.LOGIN, actor=cast.agent_help).exists()
    # The session ends with the browser, like a password log-in without "Keep me logged in".
    assert client.session.get_expire_at_browser_close()


def test_the_agent_lands_on_the_page_asked_for(client, idp, oidc_provider, cast):
    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    back = oidc_provider.sign_in(_start(client, "/agent/"), cast.agent_help.email)
    parts = urllib.parse.urlsplit(back)
    assert client.get(f"{parts.path}?{parts.query}")["Location"] == "/agent/"


def test_a_changed_address_at_the_provider_still_finds_the_agent(client, idp, oidc_provider, cast):
    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    _sign_in(client, oidc_provider, cast.agent_help.email)
    oidc_provider.account("sub-bogdan", "bogdan.m@support.test")
    again = Client()
    _sign_in(again, oidc_provider, "bogdan.m@support.test")
    assert _logged_in(again) == cast.agent_help
    assert SsoIdentity.objects.get(subject="sub-bogdan").email == "bogdan.m@support.test"


def test_an_unverified_address_is_refused(client, idp, oidc_provider, cast):
    oidc_provider.account("sub-x", cast.agent_help.email, verified=False)
    response = _sign_in(client, oidc_provider, cast.agent_help.email)
    assert response.status_code == 403
    assert "has not verified your e-mail address" in response.content.decode()
    assert _logged_in(client) is None
    entry = AuditEntry.objects.filter(action=Action.SSO_FAILED).get()
    assert "email_verified" in entry.after["reason"]
    assert not SsoIdentity.objects.exists()


def test_an_address_of_another_domain_is_refused(client, idp, oidc_provider, cast):
    oidc_provider.account("sub-c", cast.cristina.email)
    response = _sign_in(client, oidc_provider, cast.cristina.email)
    assert response.status_code == 403
    assert "Addresses of this domain may not sign in here." in response.content.decode()
    assert _logged_in(client) is None


def test_a_customer_cannot_sign_in_through_the_provider(client, idp, oidc_provider, cast):
    idp.allowed_domains = ""
    idp.save()
    oidc_provider.account("sub-c", cast.cristina.email)
    response = _sign_in(client, oidc_provider, cast.cristina.email)
    assert response.status_code == 403
    assert "for the support team" in response.content.decode()
    assert _logged_in(client) is None


def test_an_unknown_address_is_refused_when_agents_are_not_created(client, idp, oidc_provider):
    oidc_provider.account("sub-new", "new.agent@support.test")
    response = _sign_in(client, oidc_provider, "new.agent@support.test")
    assert response.status_code == 403
    assert "No account of the support team uses new.agent@support.test" in (
        response.content.decode()
    )
    assert not User.objects.filter(email="new.agent@support.test").exists()


def test_an_unknown_address_becomes_an_agent_of_the_chosen_desk(client, idp, oidc_provider, cast):
    idp.creates_agents = True
    idp.desk = cast.dev_desk
    idp.desk_role = DeskRole.TEAM_LEAD
    idp.save()
    oidc_provider.account("sub-new", "new.agent@support.test", given_name="Nora", family_name="Nou")
    _sign_in(client, oidc_provider, "new.agent@support.test")
    user = _logged_in(client)
    assert user is not None and user.email == "new.agent@support.test"
    assert user.is_agent and not user.is_staff and not user.has_usable_password()
    assert (user.first_name, user.last_name) == ("Nora", "Nou")
    membership = DeskMembership.objects.get(user=user)
    assert (membership.desk, membership.role) == (cast.dev_desk, DeskRole.TEAM_LEAD)
    created = AuditEntry.objects.get(action=Action.SSO_USER_CREATED)
    assert created.desk_id == cast.dev_desk.pk


def test_the_answer_cannot_be_taken_to_another_browser(client, idp, oidc_provider, cast):
    """The state (and the PKCE verifier and nonce with it) live in the session that started."""
    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    back = oidc_provider.sign_in(_start(client), cast.agent_help.email)
    parts = urllib.parse.urlsplit(back)
    other = Client()
    _start(other)
    response = other.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 400
    assert _logged_in(other) is None
    assert AuditEntry.objects.filter(action=Action.SSO_FAILED).exists()


def test_the_same_answer_works_once(client, idp, oidc_provider, cast):
    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    back = oidc_provider.sign_in(_start(client), cast.agent_help.email)
    parts = urllib.parse.urlsplit(back)
    assert client.get(f"{parts.path}?{parts.query}").status_code == 302
    client.logout()
    assert client.get(f"{parts.path}?{parts.query}").status_code == 400
    assert _logged_in(client) is None


def test_cancelling_at_the_provider_says_so(client, idp, oidc_provider, cast):
    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    response = _sign_in(client, oidc_provider, cast.agent_help.email, action="cancel")
    assert response.status_code == 400
    assert "cancelled at the identity provider" in response.content.decode()


def test_a_discovery_document_of_another_issuer_is_refused(client, idp, oidc_provider):
    idp.issuer = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    idp.save()
    response = client.get(f"/sso/{SLUG}/start/")
    assert response.status_code == 502
    assert "cannot be reached now" in response.content.decode()
    assert "DiscoveryMismatch" in AuditEntry.objects.get(action=Action.SSO_FAILED).after["reason"]


def test_a_missing_client_secret_is_a_clear_failure(client, idp, monkeypatch):
    monkeypatch.delenv("SUPPORTAL_SSO_TEST_SECRET")
    response = client.get(f"/sso/{SLUG}/start/")
    assert response.status_code == 502
    reason = AuditEntry.objects.get(action=Action.SSO_FAILED).after["reason"]
    assert "SUPPORTAL_SSO_TEST_SECRET is not set" in reason


def test_the_secret_is_read_from_a_file(client, idp, oidc_provider, cast, settings, tmp_path):
    (tmp_path / "tecnet-id").write_text("supportal-test-secret\n")
    settings.SUPPORTAL_SSO_SECRET_DIR = str(tmp_path)
    idp.client_secret_env, idp.client_secret_file = "", "tecnet-id"
    idp.save()
    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    _sign_in(client, oidc_provider, cast.agent_help.email)
    assert _logged_in(client) == cast.agent_help


def test_an_inactive_provider_is_not_found(client, idp):
    idp.is_active = False
    idp.save()
    assert client.get(f"/sso/{SLUG}/start/").status_code == 404
    assert "Sign in with" not in client.get("/login/").content.decode()


@pytest.mark.parametrize("otp, state", [(True, twofactor.OK), (False, twofactor.ENROLL)])
def test_the_providers_second_factor_counts_only_when_it_says_so(
    client, idp, oidc_provider, cast, otp, state
):
    policy = TwoFactorPolicy.load()
    policy.is_required_for_agents = True
    policy.save()
    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    _sign_in(client, oidc_provider, cast.agent_help.email, otp=otp)
    entry = AuditEntry.objects.get(action=Action.SSO_LOGIN)
    assert client.session[twofactor.SESSION_KEY] == state, entry.after
    assert entry.after["mfa"] is otp
    assert entry.after["amr"] == (["pwd", "otp"] if otp else ["pwd"])
    page = client.get("/agent/")
    if otp:
        assert page.status_code == 200
    else:
        assert page.status_code == 302 and "two-factor" in page["Location"]


def test_an_id_token_not_signed_with_the_providers_key_is_refused(client, idp, oidc_provider, cast):
    """The keys Supportal trusts are swapped for others under the same key id (as if someone
    had replaced the provider's key set): the provider's genuine token no longer verifies."""
    from joserfc.jwk import RSAKey

    from supportal.sso import client as oidc_client

    oidc_provider.account("sub-bogdan", cast.agent_help.email)
    _sign_in(client, oidc_provider, cast.agent_help.email)
    cached = oidc_client._metadata[(idp.pk, idp.issuer)]
    forged = []
    for key in cached["jwks"]["keys"]:
        other = RSAKey.generate_key(2048, parameters={"kid": key["kid"], "use": "sig"})
        forged.append(other.as_dict(private=False))
    cached["jwks"] = {"keys": forged}

    again = Client()
    response = _sign_in(again, oidc_provider, cast.agent_help.email)
    assert response.status_code == 400
    assert _logged_in(again) is None
    assert "ID token" in AuditEntry.objects.get(action=Action.SSO_FAILED).after["reason"]


@pytest.mark.parametrize("query", ["", "?code=abc&state=forged", "?error=access_denied"])
def test_a_callback_without_a_started_sign_in_is_refused(client, idp, query):
    response = client.get(f"/sso/{SLUG}/callback/{query}")
    assert response.status_code == 400
    assert _logged_in(client) is None
