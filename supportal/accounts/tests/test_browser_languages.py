"""The reference story (docs/requirements.md#story) in the customer's own language, without anyone
setting it (docs/languages.md): an agent with an English browser registers a phone request, and
every mail the customer receives — the invitation and the six about her request — is in Romanian
(she wrote in Romanian) or in Czech (her company is Czech); her portal opens in that language too.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from supportal.accounts.models import Organization, OrganizationDomain, PortalSettings
from supportal.core.jobs import worker_tick
from supportal.mail.models import OutboundEmail
from supportal.tickets import services
from supportal.tickets.models import Ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _in(language: str, message: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def _drain() -> None:
    for _ in range(10):
        handled = worker_tick(holder="test")
        if not handled.get("notifications.pending"):
            return


def _log_in(page, user) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill("parola123")
    page.get_by_role("button", name="Log in").click()


def _status(page, label: str) -> None:
    expect(page.locator("h1 + p .status")).to_have_text(label)


def _the_reference_story_as_the_agent(
    page, *, email: str, company: str, summary: str, details: str
) -> Ticket:
    """The agent's side of the reference story, in the agent's English browser."""
    # The first detection loads the language model (about two seconds) on a busy machine.
    page.set_default_timeout(60_000)
    expect.set_options(timeout=60_000)
    _log_in(page, page.agent)
    page.goto("/agent/new/")
    page.get_by_label("Phone").check()
    page.get_by_label("Customer's e-mail address").fill(email)
    page.get_by_label("First name").fill("Client")
    if company:
        page.get_by_label("Company", exact=True).select_option(label=company)
    page.get_by_label("Summary").fill(summary)
    page.get_by_label("Details").fill(details)
    page.get_by_role("button", name="Register the request").click()
    expect(page.locator(".messages")).to_contain_text("registered as a new customer and invited")
    ticket = Ticket.objects.get(requester__email=email)
    _drain()
    page.keyboard.press("t")
    _status(page, "In progress")
    _drain()
    page.get_by_label("What the customer should send or test").fill("User name?")
    page.get_by_role("button", name="Ask the customer").click()
    _status(page, "Waiting for customer")
    _drain()
    services.ticket_comment_add(ticket=ticket, author=ticket.requester, body="client.web")
    _drain()
    page.reload()
    page.get_by_role("button", name="Start").click()
    _status(page, "In progress")
    _drain()
    page.get_by_label("Third party", exact=True).fill("EDI")
    page.get_by_role("button", name="Wait for third party").click()
    _status(page, "Waiting for third party")
    _drain()
    page.get_by_role("button", name="Third party answered").click()
    _status(page, "In progress")
    page.get_by_label("Resolution (the customer reads it)").fill("OK")
    page.get_by_role("button", name="Resolve").click()
    _status(page, "Resolved")
    page.get_by_role("button", name="Close").click()
    _status(page, "Closed")
    _drain()
    return ticket


def _assert_mails_in(language: str, email: str) -> None:
    mails = list(OutboundEmail.objects.filter(to=[email]).order_by("pk"))
    templates = [m.template for m in mails]
    assert templates[0] == "invitation" and templates[1] == "ticket_created"
    assert len([t for t in templates if t.startswith("ticket_")]) >= 6, templates
    assert {m.language for m in mails} == {language}
    assert _in(language, "Hello,") in mails[0].body_text
    assert "Hello," not in mails[0].body_text
    for mail in mails[1:]:
        assert _in(language, "Thank you,") in mail.body_text, mail.template
        assert "Thank you," not in mail.body_text


def _customer_portal(chromium, live_server, email: str, locale: str, language: str) -> None:
    """The customer opens her request in her own browser: the portal speaks her language."""
    context = chromium.new_context(base_url=live_server.url, locale=locale)
    try:
        page = context.new_page()
        client = Client()
        client.force_login(Ticket.objects.get(requester__email=email).requester)
        cookie = client.cookies["sessionid"]
        context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
        page.goto("/")
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator(".language-switcher [aria-current]")).to_have_text(language.upper())
    finally:
        context.close()


def test_the_reference_story_for_a_customer_registered_by_phone_is_all_in_romanian(
    page, chromium, live_server, cast
):
    site = PortalSettings.load()
    site.default_language = "en"  # nothing says Romanian but what she wrote
    site.save()
    page.agent = cast.agent_help
    _the_reference_story_as_the_agent(
        page,
        email="cristina.tanasescu@yahoo.example",
        company="",
        summary="Parola blocata",
        details="Buna ziua, am parola blocata si nu ma pot autentifica, rog deblocare.",
    )
    _assert_mails_in("ro", "cristina.tanasescu@yahoo.example")
    _customer_portal(chromium, live_server, "cristina.tanasescu@yahoo.example", "ro-RO", "ro")


def test_the_reference_story_for_the_customer_of_a_czech_company_is_all_in_czech(
    page, chromium, live_server, cast
):
    site = PortalSettings.load()
    site.default_language = "ro"
    site.save()
    novak = Organization.objects.create(name="Novák s.r.o.", language="cs")
    OrganizationDomain.objects.create(domain="novak.example", organization=novak)
    page.agent = cast.agent_help
    _the_reference_story_as_the_agent(
        page,
        email="jana@novak.example",
        company="Novák s.r.o.",
        summary="Password locked",  # the agent typed it in English: the company decides
        details="The customer cannot log in.",
    )
    _assert_mails_in("cs", "jana@novak.example")
    _customer_portal(chromium, live_server, "jana@novak.example", "en-US", "cs")
