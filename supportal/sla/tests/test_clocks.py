"""The clocks of a request against the database: pauses, stops, policies and recomputation.

Time is controlled by passing ``now=`` to the services. Instants are written as wall-clock times
in Bucharest on the default calendar (Monday-Friday 08:00-17:00, Romanian public holidays).
"""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command

from supportal.accounts.models import Contract
from supportal.sla import services as sla
from supportal.sla.models import (
    Calendar,
    Clock,
    ClockState,
    DateKind,
    DeskSlaSettings,
    EntryKind,
    Goal,
    Policy,
    WorkingPeriod,
)
from supportal.sla.selectors import sla_panel_for
from supportal.sla.tests.conftest import bucharest
from supportal.tickets import services
from supportal.tickets.workflow import Action

MIN = dt.timedelta(minutes=1)
H = dt.timedelta(hours=1)


def clock(ticket, goal=Goal.RESOLUTION) -> Clock:
    return Clock.objects.get(ticket=ticket, goal=goal)


def used(ticket, at: dt.datetime, goal=Goal.RESOLUTION) -> dt.timedelta:
    panel = sla_panel_for(ticket, ticket.requester, now=at)
    assert panel is not None, "the requester sees no SLA panel"
    return next(line.used_duration for line in panel.goals if line.goal == goal)


def ask_customer(cast, ticket, at):
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Trimiteți un log, vă rog.",
        now=at,
    )


def customer_answers(cast, ticket, at):
    services.ticket_comment_add(ticket=ticket, author=cast.cristina, body="Poftim.", now=at)


def resolve(cast, ticket, at):
    services.ticket_transition(
        ticket=ticket, actor=cast.agent_help, action=Action.RESOLVE, resolution="Gata.", now=at
    )


# Pause credit ----------------------------------------------------------------------------------


def test_a_new_request_runs_both_goals_of_the_default_policy(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 16:00"))
    first, resolution = clock(ticket, Goal.FIRST_RESPONSE), clock(ticket)
    assert (first.target_duration, resolution.target_duration) == (30 * MIN, 2 * H)
    assert first.deadline_at == bucharest("Mon 2026-01-12 16:30")
    # The last hour of Monday, then the first of Tuesday.
    assert resolution.deadline_at == bucharest("Tue 2026-01-13 09:00")
    assert resolution.warn_at == bucharest("Tue 2026-01-13 08:50")
    assert first.next_due_at == bucharest("Mon 2026-01-12 16:20")
    assert {first.state, resolution.state} == {ClockState.RUNNING}


def test_time_waiting_for_the_customer_never_counts_even_when_resolved_from_the_wait(
    cast, default_policy
):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    ask_customer(cast, ticket, bucharest("Mon 2026-01-12 09:20"))
    # The agent resolves while still waiting: the waiting time stays out.
    resolve(cast, ticket, bucharest("Mon 2026-01-12 15:00"))
    resolution = clock(ticket)
    assert resolution.state == ClockState.MET
    assert resolution.used_duration == 20 * MIN
    assert not resolution.is_breached
    # The customer reopens it by answering a day later: the goal resumes, nothing in between
    # (the wait, the time resolved) counts.
    customer_answers(cast, ticket, bucharest("Tue 2026-01-13 10:00"))
    resolution = clock(ticket)
    assert resolution.state == ClockState.RUNNING
    assert [entry.kind for entry in resolution.entries.order_by("at", "pk")] == [
        EntryKind.START,
        EntryKind.PAUSE,
        EntryKind.STOP,
        EntryKind.RESUME,
    ]
    assert used(ticket, bucharest("Tue 2026-01-13 10:30")) == 50 * MIN
    assert resolution.deadline_at == bucharest("Tue 2026-01-13 11:40")


def test_time_waiting_for_a_third_party_never_counts(cast, default_policy):
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
        action=Action.WAIT_FOR_THIRD_PARTY,
        third_party="Furnizor EDI",
        now=bucharest("Mon 2026-01-12 09:30"),
    )
    assert used(ticket, bucharest("Wed 2026-01-14 12:00")) == 30 * MIN
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.THIRD_PARTY_ANSWERED,
        now=bucharest("Wed 2026-01-14 12:00"),
    )
    assert clock(ticket).deadline_at == bucharest("Wed 2026-01-14 13:30")


def test_pause_credit_survives_a_calendar_edit(cast, default_policy, office_calendar):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    ask_customer(cast, ticket, bucharest("Mon 2026-01-12 10:00"))
    customer_answers(cast, ticket, bucharest("Mon 2026-01-12 14:00"))
    assert clock(ticket).deadline_at == bucharest("Mon 2026-01-12 15:00")
    # The office now opens at 09:00 and closes at 16:00; Monday from 09:00 on is unchanged
    # working time, so only the one working hour before the wait and none of the wait counts.
    WorkingPeriod.objects.filter(calendar=office_calendar).update(
        start_time=dt.time(9), end_time=dt.time(16)
    )
    sla.calendar_changed(calendar=office_calendar, now=bucharest("Mon 2026-01-12 14:30"))
    resolution = clock(ticket)
    assert resolution.used_duration == H
    assert resolution.deadline_at == bucharest("Mon 2026-01-12 15:00")
    assert used(ticket, bucharest("Mon 2026-01-12 14:30")) == 90 * MIN
    # 08:00-09:00 no longer counts in a pause-free request created at 08:00.
    early = cast.ticket(now=bucharest("Tue 2026-01-13 08:00"))
    assert clock(early).deadline_at == bucharest("Tue 2026-01-13 11:00")


# Stopping ----------------------------------------------------------------------------------------


def test_first_response_is_met_by_assignment_without_a_status_change(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    services.ticket_assign(
        ticket=ticket,
        actor=cast.lead_help,
        assignee=cast.agent_help,
        now=bucharest("Mon 2026-01-12 09:10"),
    )
    first = clock(ticket, Goal.FIRST_RESPONSE)
    assert (first.state, first.used_duration, first.is_breached) == (
        ClockState.MET,
        10 * MIN,
        False,
    )
    assert first.next_due_at is None
    assert clock(ticket).state == ClockState.RUNNING


def test_a_goal_met_exactly_at_its_deadline_is_met(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.TAKE,
        now=bucharest("Mon 2026-01-12 09:30"),
    )
    assert not clock(ticket, Goal.FIRST_RESPONSE).is_breached


def test_a_goal_met_after_closing_time_past_its_deadline_is_late(cast, default_policy):
    # The deadline is 17:00 Monday; taking it at 17:30 uses no more working time, but it is
    # after the deadline people were shown.
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 16:30"))
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.TAKE,
        now=bucharest("Mon 2026-01-12 17:30"),
    )
    first = clock(ticket, Goal.FIRST_RESPONSE)
    assert first.used_duration == 30 * MIN
    assert first.is_breached
    assert first.deadline_at == bucharest("Mon 2026-01-12 17:00")


def test_a_customer_who_resolves_or_cancels_stops_the_untaken_first_response(cast, default_policy):
    resolved = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    services.ticket_transition(
        ticket=resolved,
        actor=cast.cristina,
        action=Action.CUSTOMER_RESOLVE,
        now=bucharest("Mon 2026-01-12 09:05"),
    )
    assert clock(resolved, Goal.FIRST_RESPONSE).state == ClockState.STOPPED
    assert clock(resolved).state == ClockState.MET
    cancelled = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    services.ticket_transition(
        ticket=cancelled,
        actor=cast.cristina,
        action=Action.CANCEL,
        now=bucharest("Mon 2026-01-12 09:05"),
    )
    assert {c.state for c in cancelled.sla_clocks.all()} == {ClockState.STOPPED}
    assert not Clock.objects.filter(ticket=cancelled, next_due_at__isnull=False).exists()


def test_events_that_move_no_clock_cost_no_query(cast, default_policy, django_assert_num_queries):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    event = ticket.events.get()
    event.kind = "commented"
    with django_assert_num_queries(0):
        sla.sla_event_record(event)


# Policies ----------------------------------------------------------------------------------------


@pytest.fixture
def contract(cast) -> Contract:
    return Contract.objects.create(organization=cast.cristina_srl, name="Mentenanță Gold")


@pytest.fixture
def policies(cast, default_policy, office_calendar, always_open, contract) -> dict[str, Policy]:
    def policy(name, minutes, calendar=office_calendar, **scope):
        return Policy.objects.create(
            name=name,
            calendar=calendar,
            first_response_duration=minutes * MIN,
            resolution_duration=minutes * 4 * MIN,
            **scope,
        )

    return {
        "default": default_policy,
        "help desk": policy("Help desk", 60, desk=cast.help_desk),
        "high priority": policy("High", 20, priority=cast.high),
        "help desk bugs": policy("Help desk bugs", 45, desk=cast.help_desk, request_type=cast.bug),
        "gold contract": policy("Gold", 15, calendar=always_open, contract=contract),
        "gold contract, high": policy(
            "Gold high", 5, calendar=always_open, contract=contract, priority=cast.high
        ),
    }


@pytest.mark.parametrize(
    ("requester", "desk", "fields", "expected"),
    [
        pytest.param("outsider", "dev_desk", {}, "default", id="nothing specific: the default"),
        pytest.param("other_customer", "help_desk", {}, "help desk", id="a desk beats nothing"),
        pytest.param(
            "other_customer",
            "help_desk",
            {"priority": "high"},
            "high priority",
            id="a priority beats a desk",
        ),
        pytest.param(
            "other_customer",
            "help_desk",
            {"request_type": "bug"},
            "help desk bugs",
            id="desk and request type beat a desk alone",
        ),
        pytest.param(
            "other_customer",
            "help_desk",
            {"request_type": "bug", "priority": "high"},
            "help desk bugs",
            id="two criteria beat one, even a priority",
        ),
        pytest.param(
            "cristina", "dev_desk", {}, "gold contract", id="a contract applies on any desk"
        ),
        pytest.param(
            "cristina",
            "help_desk",
            {"request_type": "question"},
            "gold contract",
            id="a contract beats a desk",
        ),
        pytest.param(
            "cristina",
            "help_desk",
            {"priority": "high"},
            "gold contract, high",
            id="contract and priority are the most specific",
        ),
    ],
)
def test_the_most_specific_policy_is_chosen(cast, policies, requester, desk, fields, expected):
    values = {name: getattr(cast, value) for name, value in fields.items()}
    # Registered by an agent of the desk (by phone): customers may pick only their contract's
    # priorities.
    agent = cast.agent_help if desk == "help_desk" else cast.agent_dev
    ticket = cast.ticket(
        requester=getattr(cast, requester), desk=getattr(cast, desk), actor=agent, **values
    )
    assert clock(ticket).policy == policies[expected]


def test_an_expired_or_inactive_contract_does_not_choose_the_policy(cast, policies, contract):
    contract.ends_on = dt.date(2025, 12, 31)
    contract.save()
    ticket = cast.ticket(
        now=bucharest("Mon 2026-01-12 09:00"), desk=cast.dev_desk, actor=cast.agent_dev
    )
    assert clock(ticket).policy == policies["default"]


def test_a_contract_on_a_24_7_calendar_counts_nights_and_weekends(cast, policies):
    ticket = cast.ticket(
        now=bucharest("Fri 2026-01-09 23:00"), desk=cast.dev_desk, actor=cast.agent_dev
    )
    assert clock(ticket, Goal.FIRST_RESPONSE).deadline_at == bucharest("Fri 2026-01-09 23:15")
    assert clock(ticket).deadline_at == bucharest("Sat 2026-01-10 00:00")


def test_raising_the_priority_chooses_the_policy_again_from_the_records(cast, policies):
    ticket = cast.ticket(requester=cast.other_customer, now=bucharest("Mon 2026-01-12 09:00"))
    assert clock(ticket).policy == policies["help desk"]  # 240 min to resolve
    services.ticket_fields_change(
        ticket=ticket,
        actor=cast.agent_help,
        priority=cast.high,
        now=bucharest("Mon 2026-01-12 09:30"),
    )
    resolution = clock(ticket)
    assert resolution.policy == policies["high priority"]  # 80 min, counted from creation
    assert resolution.deadline_at == bucharest("Mon 2026-01-12 10:20")
    retarget = resolution.entries.get(kind=EntryKind.RETARGET)
    assert retarget.reason == "priority"
    assert retarget.data["target_minutes"] == 80
    assert retarget.data["previous_target_minutes"] == 240


def test_a_changed_policy_recomputes_open_requests(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    default_policy.resolution_duration = 8 * H
    default_policy.save()
    sla.policies_changed(now=bucharest("Mon 2026-01-12 09:10"))
    assert clock(ticket).deadline_at == bucharest("Mon 2026-01-12 17:00")


# Holidays ----------------------------------------------------------------------------------------


def test_adding_a_holiday_moves_open_deadlines_and_says_why(cast, default_policy, office_calendar):
    ticket = cast.ticket(now=bucharest("Thu 2026-01-15 16:00"))
    assert clock(ticket).deadline_at == bucharest("Fri 2026-01-16 09:00")

    sla.calendar_date_set(
        calendar=office_calendar,
        date=dt.date(2026, 1, 16),
        kind=DateKind.HOLIDAY,
        name="Office move",
        now=bucharest("Thu 2026-01-15 16:30"),
    )

    resolution = clock(ticket)
    assert resolution.deadline_at == bucharest("Mon 2026-01-19 09:00")
    recompute = resolution.entries.get(kind=EntryKind.RECOMPUTE)
    assert recompute.reason == "calendar_changed"
    assert recompute.data["previous_deadline_at"].startswith("2026-01-16T07:00")
    panel = sla_panel_for(ticket, cast.cristina, now=bucharest("Thu 2026-01-15 16:30"))
    assert panel.goals[1].history[-1].text == "deadline recomputed: the calendar changed"


def test_working_on_a_public_holiday_moves_deadlines_earlier(cast, default_policy, office_calendar):
    # Epiphany (6 January) and Saint John (7 January) are Romanian public holidays.
    ticket = cast.ticket(now=bucharest("Mon 2026-01-05 16:00"))
    assert clock(ticket).deadline_at == bucharest("Thu 2026-01-08 09:00")
    sla.calendar_date_set(
        calendar=office_calendar,
        date=dt.date(2026, 1, 6),
        kind=DateKind.WORKING_DAY,
        now=bucharest("Mon 2026-01-05 16:10"),
    )
    assert clock(ticket).deadline_at == bucharest("Tue 2026-01-06 09:00")
    sla.calendar_date_remove(
        calendar=office_calendar, date=dt.date(2026, 1, 6), now=bucharest("Mon 2026-01-05 16:20")
    )
    assert clock(ticket).deadline_at == bucharest("Thu 2026-01-08 09:00")


def test_closed_requests_are_not_recomputed(cast, default_policy, office_calendar):
    ticket = cast.ticket(now=bucharest("Thu 2026-01-15 16:00"))
    resolve(cast, ticket, bucharest("Thu 2026-01-15 16:10"))
    before = list(clock(ticket).entries.values_list("kind", flat=True))
    sla.calendar_date_set(
        calendar=office_calendar, date=dt.date(2026, 1, 15), kind=DateKind.HOLIDAY
    )
    assert list(clock(ticket).entries.values_list("kind", flat=True)) == before


def test_a_calendar_with_a_lunch_break_counts_two_periods_a_day(cast, default_policy):
    lunch = Calendar.objects.create(name="Lunch break", country_code="RO")
    for weekday in range(5):
        WorkingPeriod.objects.create(
            calendar=lunch, weekday=weekday, start_time=dt.time(8), end_time=dt.time(12)
        )
        WorkingPeriod.objects.create(
            calendar=lunch, weekday=weekday, start_time=dt.time(13), end_time=dt.time(17)
        )
    default_policy.calendar = lunch
    default_policy.save()
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 11:00"))
    assert clock(ticket).deadline_at == bucharest("Mon 2026-01-12 14:00")


# The customer's reply time -------------------------------------------------------------------


def test_waiting_for_the_customer_shows_by_when_an_answer_is_expected(cast, default_policy):
    DeskSlaSettings.objects.create(
        desk=cast.help_desk,
        customer_reply_duration=8 * H,
        reply_reminder_lead_duration=2 * H,
    )
    ticket = cast.ticket(now=bucharest("Fri 2026-01-09 14:00"))
    ask_customer(cast, ticket, bucharest("Fri 2026-01-09 15:00"))
    reply = Clock.objects.get(ticket=ticket, goal=Goal.CUSTOMER_REPLY)
    assert reply.deadline_at == bucharest("Mon 2026-01-12 14:00")
    assert reply.warn_at == bucharest("Mon 2026-01-12 12:00")
    panel = sla_panel_for(ticket, cast.cristina, now=bucharest("Fri 2026-01-09 15:30"))
    assert panel.reply.deadline_at == bucharest("Mon 2026-01-12 14:00")
    assert panel.reply.name == "Your answer"

    customer_answers(cast, ticket, bucharest("Mon 2026-01-12 09:00"))
    reply.refresh_from_db()
    assert (reply.state, reply.is_breached, reply.next_due_at) == (ClockState.MET, False, None)
    assert sla_panel_for(ticket, cast.cristina, now=bucharest("Mon 2026-01-12 09:00")).reply is None


def test_requests_older_than_the_engine_are_backfilled_from_their_events(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    ask_customer(cast, ticket, bucharest("Mon 2026-01-12 09:30"))
    customer_answers(cast, ticket, bucharest("Mon 2026-01-12 12:00"))
    expected = clock(ticket).deadline_at
    Clock.objects.filter(ticket=ticket).delete()

    assert sla.tickets_backfill(now=bucharest("Tue 2026-01-13 09:00")) == 1

    resolution = clock(ticket)
    assert resolution.deadline_at == expected == bucharest("Mon 2026-01-12 13:30")
    # History is not announced: the breach already past is marked as recorded.
    assert resolution.is_breach_recorded
    assert resolution.next_due_at is None


def test_the_backfill_command_leaves_requests_with_clocks_alone(cast, default_policy):
    ticket = cast.ticket(now=bucharest("Mon 2026-01-12 09:00"))
    entries_before = list(clock(ticket).entries.values_list("pk", flat=True))
    out = io.StringIO()
    call_command("sla_backfill", stdout=out)
    assert out.getvalue().strip() == "Backfilled 0 request(s)."
    assert list(clock(ticket).entries.values_list("pk", flat=True)) == entries_before
