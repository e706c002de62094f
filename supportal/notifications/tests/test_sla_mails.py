"""SLA mails (docs/requirements.md S5, S6): warnings to the assignee or the team leads, breaches to
both, the customer's reply reminder; each SlaEvent mailed once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from supportal.core import jobs
from supportal.notifications.models import PendingSlaNotification, PendingState
from supportal.notifications.services import (
    agent_preference_set,
    notifications_sla_send_due,
)
from supportal.notifications.tests.conftest import recipients
from supportal.sla import sweeper
from supportal.sla.models import DeskSlaSettings, ReplyOverdueAction, SlaEvent, SlaEventKind
from supportal.sla.tests.conftest import bucharest
from supportal.tickets import services
from supportal.tickets.workflow import Action

CRISTINA = "cristina.tanasescu@example.com"
AGENT = "bogdan.moraru@support.test"
LEAD = "lead@support.test"
MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def sla_mails(mailbox):
    """Run the SLA queue until empty; the new outbox rows."""
    while notifications_sla_send_due(timezone.now()):
        pass
    return [email for email in mailbox.deliver() if email.template != "ticket_updated"]


def taken(cast, ticket):
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.TAKE,
        now=bucharest("Mon 2026-01-12 09:10"),
    )


def test_the_worker_runs_the_sla_mail_queue():
    assert jobs.registry.queues["notifications.sla"].handler is notifications_sla_send_due


def test_an_unassigned_warning_and_its_breach_go_to_the_team_leads(cast, default_policy, mailbox):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    mailbox.deliver()
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:21"))
    warning_mails = sla_mails(mailbox)
    assert recipients(warning_mails) == [LEAD]
    warning = warning_mails[0]
    assert warning.template == "agent_sla"
    assert warning.subject == f"{ticket.reference} {ticket.summary}"
    assert "SLA deadline near on HELP-1: Time to first response is due on" in warning.body_text
    assert "Nobody is assigned." in warning.body_text

    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:31"))
    breach = sla_mails(mailbox)
    assert recipients(breach) == [LEAD]
    assert "SLA deadline missed on HELP-1: Time to first response was due on" in (
        breach[0].body_text
    )


def test_a_warning_goes_to_the_assignee_and_a_breach_to_the_assignee_and_leads(
    cast, default_policy, mailbox
):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    taken(cast, ticket)
    mailbox.deliver()
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 10:55"))
    assert recipients(sla_mails(mailbox)) == [AGENT]
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 11:01"))
    breach = sla_mails(mailbox)
    assert sorted(recipients(breach)) == [AGENT, LEAD]
    # Shown in the recipient's time zone (the portal's: Bucharest), 11:00 local.
    assert "11:00" in breach[0].body_text or "11 a.m." in breach[0].body_text


def test_an_agent_who_turned_sla_warnings_off_still_gets_the_breach(cast, default_policy, mailbox):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    taken(cast, ticket)
    agent_preference_set(user=cast.agent_help, has_sla_warning_mail=False)
    mailbox.deliver()
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 10:55"))
    assert sla_mails(mailbox) == []
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 11:01"))
    assert sorted(recipients(sla_mails(mailbox))) == [AGENT, LEAD]


def test_the_preferences_page_offers_the_sla_warning_switch(cast, client):
    client.force_login(cast.agent_help)
    page = client.get("/notifications/preferences/")
    assert 'name="has_sla_warning_mail"' in page.content.decode()


def test_each_sla_event_is_mailed_once_however_often_the_workers_run(cast, default_policy, mailbox):
    cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    mailbox.deliver()
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:21"))
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:21"))  # a second sweeper: no new event
    assert PendingSlaNotification.objects.count() == 1
    now = timezone.now()
    assert notifications_sla_send_due(now) == 1
    assert notifications_sla_send_due(now) == 0  # claimed and done: a second worker gets nothing
    assert notifications_sla_send_due(now + dt.timedelta(hours=1)) == 0
    assert recipients(mailbox.deliver()) == [LEAD]
    row = PendingSlaNotification.objects.get()
    assert (row.state, row.email_count) == (PendingState.DONE, 1)


def test_a_crashed_worker_leaves_the_sla_mail_to_the_next_one_without_duplicates(
    cast, default_policy, mailbox
):
    cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    mailbox.deliver()
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:21"))
    now = timezone.now()
    jobs.claim_due(
        PendingSlaNotification.objects.filter(state=PendingState.PENDING),
        now=now,
        limit=10,
        lease_duration=dt.timedelta(minutes=5),
    )  # claimed, then the worker died
    assert notifications_sla_send_due(now) == 0  # still leased
    assert notifications_sla_send_due(now + dt.timedelta(minutes=6)) == 1
    assert recipients(mailbox.deliver()) == [LEAD]


@pytest.fixture
def waiting(cast, default_policy):
    DeskSlaSettings.objects.create(
        desk=cast.help_desk,
        customer_reply_duration=2 * H,
        reply_reminder_lead_duration=30 * MIN,
        reply_overdue_action=ReplyOverdueAction.NOTHING,
    )
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 08:50"))
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Un log, vă rog.",
        now=bucharest("Mon 2026-01-12 09:00"),
    )
    return ticket


def test_the_customer_is_reminded_in_their_language_even_when_muted(cast, waiting, mailbox):
    cast.cristina.language = "ro"
    cast.cristina.has_email_notifications = False
    cast.cristina.save()
    services.ticket_mute_set(ticket=waiting, user=cast.cristina, is_muted=True)
    mailbox.deliver()
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 10:31"))
    assert SlaEvent.objects.get(ticket=waiting).kind == SlaEventKind.REPLY_REMINDER
    reminder = sla_mails(mailbox)
    assert recipients(reminder) == [CRISTINA]
    assert reminder[0].template == "customer_reply_reminder"
    assert reminder[0].language == "ro"
    assert "11:00" in reminder[0].body_text
    assert waiting.reference in reminder[0].subject


def test_no_reminder_once_the_customer_has_answered(cast, waiting, mailbox):
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 10:31"))
    services.ticket_comment_add(ticket=waiting, author=cast.cristina, body="Poftiți logul.")
    assert CRISTINA not in recipients(sla_mails(mailbox))


def test_the_customers_answer_overdue_goes_to_the_team_leads_when_unassigned(
    cast, waiting, mailbox
):
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 10:31"))
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 11:01"))
    mails = sla_mails(mailbox)
    overdue = [email for email in mails if email.template == "agent_sla"]
    assert recipients(overdue) == [LEAD]
    assert "The customer's answer on HELP-1 was due on" in overdue[-1].body_text
