"""The portal walked through in a real browser (Chromium via Playwright): the customer's side
of the reference story (docs/requirements.md#story), attachments, quotes and the record,
and a stranger who cannot reach any of it.

Screenshots of each page, at desktop and phone widths, are kept in var/test-artifacts/.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from supportal.desks.models import CustomField, Desk
from supportal.tickets import services
from supportal.tickets.models import NotificationMute, QuoteState, SubmissionMethod, Ticket
from supportal.tickets.workflow import Action, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[3] / "var" / "test-artifacts"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _log_in(page, user, live_server) -> None:
    """A session made on the server, handed to the browser (the log-in page has its own tests)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def _shot(page, name: str, *, phone: bool = True) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"portal-{name}.png"), full_page=True)
    if phone:
        page.set_viewport_size(PHONE)
        page.screenshot(path=str(ARTIFACTS / f"portal-{name}-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)


def _drop_file(page, selector: str, name: str, content: str) -> None:
    transfer = page.evaluate_handle(
        """([name, content]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([content], name, {type: "text/plain"}));
            return transfer;
        }""",
        [name, content],
    )
    page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_customer_answers_the_phone_request_accepts_a_quote_and_keeps_the_record(
    page, cast, live_server
):
    page.set_viewport_size(DESKTOP)
    CustomField.objects.create(desk=cast.help_desk, name="retailer", label="Retailer")
    ticket = cast.ticket(
        actor=cast.agent_help,
        summary="Parola blocată",
        submission_method=SubmissionMethod.PHONE,
        contact_phone="0721 111 222",
        custom_fields={"retailer": "Profi"},
    )
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Please confirm your Tecnet Web user name.",
    )
    _log_in(page, cast.cristina, live_server)

    page.goto("/")
    expect(page.locator("#awaiting-count")).to_have_text("1")
    _shot(page, "list")
    page.get_by_role("link", name="Awaiting your reply").first.click()
    expect(page.get_by_role("link", name=ticket.reference)).to_be_visible()
    _shot(page, "awaiting")
    page.get_by_role("link", name=ticket.reference).click()

    expect(page.get_by_text("The support team needs more information from you.")).to_be_visible()
    expect(page.get_by_text("Please confirm your Tecnet Web user name.")).to_be_visible()
    details = page.get_by_role("region", name="Request information").inner_text()
    assert "Phone" in details and "0721 111 222" in details
    assert "Profi" in page.locator("dl.custom").inner_text()
    _shot(page, "request-waiting")

    page.get_by_label("Comment", exact=True).fill("It is cristina.tanasescu")
    _drop_file(page, "[data-dropzone]", "error-log.txt", "ERROR 42")
    expect(page.get_by_text("error-log.txt")).to_be_visible()
    page.get_by_role("button", name="Add comment").click()
    expect(page.get_by_text("Your comment was added.")).to_be_visible()
    expect(page.get_by_role("link", name="error-log.txt").first).to_be_visible()
    expect(page.locator(".status-line .status")).to_have_text("Waiting for support")
    expect(page.locator("#awaiting-count")).to_have_text("0")
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT
    assert ticket.attachments.get().file.read() == b"ERROR 42"

    page.get_by_role("button", name="Don't notify me").click()
    expect(page.get_by_role("button", name="Notify me again")).to_be_visible()
    assert NotificationMute.objects.filter(ticket=ticket, user=cast.cristina).exists()

    quote = services.quote_propose(
        ticket=ticket, actor=cast.agent_help, price=Decimal("450"), note="Two hours of work"
    )
    page.reload()
    expect(page.locator("#awaiting-count")).to_have_text("1")
    _shot(page, "request-quote")
    page.get_by_role("button", name="Accept the quote").click()
    expect(page.get_by_text("You accepted the quote.")).to_be_visible()
    quote.refresh_from_db()
    assert quote.state == QuoteState.ACCEPTED

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download record").click()
    download = download_info.value
    assert download.suggested_filename == f"{ticket.reference}.html"
    record = Path(download.path()).read_text(encoding="utf-8")
    assert "It is cristina.tanasescu" in record and "Please confirm your Tecnet" in record
    page.get_by_role("link", name="Printable record").click()
    expect(page.get_by_role("button", name="Print or save as PDF")).to_be_visible()
    _shot(page, "record")


def test_customer_cancels_one_request_and_rates_a_resolved_one(page, cast, live_server):
    page.set_viewport_size(DESKTOP)
    to_cancel = cast.ticket(summary="Nu mai e nevoie")
    resolved = cast.ticket(summary="Imprimanta")
    services.ticket_transition(ticket=resolved, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=resolved, actor=cast.agent_help, action=Action.RESOLVE, resolution="Driver updated"
    )
    _log_in(page, cast.cristina, live_server)

    page.goto(f"/requests/{to_cancel.reference}/")
    page.locator("summary", has_text="Cancel request").click()  # asks first
    expect(page.get_by_text("Cancel this request?")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel the request").click()
    expect(page.get_by_text("The request was cancelled.")).to_be_visible()
    expect(page.get_by_text("can no longer be updated")).to_be_visible()
    expect(page.get_by_role("link", name="Open a new request")).to_be_visible()
    assert page.get_by_label("Comment", exact=True).count() == 0
    _shot(page, "request-cancelled")

    page.goto(f"/requests/{resolved.reference}/")
    page.locator("label.star").filter(has_text="4 out of 5").click()
    page.get_by_label("A message for the agent who solved it").fill("Fast, thanks Bogdan")
    _shot(page, "feedback-form")
    page.get_by_role("button", name="Send feedback").click()
    expect(page.get_by_text("Thank you for your feedback.")).to_be_visible()
    expect(page.get_by_text("4 out of 5").first).to_be_visible()
    resolved.refresh_from_db()
    assert resolved.feedback.rating == 4
    assert Ticket.objects.get(pk=to_cancel.pk).status == Status.CANCELLED


def test_customer_opens_a_request_with_a_pasted_screenshot_and_nothing_is_lost_on_error(
    page, cast, live_server
):
    page.set_viewport_size(DESKTOP)
    Desk.objects.filter(pk=cast.help_desk.pk).update(
        attachment_max_bytes=50, large_files_hint="For large files, please use ftp.wizrom.ro."
    )
    _log_in(page, cast.cristina, live_server)
    page.goto("/")
    page.get_by_role("link", name="New request").first.click()
    _shot(page, "new-choose-desk", phone=False)
    page.get_by_role("link", name="Helpdesk").click()

    page.get_by_label("Request type").select_option(label="Bug")
    page.get_by_label("Details").fill("Line one\nLine two")
    expect(page.locator("#details-counter")).to_contain_text("17 of 8,000")
    _drop_file(page, "[data-dropzone]", "too-big.log", "x" * 100)
    expect(page.get_by_text("files are limited to 50")).to_be_visible()
    expect(page.get_by_text("ftp.wizrom.ro").first).to_be_visible()
    page.evaluate(
        """() => {
            const transfer = new DataTransfer();
            transfer.items.add(new File(["png"], "image.png", {type: "image/png"}));
            const event = new ClipboardEvent("paste", {clipboardData: transfer, bubbles: true});
            document.querySelector("#id_details").dispatchEvent(event);
        }"""
    )
    assert page.locator("[data-file-list] li").filter(has_text="screenshot-").count() == 1
    # The summary is missing: the server refuses, and everything comes back.
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("Everything you entered, files included, is kept.")).to_be_visible()
    assert page.get_by_label("Details").input_value() == "Line one\nLine two"
    pending = page.locator("fieldset.pending label")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("screenshot-")
    _shot(page, "new-with-error")

    page.get_by_label("Summary").fill("Ecran alb la pornire")
    page.get_by_role("button", name="Send request").click()
    expect(page.get_by_text("was registered.")).to_be_visible()
    ticket = Ticket.objects.get()
    expect(page.get_by_text(f"Your request {ticket.reference} was registered.")).to_be_visible()
    expect(page.locator("h1")).to_contain_text(ticket.reference)
    assert ticket.attachments.get().file_name.startswith("screenshot-")
    assert ticket.details == "Line one\nLine two"
    _shot(page, "new-created")


def test_a_customer_of_another_company_cannot_reach_any_of_it(page, cast, live_server):
    ticket = cast.ticket(
        attachments=[services.NewAttachment(file=SimpleUploadedFile("scan.pdf", b"%PDF"))]
    )
    _log_in(page, cast.other_customer, live_server)
    for url in (
        f"/requests/{ticket.reference}/",
        f"/requests/{ticket.reference}/record/",
        f"/requests/{ticket.reference}/record/?download=1",
        f"/files/{ticket.attachments.get().pk}/",
    ):
        assert page.goto(url).status == 404, url
    page.goto(f"/?q={ticket.summary}&status=any")
    assert page.get_by_text(ticket.reference).count() == 0
    _shot(page, "stranger-search", phone=False)
