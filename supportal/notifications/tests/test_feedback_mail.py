"""The customer's rating and message reach the agent who resolved the request and the desk's
team leads; a low rating is flagged."""

from __future__ import annotations

from supportal.notifications.tests.conftest import recipients
from supportal.tickets import services
from supportal.tickets.workflow import Action

AGENT = "bogdan.moraru@support.test"
LEAD = "lead@support.test"


def _resolved(cast):
    ticket = cast.ticket()
    services.ticket_transition(ticket=ticket, actor=cast.agent_help, action=Action.TAKE)
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Reset."
    )
    return ticket


def test_a_low_rating_with_its_message_is_mailed_to_the_resolver_and_the_team_lead(cast, mailbox):
    ticket = _resolved(cast)
    mailbox.deliver()

    services.feedback_give(
        ticket=ticket, actor=cast.cristina, rating=2, message="It took three days."
    )
    emails = mailbox.deliver()

    assert sorted(recipients(emails)) == [AGENT, LEAD]
    for email in emails:
        assert email.template == "agent_feedback"
        assert email.subject.startswith("Low rating: HELP-1 rated 2/5")
        assert "It took three days." in email.body_text
        assert "It took three days." in email.body_html
        assert "LOW RATING" in email.body_text


def test_a_good_rating_is_not_flagged_and_the_customer_gets_no_mail(cast, mailbox):
    ticket = _resolved(cast)
    mailbox.deliver()
    services.feedback_give(ticket=ticket, actor=cast.cristina, rating=5, message="Thank you!")
    emails = mailbox.deliver()
    assert sorted(recipients(emails)) == [AGENT, LEAD]
    assert emails[0].subject.startswith("HELP-1 rated 5/5")
    assert "LOW RATING" not in emails[0].body_text
