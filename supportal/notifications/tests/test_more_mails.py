"""Participants added, quotes proposed, cancellations: who is told."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from supportal.notifications.services import agent_preference_set
from supportal.notifications.tests.conftest import recipients
from supportal.tickets import services
from supportal.tickets.workflow import Action

CRISTINA = "cristina.tanasescu@example.com"
COLLEAGUE = "ion.popescu@example.com"
AGENT = "bogdan.moraru@support.test"


def test_a_person_the_request_is_shared_with_is_told_so(cast, mailbox):
    ticket = cast.ticket()
    mailbox.deliver()
    services.participant_add(ticket=ticket, actor=cast.cristina, person=cast.colleague)
    emails = mailbox.deliver()
    assert recipients(emails) == [COLLEAGUE]
    assert emails[0].template == "participant_added"
    assert "Cristina Tănăsescu shared the request HELP-1 with you." in emails[0].body_text
    assert CRISTINA in emails[0].body_text  # the other participants line


def test_a_proposed_quote_reaches_the_requester_even_when_muted(cast, mailbox):
    ticket = cast.ticket()
    services.ticket_mute_set(ticket=ticket, user=cast.cristina, is_muted=True)
    mailbox.deliver()
    services.quote_propose(
        ticket=ticket,
        actor=cast.agent_help,
        price=Decimal("1500"),
        deadline=dt.date(2026, 5, 4),
        note="Două zile de lucru.",
    )
    emails = mailbox.deliver()
    assert recipients(emails) == [CRISTINA]
    assert emails[0].template == "quote_proposed"
    assert "Bogdan Moraru proposed a quote for your request: 1500.00 RON." in emails[0].body_text
    assert "Două zile de lucru." in emails[0].body_text


def test_a_cancellation_is_told_to_the_assignee(cast, mailbox):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    mailbox.deliver()
    services.ticket_transition(ticket=ticket, actor=cast.cristina, action=Action.CANCEL)
    emails = mailbox.deliver()
    cancelled = [email for email in emails if AGENT in email.to]
    assert [email.template for email in cancelled] == ["agent_cancelled"]
    assert "Cristina Tănăsescu cancelled HELP-1, which is assigned to you." in (
        cancelled[0].body_text
    )


def test_an_agent_may_turn_cancellation_mails_off(cast, mailbox):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    agent_preference_set(user=cast.agent_help, has_cancellation_mail=False)
    mailbox.deliver()
    services.ticket_transition(ticket=ticket, actor=cast.cristina, action=Action.CANCEL)
    assert AGENT not in recipients(mailbox.deliver())
