"""The support side of the reference story (docs/requirements.md#story) in a real browser, and two
agents colliding on one ticket."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from supportal.accounts.models import User
from supportal.conftest import ARTIFACTS
from supportal.mail.models import OutboundEmail
from supportal.tickets import services
from supportal.tickets.models import Comment, SubmissionMethod, Ticket
from supportal.tickets.workflow import Status
from supportal.workspace import presence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_presence(monkeypatch):
    # The live server runs in this process: a one-second heartbeat keeps the tests short.
    monkeypatch.setattr(presence, "POLL_SECONDS", 1)
    cache.clear()
    yield
    cache.clear()


def _log_in(page, user: User) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill("parola123")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/agent/"))


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"workspace_{name}.png"), full_page=True)


def _status(page, label: str) -> None:
    expect(page.locator("h1 + p .status")).to_have_text(label)


def test_agent_runs_the_reference_story_from_registration_to_closing(page, cast):
    _log_in(page, cast.agent_help)
    _shot(page, "01_queue")

    # A phone call from someone who is not yet a customer.
    page.keyboard.press("n")
    expect(page).to_have_url(re.compile(r"/agent/new/"))
    page.get_by_label("Phone").check()
    page.get_by_label("Customer's e-mail address").fill("cristina.tanasescu@yahoo.com")
    page.get_by_label("First name").fill("Cristina")
    page.get_by_label("Last name").fill("Tanasescu")
    page.get_by_label("or a new company").fill("Tanasescu Retail SRL")
    page.get_by_label("Contact number").fill("+40 21 231 4702")
    page.get_by_label("Summary").fill("Parola blocată")
    page.get_by_label("Details").fill("Am parola blocata, rog deblocare")
    page.get_by_label("Summary").click()  # leaves the e-mail field: the customer panel updates
    expect(page.locator("#requester")).to_contain_text("New customer")
    _shot(page, "02_register")
    page.get_by_role("button", name="Register the request").click()

    expect(page.locator(".messages")).to_contain_text("registered as a new customer and invited")
    ticket = Ticket.objects.get()
    customer = ticket.requester
    assert customer.email == "cristina.tanasescu@yahoo.com"
    assert ticket.submission_method == SubmissionMethod.PHONE
    assert OutboundEmail.objects.filter(template="invitation", to=[customer.email]).exists()
    _status(page, "Waiting for support")
    expect(page.locator("aside")).to_contain_text("Phone")
    _shot(page, "03_registered")

    page.keyboard.press("t")  # take
    _status(page, "In progress")

    page.get_by_label("What the customer should send or test").fill(
        "Please confirm your Tecnet Web user name."
    )
    page.get_by_role("button", name="Ask the customer").click()
    _status(page, "Waiting for customer")
    _shot(page, "04_asked")

    # The customer answers in the portal; the open page notices without a reload.
    services.ticket_comment_add(ticket=ticket, author=customer, body="It is cristina.tanasescu")
    expect(page.locator("#changes")).to_contain_text("added a comment")
    page.reload()
    expect(page.locator("#activity")).to_contain_text("It is cristina.tanasescu")
    _status(page, "Waiting for support")
    _shot(page, "05_answered")

    page.get_by_role("button", name="Start").click()
    _status(page, "In progress")
    page.get_by_label("Third party", exact=True).fill("EDI provider")
    page.get_by_role("button", name="Wait for third party").click()
    _status(page, "Waiting for third party")
    page.get_by_label("Their answer (internal note, optional)").fill("EDI unlocked the account.")
    page.get_by_role("button", name="Third party answered").click()
    _status(page, "In progress")
    expect(page.locator("#activity li.internal").first).to_contain_text("EDI unlocked the account.")
    _shot(page, "06_third_party")

    page.get_by_label("Resolution (the customer reads it)").fill("The password was reset.")
    page.get_by_role("button", name="Resolve").click()
    _status(page, "Resolved")
    page.get_by_role("button", name="Close").click()
    _status(page, "Closed")
    _shot(page, "07_closed")
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    assert ticket.resolution == "The password was reset."


def test_second_agent_is_warned_before_posting_over_a_new_reply(page, chromium, live_server, cast):
    ticket = cast.ticket()
    other_context = chromium.new_context(base_url=live_server.url, locale="en-US")
    lead = other_context.new_page()
    lead.set_default_timeout(10_000)
    try:
        _log_in(page, cast.agent_help)
        _log_in(lead, cast.lead_help)
        page.goto(f"/agent/tickets/{ticket.reference}/")
        lead.goto(f"/agent/tickets/{ticket.reference}/")

        expect(page.locator("#presence")).to_contain_text("Lena Lead has this request open")
        lead.get_by_label("Reply or internal note").fill("Lena's answer: the account is unlocked.")
        expect(page.locator("#presence")).to_contain_text("Lena Lead is writing…")
        expect(lead.locator("#presence")).to_contain_text("Bogdan Moraru has this request open")
        _shot(page, "collision_1_writing")

        page.get_by_label("Reply or internal note").fill("Bogdan's answer: I reset your password.")
        _mark_page(page)
        lead.get_by_role("button", name="Send reply to customer").click()
        expect(lead.locator(".messages")).to_contain_text("Reply sent.")
        expect(page.locator("#changes")).to_contain_text("Lena Lead added a comment.")

        page.get_by_role("button", name="Send reply to customer").click()
        warning = page.locator("#collision")
        expect(warning).to_contain_text("This request changed while you were writing")
        expect(warning).to_contain_text("Lena's answer: the account is unlocked.")
        expect(warning).to_be_focused()
        expect(page.get_by_label("Reply or internal note")).to_have_value(
            "Bogdan's answer: I reset your password."
        )
        _shot(page, "collision_2_warned")
        assert not Comment.objects.filter(author=cast.agent_help).exists()

        page.get_by_label("Reply or internal note").fill("Bogdan: as Lena said, all done.")
        page.get_by_role("button", name="Send the reply anyway").dblclick()
        expect(page.locator(".messages")).to_contain_text("Reply sent.")
        expect(page.locator("#collision")).to_have_count(0)
        _shot(page, "collision_3_sent")
        assert _still_the_same_page(page)  # warned and sent without a reload
        assert list(ticket.comments.values_list("author__email", "body")) == [
            (cast.lead_help.email, "Lena's answer: the account is unlocked."),
            (cast.agent_help.email, "Bogdan: as Lena said, all done."),
        ]
    finally:
        other_context.close()


def _mark_page(page) -> None:
    # A value on `window` lives only as long as the document: a reload or a navigation drops it.
    page.evaluate("window.notReloaded = true")


def _still_the_same_page(page) -> bool:
    return page.evaluate("window.notReloaded === true")


def test_taking_and_replying_update_the_page_in_place(page, cast):
    ticket = cast.ticket()
    _log_in(page, cast.agent_help)
    page.goto(f"/agent/tickets/{ticket.reference}/")
    _mark_page(page)

    page.keyboard.press("t")  # take
    _status(page, "In progress")
    expect(page.locator("#facts")).to_contain_text("Bogdan Moraru")
    expect(page.get_by_role("button", name="Take")).to_have_count(0)
    expect(page.get_by_role("button", name="Assign to me")).to_have_count(0)
    expect(page.locator("#status-line")).to_be_focused()
    expect(page.locator("#announce")).to_have_text("The request was updated.")

    page.get_by_label("Reply or internal note").fill("I reset your password.")
    page.get_by_role("button", name="Send reply to customer").click()
    expect(page.locator(".messages")).to_have_text("Reply sent.")
    expect(page.locator("#activity li").first).to_contain_text("I reset your password.")
    expect(page.get_by_label("Reply or internal note")).to_have_value("")
    expect(page.get_by_label("Reply or internal note")).to_be_focused()
    expect(page.locator("#announce")).to_have_text("Reply sent.")

    # A refusal keeps the text and says why, in place too.
    page.get_by_label("Third party", exact=True).fill("   ")
    page.get_by_role("button", name="Wait for third party").click()
    expect(page.locator(".messages .error")).to_contain_text("Say which third party")
    expect(page.get_by_label("Third party", exact=True)).to_be_focused()

    page.get_by_label("Resolution (the customer reads it)").fill("The password was reset.")
    page.get_by_role("button", name="Resolve").click()
    _status(page, "Resolved")
    expect(page.locator("#fields")).to_have_count(0)  # no classification once resolved
    expect(page.locator("#resolution-slot")).to_contain_text("The password was reset.")
    expect(page.locator("#customer")).to_contain_text("Recent requests (0 open)")
    _shot(page, "in_place_resolved")
    assert _still_the_same_page(page)
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert list(ticket.comments.values_list("body", flat=True)) == ["I reset your password."]


def test_the_ticket_page_works_without_javascript(chromium, live_server, cast):
    ticket = cast.ticket()
    context = chromium.new_context(
        base_url=live_server.url, locale="en-US", java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        _log_in(page, cast.agent_help)
        page.goto(f"/agent/tickets/{ticket.reference}/")
        page.get_by_role("button", name="Take").click()
        _status(page, "In progress")
        expect(page.locator(".messages")).to_contain_text("The request was updated.")

        page.get_by_label("Reply or internal note").fill("I reset your password.")
        page.get_by_role("button", name="Send reply to customer").click()
        expect(page).to_have_url(re.compile(r"#activity$"))
        expect(page.locator(".messages")).to_contain_text("Reply sent.")
        expect(page.locator("#activity")).to_contain_text("I reset your password.")

        # The collision warning works the same way without the script.
        services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Still locked")
        page.get_by_label("Reply or internal note").fill("Try again now.")
        page.get_by_role("button", name="Send reply to customer").click()
        expect(page.locator("#collision")).to_contain_text("Still locked")
        page.get_by_role("button", name="Send the reply anyway").click()
        expect(page.locator(".messages")).to_contain_text("Reply sent.")
        _shot(page, "no_javascript")
    finally:
        context.close()
    assert list(ticket.comments.values_list("body", flat=True)) == [
        "I reset your password.",
        "Still locked",
        "Try again now.",
    ]


def test_when_the_in_place_request_fails_the_form_is_sent_the_ordinary_way(page, cast):
    ticket = cast.ticket()
    _log_in(page, cast.agent_help)
    page.goto(f"/agent/tickets/{ticket.reference}/")
    _mark_page(page)

    def drop_fetches(route):
        if route.request.headers.get("x-requested-with") == "fetch":
            route.abort()
        else:
            route.continue_()

    page.route("**/do/take/", drop_fetches)
    page.get_by_role("button", name="Take").click()

    _status(page, "In progress")
    expect(page.locator(".messages")).to_contain_text("The request was updated.")
    assert not _still_the_same_page(page)
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
