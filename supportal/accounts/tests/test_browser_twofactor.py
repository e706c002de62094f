"""Two-factor sign-in in a real browser: an agent whose role requires it is taken to
enrolment right after the password, sets up an authenticator app from the page (the code
computed with pyotp, as the app would) and logs in again with it; a customer adds a passkey
and signs in with it, through Chromium's virtual authenticator (Playwright's CDP session)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from supportal.accounts.models import TwoFactorPolicy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, user) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill("parola123")
    page.get_by_label("Password").press("Enter")


def _log_out(page) -> None:
    page.goto("/account/")
    page.get_by_role("button", name="Log out").first.click()


def test_an_agent_enrols_an_authenticator_app_and_logs_in_with_it(page, cast):
    policy = TwoFactorPolicy.load()
    policy.is_required_for_agents = True
    policy.save()

    _log_in(page, cast.agent_help)
    expect(page.get_by_text("Your role requires two-factor sign-in")).to_be_visible()
    page.goto("/agent/")  # nothing else until enrolled
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    expect(page.locator("figure.qr svg")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text())
    page.get_by_role("textbox", name="Code", exact=True).fill(totp.now())
    page.get_by_role("textbox", name="Code", exact=True).press("Enter")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/agent/$"))

    _log_out(page)
    _log_in(page, cast.agent_help)
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    # The next time step's code: the one that confirmed the app cannot be used twice.
    page.get_by_label("Code from your authenticator app").fill(totp.at(time.time() + 30))
    page.get_by_label("Code from your authenticator app").press("Enter")
    expect(page.get_by_role("heading", name="Second step")).to_have_count(0)
    page.goto("/agent/")
    expect(page).to_have_url(re.compile(r"/agent/$"))


def test_a_customer_adds_a_passkey_and_signs_in_with_it(page, cast):
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    _log_in(page, cast.cristina)
    page.goto("/account/two-factor/")
    page.get_by_label("Name of the new passkey").fill("Laptop")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-codes li")).to_have_count(10)

    _log_out(page)
    _log_in(page, cast.cristina)
    expect(page.get_by_role("heading", name="Second step")).to_be_visible()
    page.get_by_role("button", name="Use a passkey or security key").click()
    expect(page.get_by_role("heading", name="Second step")).to_have_count(0)
    page.goto("/account/")
    expect(page).to_have_url(re.compile(r"/account/$"))
