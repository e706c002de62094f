"""Live updates between two agents' browsers (docs/workspace.md, Live updates), served by
uvicorn as in production: what one agent does reaches the other's open ticket page and queue
within 2 seconds, without a reload, and the other's half-written reply stays as it was. Both
ways of hearing it: the event stream (Redis) and the polling fallback."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from supportal.accounts.models import User
from supportal.conftest import ARTIFACTS
from supportal.workspace import live
from supportal.workspace.tests.asgi_server import asgi_server_running, redis_url_or_skip

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WITHIN_2_S = 2_000


@pytest.fixture(params=["stream", "poll"])
def mode(request):
    redis_url = redis_url_or_skip() if request.param == "stream" else ""
    channel = f"supportal:live:test:{uuid.uuid4().hex}"
    with override_settings(REDIS_URL=redis_url, SUPPORTAL_LIVE_CHANNEL=channel):
        live._publisher = None
        yield request.param
    live._publisher = None


@pytest.fixture
def server(mode, transactional_db):
    with asgi_server_running() as running:
        yield running


@pytest.fixture
def browser_context(chromium, server, request):
    contexts = []

    def new(name: str):
        context = chromium.new_context(
            base_url=server.url, locale="en-US", viewport={"width": 1440, "height": 900}
        )
        page = context.new_page()
        page.set_default_timeout(10_000)
        contexts.append((name, page, context))
        return page

    expect.set_options(timeout=10_000)
    yield new
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, page, context in contexts:
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}_{name}.png"), full_page=True)
        context.close()


def _log_in(page, user: User) -> None:
    page.goto("/login/")
    page.get_by_label("E-mail address").fill(user.email)
    page.get_by_label("Password").fill("parola123")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/agent/"))


def _listening(page, mode: str) -> None:
    """The page's live channel is open (a stream, or the first poll answered)."""
    page.wait_for_load_state("networkidle") if mode == "poll" else page.wait_for_timeout(300)


def test_a_colleagues_reply_and_status_change_reach_an_open_ticket_page_keeping_the_draft(
    cast, browser_context, mode
):
    ticket = cast.ticket(summary="Parola blocată")
    url = f"/agent/tickets/{ticket.reference}/"
    writer = browser_context("writer")
    _log_in(writer, cast.lead_help)
    writer.goto(url)
    draft = "Bună ziua, verific acum contul dumneavoastră și"
    writer.locator("#id_body").fill(draft)
    _listening(writer, mode)

    doer = browser_context("doer")
    _log_in(doer, cast.agent_help)
    doer.goto(url)
    if mode == "stream":
        # Presence too: the writer's page hears that someone arrived and tells at once (the
        # heartbeat alone would take up to 10 s).
        expect(writer.locator("#presence")).to_contain_text(
            "Bogdan Moraru has this request open", timeout=WITHIN_2_S
        )

    # A status change and an assignment: "Take".
    doer.get_by_role("button", name="Take").click()
    expect(doer.locator("#status-line .status")).to_have_text("In progress")
    expect(writer.locator("#status-line .status")).to_have_text("In progress", timeout=WITHIN_2_S)
    expect(writer.locator("#id_body")).to_have_value(draft)

    # A reply.
    doer.locator("#id_body").fill("Am resetat parola, vă rog încercați din nou.")
    doer.get_by_role("button", name="Send reply to customer").click()
    expect(doer.locator("#activity")).to_contain_text("Am resetat parola")
    started = time.monotonic()
    expect(writer.locator("#activity")).to_contain_text("Am resetat parola", timeout=WITHIN_2_S)
    delay = time.monotonic() - started
    expect(writer.locator("#id_body")).to_have_value(draft)
    assert writer.evaluate("document.activeElement.id") == "id_body"  # still writing there

    # What changed while they wrote is also said beside the page, and sending still asks first.
    expect(writer.locator("#changes")).to_contain_text("Bogdan Moraru added a comment.")
    writer.locator("#id_body").press_sequentially(" am deblocat parola.")
    writer.get_by_role("button", name="Add internal note").click()
    expect(writer.locator("#collision")).to_contain_text("changed while you were writing")
    expect(writer.locator("#id_body")).to_have_value(f"{draft} am deblocat parola.")
    writer.get_by_role("button", name="Add the note anyway").click()
    expect(writer.locator("#activity")).to_contain_text("am deblocat parola.")
    assert ticket.comments.filter(body=f"{draft} am deblocat parola.", is_public=False).exists()
    print(f"live ({mode}): the reply reached the other page {delay * 1000:.0f} ms after it showed")


def test_a_new_request_appears_in_an_open_queue(cast, browser_context, mode):
    first = cast.ticket(summary="Cererea de ieri")
    queue = browser_context("queue")
    _log_in(queue, cast.agent_help)
    queue.goto("/agent/?queue=all")
    queue.get_by_label(f"Select {first.reference}").check()
    _listening(queue, mode)

    ticket = cast.ticket(summary="Imprimanta fiscală nu tipărește")
    expect(queue.locator("table.queue")).to_contain_text(ticket.reference, timeout=WITHIN_2_S)
    expect(queue.locator("table.queue")).to_contain_text("Imprimanta fiscală nu tipărește")
    expect(queue.get_by_label(f"Select {first.reference}")).to_be_checked()  # still ticked

    # Another desk's request never shows up here.
    other = cast.ticket(desk=cast.dev_desk, summary="Eroare la export")
    queue.wait_for_timeout(1500)
    expect(queue.locator("table.queue")).not_to_contain_text(other.reference)
