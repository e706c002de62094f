"""Two-factor sign-in with the keyboard only, in Czech: an agent whose role requires it logs in
with Tab and Enter, is held at enrolment, mistypes the app's code (the same QR code stays and
the field is empty for the next try), confirms the app, then signs in with the next code and
later with a recovery code — never touching the mouse (docs/security.md#two-factor-sign-in)."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.utils import translation
from playwright.sync_api import Locator, Page, expect

from supportal.accounts.models import TwoFactorPolicy

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LANGUAGE = "cs"


def _in(message: str) -> str:
    with translation.override(LANGUAGE):
        return translation.gettext(message)


@pytest.fixture
def czech_page(chromium, live_server):
    context = chromium.new_context(base_url=live_server.url, locale="cs-CZ")
    page = context.new_page()
    # Two shared cores run the live server, Chromium and the database: patience.
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    yield page
    context.close()


def _is_focused(locator: Locator) -> bool:
    return bool(locator.evaluate("element => element === document.activeElement"))


def _tab_to(page: Page, locator: Locator, *, most: int = 40) -> None:
    """Press Tab until ``locator`` has the focus: it must be reachable by keyboard."""
    for _ in range(most):
        if _is_focused(locator):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{locator} is not reachable with Tab")


def _type_into(page: Page, locator: Locator, text: str) -> None:
    _tab_to(page, locator)
    page.keyboard.type(text)


def _log_in(page: Page, user) -> None:
    page.goto("/login/")
    _type_into(page, page.get_by_label(_in("E-mail address")), user.email)
    _type_into(page, page.get_by_label(_in("Password")), "parola123")
    page.keyboard.press("Enter")


def _log_out(page: Page) -> None:
    page.goto("/account/")
    _tab_to(page, page.get_by_role("button", name=_in("Log out")).first)
    page.keyboard.press("Enter")
    expect(page.get_by_label(_in("E-mail address"))).to_be_visible()


def _wrong_code(totp: pyotp.TOTP) -> str:
    now = time.time()
    valid = {totp.at(now + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def test_an_agent_enrols_and_signs_in_with_the_keyboard_only_in_czech(czech_page, cast):
    page = czech_page
    policy = TwoFactorPolicy.load()
    policy.is_required_for_agents = True
    policy.save()
    agent = cast.agent_help
    agent.language = LANGUAGE
    agent.save(update_fields=["language"])

    _log_in(page, agent)
    expect(page).to_have_url(re.compile(r"/account/two-factor/"))
    expect(page.locator("html")).to_have_attribute("lang", LANGUAGE)
    secret = page.locator("#totp-secret").inner_text()
    qr = page.locator("figure.qr svg").inner_html()
    totp = pyotp.TOTP(secret)
    code_field = page.get_by_role("textbox", name=_in("Code"), exact=True)

    # A mistyped code: refused, the field empty and focused again, the same QR code and key.
    _type_into(page, code_field, _wrong_code(totp))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(_in("The code is not right."))
    expect(code_field).to_have_value("")
    assert _is_focused(code_field)
    assert page.locator("#totp-secret").inner_text() == secret
    assert page.locator("figure.qr svg").inner_html() == qr

    page.keyboard.type(totp.now())
    page.keyboard.press("Enter")
    codes = page.locator("#recovery-codes li")
    expect(codes).to_have_count(10)
    recovery_codes = codes.all_inner_texts()
    _tab_to(page, page.get_by_role("link", name=_in("Continue")))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/agent/$"))

    # Signing in again: the second step with the app's next code (a used one never works).
    _log_out(page)
    _log_in(page, agent)
    expect(page.get_by_role("heading", name=_in("Second step"))).to_be_visible()
    second_step = page.get_by_label(_in("Code from your authenticator app, or a recovery code"))
    _type_into(page, second_step, _wrong_code(totp))
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(_in("The code is not right."))
    expect(second_step).to_have_value("")
    _type_into(page, second_step, totp.at(time.time() + 30))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=_in("Second step"))).to_have_count(0)
    page.goto("/agent/")
    expect(page).to_have_url(re.compile(r"/agent/$"))

    # The phone is lost: a recovery code, once.
    _log_out(page)
    _log_in(page, agent)
    _type_into(page, second_step, recovery_codes[0])
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=_in("Second step"))).to_have_count(0)
    expect(page.get_by_text(re.compile(r"\b9\b"))).to_be_visible()  # "… 9 left" in Czech
    _log_out(page)
    _log_in(page, agent)
    _type_into(page, second_step, recovery_codes[0])
    page.keyboard.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text(_in("The code is not right."))
