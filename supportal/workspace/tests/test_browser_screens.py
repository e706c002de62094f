"""The daily screens in a real browser at 1440×900 and at phone width: what an agent sees
without scrolling (docs/workspace.md)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from supportal.accounts.models import User
from supportal.conftest import ARTIFACTS
from supportal.tickets import services
from supportal.workspace import presence

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _fast_presence(monkeypatch):
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
    page.screenshot(path=str(ARTIFACTS / f"screens_{name}.png"))


def _rows_in_view(page) -> int:
    return page.evaluate(
        """() => [...document.querySelectorAll('tr[data-row]')]
            .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length"""
    )


def _wider_than_window(page) -> list[str]:
    """The elements that stick out of the window on the right (empty: no sideways scroll)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
    )


def test_queue_shows_fifteen_rows_in_one_screen_with_one_toolbar_row(page, cast):
    for number in range(30):
        cast.ticket(
            summary=f"Cannot print invoices from the web shop after the update, case {number}",
            priority=cast.high if number % 3 else cast.normal,
        )
    page.set_viewport_size(DESKTOP)
    _log_in(page, cast.agent_help)

    expect(page.locator("tr[data-row]")).to_have_count(30)
    assert _rows_in_view(page) >= 15
    assert _wider_than_window(page) == []
    # Filters, saved views and bulk actions sit in one toolbar row.
    tops = page.evaluate(
        """() => [...document.querySelectorAll('.toolbar > *')]
            .map(e => Math.round(e.getBoundingClientRect().top))"""
    )
    assert max(tops) - min(tops) < 20, tops
    # The reference never breaks, the summary keeps to one line and shows in full on hover.
    first = page.locator("tr[data-row]").first
    assert first.locator("td.ref a").evaluate("a => a.getClientRects().length") == 1
    summary = first.locator("td").nth(2)
    assert summary.evaluate("td => td.scrollWidth > td.clientWidth") is True  # cut off…
    expect(summary).to_have_attribute("title", re.compile("Cannot print invoices"))  # …not lost
    expect(first).to_contain_text("Cristina Tănăsescu · Cristina SRL")
    expect(page.locator("[data-count='at_risk']")).to_have_text("0")
    _shot(page, "queue_desktop")

    # Bulk actions open from the toolbar and count the selection.
    page.keyboard.press("j")
    page.keyboard.press("x")
    expect(page.locator("#selected-count")).to_have_text("1")
    page.locator("summary", has_text="With the selected").click()
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("1 request changed")

    # The next visit opens the last queue and sort.
    page.get_by_role("link", name=re.compile("^Unassigned")).click()
    page.get_by_label("Sort by").select_option("age")
    page.get_by_role("button", name="Search").click()
    page.goto("/agent/")
    expect(page.locator("nav.queues [aria-current=page]")).to_contain_text("Unassigned")
    expect(page.get_by_label("Sort by")).to_have_value("age")

    page.set_viewport_size(PHONE)
    page.reload()
    assert _wider_than_window(page) == []
    expect(page.locator("tr[data-row]").first.locator("td.ref")).to_be_visible()
    _shot(page, "queue_phone")


def _in_first_screen(locator) -> bool:
    box = locator.bounding_box()
    height = locator.page.viewport_size["height"]
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_ticket_page_has_the_work_above_the_fold(page, cast):
    from supportal.sla.models import Calendar, Policy

    calendar, _created = Calendar.objects.get_or_create(
        name="24/7", defaults={"time_zone": "Europe/Bucharest", "is_always_open": True}
    )
    Policy.objects.create(
        name="Always",
        calendar=calendar,
        first_response_duration=dt.timedelta(hours=1),
        resolution_duration=dt.timedelta(hours=8),
    )
    ticket = cast.ticket(
        summary="Invoices do not print",
        details="Since this morning no invoice prints from the web shop.\n" * 6,
    )
    for number in range(6):
        services.ticket_comment_add(
            ticket=ticket, author=cast.cristina, body=f"Still broken, attempt {number}."
        )
    page.set_viewport_size(DESKTOP)
    _log_in(page, cast.agent_help)
    page.goto(f"/agent/tickets/{ticket.reference}/")

    for locator in (
        page.get_by_label("Reply or internal note"),
        page.get_by_label("Status after the reply"),
        page.get_by_role("button", name="Send reply to customer"),
        page.locator(".key-facts .sla").first,
        page.locator("#customer"),
        page.locator("#customer").get_by_text("Cristina SRL"),
    ):
        assert _in_first_screen(locator), locator
    expect(page.locator(".key-facts")).to_contain_text("Time to first response")
    expect(page.locator(".key-facts .sla").first).to_contain_text("left")
    # The customer panel is beside the conversation, not below it.
    reply_box = page.locator("#reply").bounding_box()
    customer = page.locator("#customer").bounding_box()
    assert customer["x"] > reply_box["x"] + reply_box["width"] - 1
    _shot(page, "ticket_desktop")

    # From the keyboard: r, type, choose "and wait for the customer", send.
    page.keyboard.press("r")
    page.keyboard.type("Which browser do you print from?")
    page.get_by_label("Status after the reply").select_option("request_info")
    page.get_by_role("button", name="Send reply to customer").click()
    expect(page.locator("h1 + p .status")).to_have_text("Waiting for customer")
    expect(page.locator("#activity")).to_contain_text("Which browser do you print from?")
    expect(page.get_by_label("Reply or internal note")).to_have_value("")

    page.set_viewport_size(PHONE)
    page.reload()
    assert _wider_than_window(page) == []
    # On a phone the reply box, its status and Send fit on one screen together.
    page.keyboard.press("r")
    page.locator("#reply").evaluate("e => e.scrollIntoView({block: 'start'})")
    assert _in_first_screen(page.get_by_label("Status after the reply"))
    assert _in_first_screen(page.get_by_role("button", name="Send reply to customer"))
    _shot(page, "ticket_phone")


def test_uploaded_png_and_pdf_preview_on_the_ticket_page(page, cast, settings, tmp_path):
    from supportal.tickets.tests.test_previews import pdf_bytes, png_bytes

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = str(tmp_path)
    ticket = cast.ticket(summary="Printer error")
    page.set_viewport_size(DESKTOP)
    _log_in(page, cast.agent_help)
    page.goto(f"/agent/tickets/{ticket.reference}/")

    page.get_by_label("Reply or internal note").fill("The error screen and the invoice.")
    page.get_by_label("Attachments").set_input_files(
        [
            {"name": "error.png", "mimeType": "image/png", "buffer": png_bytes()},
            {"name": "invoice.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()},
        ]
    )
    page.get_by_role("button", name="Add internal note").click()
    expect(page.locator("#activity")).to_contain_text("The error screen and the invoice.")
    page.reload()

    thumbnails = page.locator("#files img")
    expect(thumbnails).to_have_count(2)
    for index in range(2):
        thumbnail = thumbnails.nth(index)
        thumbnail.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle()
        )
        assert thumbnail.evaluate("img => img.naturalWidth") <= 480
    # Each preview links to the permission-checked download.
    expect(page.locator("#files a").first).to_have_attribute("href", re.compile(r"^/files/\d+/$"))
    _shot(page, "previews")
