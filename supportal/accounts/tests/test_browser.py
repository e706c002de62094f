"""The invited customer (docs/requirements.md#accounts) in a real browser (Chromium via Playwright),
in English, Romanian and Czech: from the invitation e-mail to a working log-in, and back through
"Forgot your password?". Fields are found by their ids, so the walk is the same in every
language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from supportal.accounts import services
from supportal.accounts.tests.helpers import link_path, mails

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "var" / "test-artifacts"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"accounts-{name}.png"), full_page=True)


def _set_password(page, password: str) -> None:
    page.locator("#id_new_password1").fill(password)
    page.locator("#id_new_password2").fill(password)
    page.locator("form.stack button[type=submit]").click()


def _log_in(page, email: str, password: str, *, remember: bool) -> None:
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(password)
    if remember:
        page.locator("#id_remember_me").check()
    page.locator("form.stack button[type=submit]").click()


@pytest.mark.parametrize("language", ["en", "ro", "cs"])
def test_an_invited_customer_sets_a_password_logs_in_and_resets_it(
    page, live_server, cast, language
):
    page.context.add_cookies(
        [{"name": "django_language", "value": language, "url": live_server.url}]
    )
    email = f"ana.pop.{language}@client.test"
    services.customer_invite(
        email=email, invited_by=cast.agent_help, organization=cast.cristina_srl, language=language
    )
    [invitation] = mails("invitation")
    assert invitation.language == language

    # The invitation's link: the rules are shown before typing.
    page.goto(link_path(invitation))
    assert page.locator("#password-rules li").count() == 4
    _shot(page, f"{language}-1-invitation")

    # Refused once by the policy, every broken rule named.
    _set_password(page, "vbz")
    # expect() waits for the refused form to come back; a bare count() raced the POST.
    expect(page.locator("[role=alert] li")).to_have_count(2)  # too short, too few digits
    _shot(page, f"{language}-2-refused")

    _set_password(page, "Munte-Rosu-42")
    expect(page.locator("#id_username")).to_be_visible()  # the log-in page
    _shot(page, f"{language}-3-password-set")

    _log_in(page, email, "Munte-Rosu-42", remember=True)
    page.wait_for_url(f"{live_server.url}/")
    [session_cookie] = [c for c in page.context.cookies() if c["name"] == "sessionid"]
    lifetime = session_cookie["expires"] - timezone.now().timestamp()
    assert timedelta(days=29) < timedelta(seconds=lifetime) <= timedelta(days=30)
    _shot(page, f"{language}-4-logged-in")

    page.locator("header form[action='/logout/'] button").click()
    expect(page.locator("#id_username")).to_be_visible()
    assert not [c for c in page.context.cookies() if c["name"] == "sessionid"]

    # "Forgot your password?", then the link in the e-mail.
    page.locator("a[href='/password/forgot/']").click()
    page.locator("#id_email").fill(email)
    page.locator("form.stack button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/password/forgot/sent/")
    _shot(page, f"{language}-5-reset-sent")
    [reset] = mails("password_reset")
    page.goto(link_path(reset))
    _set_password(page, "Vale-Verde-77")
    expect(page.locator("#id_username")).to_be_visible()
    _log_in(page, email, "Vale-Verde-77", remember=False)
    page.wait_for_url(f"{live_server.url}/")
    _shot(page, f"{language}-6-logged-in-again")
