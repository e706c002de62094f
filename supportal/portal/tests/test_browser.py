"""The portal walked through in a real browser (Chromium via Playwright)."""

from __future__ import annotations

import pytest

from supportal.tickets import services
from supportal.tickets.workflow import Action, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_answers_a_question_and_the_agent_sees_it(page, cast):
    ticket = cast.ticket(summary="Parola blocată")
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Please confirm your Tecnet Web user name.",
    )
    page.goto("/")
    page.get_by_label("E-mail address").fill(cast.cristina.email)
    page.get_by_label("Password").fill("parola123")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=ticket.reference).click()
    assert page.get_by_text("Waiting for customer").first.is_visible()
    assert page.get_by_text("Please confirm your Tecnet Web user name.").is_visible()

    page.get_by_label("Comment").fill("It is cristina.tanasescu")
    page.get_by_role("button", name="Add comment").click()
    assert page.get_by_text("Your comment was added.").is_visible()
    assert page.get_by_text("It is cristina.tanasescu").is_visible()
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_SUPPORT
