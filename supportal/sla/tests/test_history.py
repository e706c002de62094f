"""A request's history recorded on its clocks at once (an import) ends as event by event."""

from __future__ import annotations

import datetime as dt

import pytest

from supportal.sla.models import Clock, DeskSlaSettings
from supportal.tickets import events
from supportal.tickets.models import Ticket
from supportal.tickets.services import (
    ImportedAssignment,
    ImportedComment,
    ImportedStatus,
    ImportedStep,
    ticket_import_create,
    ticket_import_history,
)
from supportal.tickets.workflow import Status

from .conftest import bucharest

CLOCK_FIELDS = (
    "goal",
    "state",
    "pause_reason",
    "target_duration",
    "running_since",
    "used_duration",
    "stopped_at",
    "deadline_at",
    "warn_at",
    "is_breached",
    "next_due_at",
    "started_at",
    "updated_at",
)


def _history(cast, number: int) -> Ticket:
    agent, customer = cast.agent_help, cast.cristina
    at = bucharest
    ticket = ticket_import_create(
        desk=cast.help_desk,
        requester=customer,
        summary="Facturile nu ajung la distribuitor",
        details="Din 3 martie.",
        created_at=at("Mon 2026-03-02 09:00"),
        number=number,
    )
    steps: list[ImportedStep] = [
        ImportedComment(agent, "Vă rog trimiteți jurnalul.", True, at("Mon 2026-03-02 09:20")),
        ImportedStatus(agent, Status.WAITING_FOR_CUSTOMER, at("Mon 2026-03-02 09:20")),
        ImportedComment(customer, "Jurnalul e atașat.", True, at("Mon 2026-03-02 13:00")),
        ImportedStatus(customer, Status.WAITING_FOR_SUPPORT, at("Mon 2026-03-02 13:00")),
        ImportedAssignment(agent, at("Mon 2026-03-02 14:00")),
        ImportedStatus(agent, Status.IN_PROGRESS, at("Mon 2026-03-02 14:00")),
        ImportedStatus(agent, Status.WAITING_FOR_THIRD_PARTY, at("Mon 2026-03-02 15:00")),
        ImportedStatus(agent, Status.WAITING_FOR_CUSTOMER, at("Tue 2026-03-03 10:00")),
        ImportedComment(customer, "Tot nu merge.", True, at("Wed 2026-03-04 11:00")),
        ImportedStatus(customer, Status.WAITING_FOR_SUPPORT, at("Wed 2026-03-04 11:00")),
        ImportedStatus(agent, Status.RESOLVED, at("Wed 2026-03-04 16:00"), "Repornit."),
        ImportedStatus(customer, Status.WAITING_FOR_SUPPORT, at("Thu 2026-03-05 09:00")),
        ImportedStatus(agent, Status.RESOLVED, at("Thu 2026-03-05 12:00"), "Gata."),
        ImportedStatus(None, Status.CLOSED, at("Mon 2026-03-09 12:00")),
    ]
    ticket_import_history(ticket=ticket, steps=steps)
    return ticket


def _clocks(ticket: Ticket) -> list[tuple]:
    rows = []
    for clock in Clock.objects.filter(ticket=ticket).order_by("pk"):
        entries = [
            (e.kind, e.reason, e.at, e.data, e.event.kind if e.event else None)
            for e in clock.entries.order_by("at", "pk")
        ]
        rows.append((*(getattr(clock, name) for name in CLOCK_FIELDS), entries))
    return rows


@pytest.mark.django_db
def test_a_history_recorded_at_once_ends_as_recorded_event_by_event(
    cast, default_policy, monkeypatch
):
    DeskSlaSettings.objects.create(
        desk=cast.help_desk, customer_reply_duration=dt.timedelta(hours=8)
    )
    at_once = _clocks(_history(cast, 161))
    # The reference: the SLA listener told of each event in turn.
    batches = dict(events.listeners._batch_listeners)
    batches.pop("sla")
    monkeypatch.setattr(events.listeners, "_batch_listeners", batches)
    one_by_one = _clocks(_history(cast, 162))

    assert at_once == one_by_one
    goals = [row[0] for row in at_once]
    # First response, resolution, and the customer's reply clock of each wait for them.
    assert goals.count("customer_reply") == 2 and len(goals) == 4
    resolution = next(row for row in at_once if row[0] == "resolution")
    assert resolution[1] == "met"
    kinds = [entry[0] for entry in resolution[-1]]
    assert kinds[0] == "start" and "pause" in kinds and "resume" in kinds
