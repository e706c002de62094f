"""The reference story's request HELP-161 replayed with a controlled clock, and what the
customer sees.

The story (docs/requirements.md#story): created at 10:28; taken at 11:54; waiting for the
customer from 11:56 until she answers at 12:03; In progress at 12:04; waiting for a third party
from 12:07. We put it on Thursday 9 April 2026 and let the third party answer at 16:50, so the
rest of the resolution goal crosses Orthodox Good Friday, the weekend and Easter Monday
(Romanian public holidays) and ends on Tuesday morning; it is resolved on Tuesday at 08:10.

The table below is computed by hand from our rules (the default calendar: Monday-Friday
08:00-17:00 Europe/Bucharest, Romanian holidays; the default goals: 30 minutes to first
response, 2 hours to resolution). The guide's screenshots show other figures (0:15, 1:59, 0:48,
0:46, 0:43 against "în 30m" / "în 2h"): they come from a Jira portal whose screenshots were
taken at moments the guide does not give and whose figures do not agree with one another, so
they cannot be reproduced exactly; what we reproduce is the behaviour they illustrate.
"""

from __future__ import annotations

import datetime as dt

import pytest

from supportal.sla.models import ClockState, DeskSlaSettings, Goal
from supportal.sla.selectors import duration_text, sla_panel_for
from supportal.sla.tests.conftest import bucharest
from supportal.tickets import services
from supportal.tickets.workflow import Action, Status

FIRST, RESOLUTION = Goal.FIRST_RESPONSE, Goal.RESOLUTION


def what_the_customer_sees(ticket, customer, at: dt.datetime) -> dict[str, object]:
    """Per goal: used, remaining (or "overdue ..."), the clock's words, the deadline."""
    panel = sla_panel_for(ticket, customer, now=at)
    assert panel is not None, "the customer sees no SLA panel"
    seen: dict[str, object] = {}
    for goal in panel.goals:
        left = (
            f"overdue {duration_text(goal.overdue_duration)}"
            if goal.is_overdue
            else duration_text(goal.remaining_duration)
        )
        deadline = goal.deadline_at.strftime("%a %d.%m %H:%M") if goal.deadline_at else None
        seen[goal.goal] = (duration_text(goal.used_duration), left, goal.status_text, deadline)
    reply_at = panel.reply.deadline_at if panel.reply else None
    return {**seen, "reply expected by": reply_at.strftime("%a %H:%M") if reply_at else None}


# fmt: off
STORY = [
    # step, at, first response, resolution, customer's answer expected by
    ("created", "Thu 2026-04-09 10:28",
     ("0 min", "30 min", "running", "Thu 09.04 10:58"),
     ("0 min", "2 h", "running", "Thu 09.04 12:28"), None),
    ("first response overdue, not yet taken", "Thu 2026-04-09 11:00",
     ("32 min", "overdue 2 min", "running, overdue", "Thu 09.04 10:58"),
     ("32 min", "1 h 28 min", "running", "Thu 09.04 12:28"), None),
    ("taken by Bogdan Moraru", "Thu 2026-04-09 11:54",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 26 min", "34 min", "running", "Thu 09.04 12:28"), None),
    ("waiting for the customer", "Thu 2026-04-09 11:56",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 28 min", "32 min", "paused: waiting for your reply", None), "Thu 15:56"),
    ("still waiting: the clock stands", "Thu 2026-04-09 12:02",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 28 min", "32 min", "paused: waiting for your reply", None), "Thu 15:56"),
    ("the customer answers: waiting for support", "Thu 2026-04-09 12:03",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 28 min", "32 min", "running", "Thu 09.04 12:35"), None),
    ("in progress again", "Thu 2026-04-09 12:04",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 29 min", "31 min", "running", "Thu 09.04 12:35"), None),
    ("waiting for a third party", "Thu 2026-04-09 12:07",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 32 min", "28 min", "paused: waiting for a third party", None), None),
    ("the third party answers late in the day", "Thu 2026-04-09 16:50",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 32 min", "28 min", "running", "Tue 14.04 08:18"), None),
    ("over the Easter holidays nothing counts", "Mon 2026-04-13 12:00",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 42 min", "18 min", "running", "Tue 14.04 08:18"), None),
    ("resolved on Tuesday morning", "Tue 2026-04-14 08:10",
     ("1 h 26 min", "overdue 56 min", "met late", None),
     ("1 h 52 min", "8 min", "met", None), None),
]
# fmt: on


def test_the_reference_story_shows_the_customer_what_we_computed_by_hand(cast, default_policy):
    DeskSlaSettings.objects.create(
        desk=cast.help_desk, customer_reply_duration=dt.timedelta(hours=4)
    )
    agent, customer = cast.agent_help, cast.cristina
    actions = {
        "created": lambda at: cast.ticket(now=at),
        "taken by Bogdan Moraru": lambda at: services.ticket_transition(
            ticket=ticket, actor=agent, action=Action.TAKE, now=at
        ),
        "waiting for the customer": lambda at: services.ticket_transition(
            ticket=ticket,
            actor=agent,
            action=Action.REQUEST_INFO,
            comment="Avem nevoie de informatii suplimentare",
            now=at,
        ),
        "the customer answers: waiting for support": lambda at: services.ticket_comment_add(
            ticket=ticket, author=customer, body="Atasat va transmit informatiile", now=at
        ),
        "in progress again": lambda at: services.ticket_transition(
            ticket=ticket, actor=agent, action=Action.START, now=at
        ),
        "waiting for a third party": lambda at: services.ticket_transition(
            ticket=ticket,
            actor=agent,
            action=Action.WAIT_FOR_THIRD_PARTY,
            third_party="Provider EDI",
            comment="Asteptam confirmarea de la providerul EDI",
            now=at,
        ),
        "the third party answers late in the day": lambda at: services.ticket_transition(
            ticket=ticket, actor=agent, action=Action.THIRD_PARTY_ANSWERED, now=at
        ),
        "resolved on Tuesday morning": lambda at: services.ticket_transition(
            ticket=ticket, actor=agent, action=Action.RESOLVE, resolution="Deblocat.", now=at
        ),
    }
    ticket = None
    seen_table = []
    for step, moment, *_expected in STORY:
        at = bucharest(moment)
        if step in actions:
            result = actions[step](at)
            if step == "created":
                ticket = result
        seen = what_the_customer_sees(ticket, customer, at)
        seen_table.append((step, moment, seen[FIRST], seen[RESOLUTION], seen["reply expected by"]))

    assert seen_table == [(step, moment, *expected) for step, moment, *expected in STORY]
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED


def test_every_move_of_the_story_is_recorded_with_its_cause(cast, default_policy):
    at = bucharest("Thu 2026-04-09 10:28")
    ticket = cast.ticket(now=at)
    agent = cast.agent_help
    services.ticket_transition(
        ticket=ticket, actor=agent, action=Action.TAKE, now=at + dt.timedelta(minutes=86)
    )
    services.ticket_transition(
        ticket=ticket,
        actor=agent,
        action=Action.REQUEST_INFO,
        comment="Avem nevoie de informatii",
        now=at + dt.timedelta(minutes=88),
    )
    services.ticket_comment_add(
        ticket=ticket, author=cast.cristina, body="Poftim", now=at + dt.timedelta(minutes=95)
    )
    resolution = ticket.sla_clocks.get(goal=Goal.RESOLUTION)
    entries = [
        (entry.kind, entry.reason, entry.event.kind, entry.at)
        for entry in resolution.entries.select_related("event").order_by("at", "pk")
    ]
    assert entries == [
        ("start", "created", "created", at),
        ("pause", "waiting_for_customer", "status_changed", at + dt.timedelta(minutes=88)),
        ("resume", "customer_reply", "status_changed", at + dt.timedelta(minutes=95)),
    ]
    first = ticket.sla_clocks.get(goal=Goal.FIRST_RESPONSE)
    assert [(entry.kind, entry.reason) for entry in first.entries.all()] == [
        ("start", "created"),
        ("stop", "assigned"),
    ]
    assert first.state == ClockState.MET
    assert first.is_breached
    assert first.deadline_at == bucharest("Thu 2026-04-09 10:58")


@pytest.mark.parametrize("viewer", ["agent_help", "lead_help"])
def test_agents_read_the_same_clock_in_their_own_words(cast, default_policy, viewer):
    at = bucharest("Thu 2026-04-09 10:28")
    ticket = cast.ticket(now=at)
    services.ticket_transition(
        ticket=ticket,
        actor=cast.agent_help,
        action=Action.REQUEST_INFO,
        comment="Avem nevoie de informatii",
        now=at + dt.timedelta(minutes=5),
    )
    panel = sla_panel_for(ticket, getattr(cast, viewer), now=at + dt.timedelta(minutes=10))
    [first, resolution] = panel.goals
    assert first.status_text == "met"
    assert resolution.status_text == "paused: waiting for the customer"
    assert not panel.is_for_customer
