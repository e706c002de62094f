"""The sweeper: warnings and breaches found through the index and recorded once each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction

from supportal.core import jobs
from supportal.core.tests.threads import at_once
from supportal.sla import sweeper
from supportal.sla.models import (
    Clock,
    DeskSlaSettings,
    Goal,
    ReplyOverdueAction,
    SlaEvent,
    SlaEventKind,
)
from supportal.sla.tests.conftest import bucharest
from supportal.tickets import services
from supportal.tickets.models import EventKind
from supportal.tickets.workflow import Action, Status

MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def recorded(ticket) -> list[tuple[str, str, dt.datetime]]:
    return [
        (event.goal, event.kind, event.due_at)
        for event in SlaEvent.objects.filter(ticket=ticket).order_by("due_at", "pk")
    ]


def test_the_worker_sweeps_on_every_tick():
    assert jobs.registry.queues["sla.sweep"].handler is sweeper.sla_sweep_due


def test_a_warning_then_a_breach_are_recorded_once_each_when_due(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))

    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:19")) == 0
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:21")) == 1
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:22")) == 0
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:31")) == 1
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:40")) == 0

    assert recorded(ticket) == [
        (Goal.FIRST_RESPONSE, SlaEventKind.WARNING, bucharest("Mon 2026-01-12 09:20")),
        (Goal.FIRST_RESPONSE, SlaEventKind.BREACH, bucharest("Mon 2026-01-12 09:30")),
    ]
    # Nobody is assigned: the desk's team leads are told, of the warning and of the breach.
    for event in SlaEvent.objects.filter(ticket=ticket):
        assert event.data["recipient_ids"] == [cast.lead_help.pk]
        assert event.data["was_assigned"] is False
        assert event.recorded_at > event.due_at
    first = Clock.objects.get(ticket=ticket, goal=Goal.FIRST_RESPONSE)
    assert (first.is_breached, first.next_due_at) == (True, None)


def test_a_breach_goes_to_the_assignee_and_the_team_leads(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.TAKE,
        now=bucharest("Mon 2026-01-12 09:10"),
    )
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 10:55"))
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 11:01"))
    warning, breach = SlaEvent.objects.filter(ticket=ticket).order_by("due_at")
    assert (warning.kind, warning.goal) == (SlaEventKind.WARNING, Goal.RESOLUTION)
    assert warning.data["recipient_ids"] == [cast.agent_help.pk]
    assert breach.data["recipient_ids"] == [cast.agent_help.pk, cast.lead_help.pk]
    assert breach.assignee == cast.agent_help


def test_a_warning_that_comes_due_with_its_breach_is_left_out(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    # The worker was down from 09:00 to 09:45.
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:45")) == 1
    assert recorded(ticket) == [
        (Goal.FIRST_RESPONSE, SlaEventKind.BREACH, bucharest("Mon 2026-01-12 09:30"))
    ]


def test_a_paused_clock_is_never_warned_about(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Un log, vă rog.",
        now=bucharest("Mon 2026-01-12 09:10"),
    )
    assert sweeper.sla_sweep_due(bucharest("Fri 2026-01-16 12:00")) == 0
    assert not Clock.objects.filter(ticket=ticket, next_due_at__isnull=False).exists()


def test_a_deadline_passed_before_a_pause_is_still_recorded_as_a_breach(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.TAKE,
        now=bucharest("Mon 2026-01-12 09:05"),
    )
    # The sweeper did not run before the agent asked the customer, half an hour too late.
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Un log, vă rog.",
        now=bucharest("Mon 2026-01-12 11:30"),
    )
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 11:31")) == 1
    assert recorded(ticket) == [
        (Goal.RESOLUTION, SlaEventKind.BREACH, bucharest("Mon 2026-01-12 11:00"))
    ]
    assert SlaEvent.objects.get(ticket=ticket).data["status"] == Status.WAITING_FOR_CUSTOMER


def test_a_goal_met_in_time_leaves_nothing_to_sweep(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.TAKE,
        now=bucharest("Mon 2026-01-12 09:05"),
    )
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.RESOLVE,
        resolution="Gata.",
        now=bucharest("Mon 2026-01-12 09:30"),
    )
    assert sweeper.sla_sweep_due(bucharest("Tue 2026-01-13 12:00")) == 0
    assert recorded(ticket) == []


def test_the_sweep_finds_due_clocks_through_the_partial_index(cast, default_policy):
    cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    due = sweeper.clocks_due(bucharest("Mon 2026-01-12 12:00"), limit=100)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A handful of rows would be read sequentially; ask the planner what it would do
            # with the millions the index is for.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL enable_seqscan = off")
        plan = due.explain()
    assert "sla_clock_next_due" in plan


# The customer's reply time -------------------------------------------------------------------


@pytest.fixture
def waiting(cast, default_policy):
    def make(action=ReplyOverdueAction.RESOLVE, resolve_as=None):
        DeskSlaSettings.objects.create(
            desk=cast.help_desk,
            customer_reply_duration=2 * H,
            reply_reminder_lead_duration=30 * MIN,
            reply_overdue_action=action,
            resolve_as=resolve_as or cast.lead_help,
            reply_overdue_note="Închis: nu am primit răspuns în două ore lucrătoare.",
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

    return make


def test_the_customer_is_reminded_then_the_request_is_resolved_with_the_desk_note(cast, waiting):
    ticket = waiting()
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 10:31")) == 1
    reminder = SlaEvent.objects.get(ticket=ticket)
    assert (reminder.kind, reminder.due_at) == (
        SlaEventKind.REPLY_REMINDER,
        bucharest("Mon 2026-01-12 10:30"),
    )
    assert reminder.data["recipient_ids"] == [cast.cristina.pk]

    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 11:01")) == 1

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution == "Închis: nu am primit răspuns în două ore lucrătoare."
    resolved = ticket.events.get(kind=EventKind.STATUS_CHANGED, data__to_status=Status.RESOLVED)
    assert resolved.actor == cast.lead_help
    overdue = SlaEvent.objects.get(ticket=ticket, kind=SlaEventKind.REPLY_OVERDUE)
    assert overdue.data["action"] == "resolved"
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 12:00")) == 0


def test_with_nothing_to_do_an_overdue_answer_is_only_recorded(cast, waiting):
    ticket = waiting(action=ReplyOverdueAction.NOTHING)
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 11:01"))
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_CUSTOMER
    assert [kind for _goal, kind, _due in recorded(ticket)] == [SlaEventKind.REPLY_OVERDUE]


def test_a_refused_resolution_is_recorded_with_its_reason(cast, waiting):
    ticket = waiting(resolve_as=cast.agent_dev)  # not an agent of the help desk
    sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 11:01"))
    ticket.refresh_from_db()
    assert ticket.status == Status.WAITING_FOR_CUSTOMER
    overdue = SlaEvent.objects.get(ticket=ticket, kind=SlaEventKind.REPLY_OVERDUE)
    assert overdue.data["action"] == "refused"
    assert overdue.data["error"]


# Several workers ---------------------------------------------------------------------------------

TICKETS = 24
SWEEPERS = 4


def sweep_racing(now: dt.datetime) -> tuple[list[int], list[BaseException]]:
    """SWEEPERS threads, started together, each sweeping in small batches until nothing is due."""
    counts: list[int] = []

    def work() -> None:
        while Clock.objects.filter(next_due_at__lt=now).exists():
            counts.append(sweeper.sla_sweep_due(now, limit=3))

    errors = at_once(SWEEPERS, work)
    return counts, errors


@pytest.mark.django_db(transaction=True)
def test_sweepers_racing_record_each_warning_and_breach_once(cast, default_policy):
    tickets = [cast.ticket(now=bucharest("Mon 2026-01-12 09:00")) for _ in range(TICKETS)]

    warned, errors = sweep_racing(bucharest("Mon 2026-01-12 09:25"))
    assert errors == []
    breached, errors = sweep_racing(bucharest("Mon 2026-01-12 09:35"))
    assert errors == []

    assert sum(warned) == TICKETS
    assert sum(breached) == TICKETS
    assert sweeper.sla_sweep_due(bucharest("Mon 2026-01-12 09:40")) == 0
    for ticket in tickets:
        assert recorded(ticket) == [
            (Goal.FIRST_RESPONSE, SlaEventKind.WARNING, bucharest("Mon 2026-01-12 09:20")),
            (Goal.FIRST_RESPONSE, SlaEventKind.BREACH, bucharest("Mon 2026-01-12 09:30")),
        ]
