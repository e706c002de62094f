"""An agent signs in through the identity provider in a real browser: the "Sign in with …"
button, the provider's own log-in form, and back into the workspace (docs/sso.md)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from supportal.accounts.models import TwoFactorPolicy
from supportal.sso import client
from supportal.sso.models import IdentityProvider
from supportal.sso.tests.conftest import CLIENT_ID, CLIENT_SECRET, SECRET_ENV, SLUG, provider_start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_provider(live_server, settings, monkeypatch):
    settings.SUPPORTAL_BASE_URL = live_server.url
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    client.metadata_forget()
    yield from provider_start([f"{live_server.url}/sso/{SLUG}/callback/"])


def test_an_agent_signs_in_through_the_providers_form(page, cast, browser_provider):
    policy = TwoFactorPolicy.load()
    policy.is_required_for_agents = True
    policy.save()
    IdentityProvider.objects.create(
        name="Tecnet ID",
        slug=SLUG,
        issuer=browser_provider.issuer,
        client_id=CLIENT_ID,
        client_secret_env=SECRET_ENV,
        allowed_domains="support.test",
    )
    browser_provider.account("sub-bogdan", cast.agent_help.email)

    page.goto("/agent/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_role("link", name="Sign in with Tecnet ID").click()
    expect(page.get_by_role("heading", name="Test identity provider")).to_be_visible()
    page.get_by_label("E-mail").fill(cast.agent_help.email)
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    page.get_by_label("E-mail").fill(cast.agent_help.email)
    page.get_by_label("Password").fill("provider-pass")
    # The provider's second factor: the policy's second step is then not asked again.
    page.get_by_label("I used my authenticator app").check()
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))
    expect(page.get_by_role("heading", name="Second step")).to_have_count(0)
