"""The sweeper: records the SLA warnings and breaches that come due, each exactly once.

A worker queue (registered in ``SlaConfig.ready``) runs :func:`sla_sweep_due` on every tick.
It finds due clocks through the partial index on ``Clock.next_due_at``, so a sweep costs what
is due, not what exists, and it never sends mail: notifications read the ``SlaEvent`` rows.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.core.errors import DomainError
from supportal.desks.models import DeskMembership, DeskRole
from supportal.sla import events as sla_events
from supportal.sla.models import (
    Clock,
    ClockState,
    DeskSlaSettings,
    Goal,
    ReplyOverdueAction,
    SlaEvent,
    SlaEventKind,
)
from supportal.sla.services import clock_next_due, minutes_of
from supportal.tickets.models import Ticket
from supportal.tickets.services import ticket_transition
from supportal.tickets.workflow import Action, Status

logger = logging.getLogger("supportal.sla")

SWEEP_BATCH_SIZE = 100


def clocks_due(at: dt.datetime, *, limit: int) -> QuerySet[Clock]:
    """The clocks with a warning or a breach due at ``at``, soonest first (the partial index)."""
    return Clock.objects.filter(next_due_at__lt=at).order_by("next_due_at")[:limit]


def sla_sweep_due(now: dt.datetime | None = None, *, limit: int = SWEEP_BATCH_SIZE) -> int:
    """Record the warnings and breaches that are due at ``now``; the worker runs this.

    Due clocks are found through the partial index on ``next_due_at``, so a sweep costs what is
    due, not what exists. Each clock is handled in its own transaction with its request
    locked first, as the ticket services lock it: a request another worker (or a service) holds
    is skipped (SKIP LOCKED on PostgreSQL) and the due check is repeated under the lock, so any
    number of sweepers record each warning and breach once. SQLite's BEGIN IMMEDIATE queues
    them instead. Returns the number of SlaEvents recorded.

    Side effects: SlaEvent rows, the clocks' recorded flags and next due instant, and — when
    the desk says so — the resolution of a request whose customer did not answer in time.
    Never sends mail: notifications read the SlaEvents.
    """
    at = now or timezone.now()
    due = list(clocks_due(at, limit=limit).values_list("pk", "ticket_id"))
    recorded = 0
    for clock_id, ticket_id in due:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("desk", "assignee")
                .filter(pk=ticket_id)
                .first()
            )
            if ticket is None:
                continue  # held by another worker or a service: the next sweep sees it
            clock = (
                Clock.objects.select_related("policy", "calendar")
                .filter(pk=clock_id, next_due_at__lt=at)
                .first()
            )
            if clock is None:
                continue  # handled or moved meanwhile
            recorded += _clock_handle_due(clock, ticket, at)
    return recorded


def _clock_handle_due(clock: Clock, ticket: Ticket, at: dt.datetime) -> int:
    is_reply = clock.goal == Goal.CUSTOMER_REPLY
    breach_due = (
        clock.deadline_at is not None
        and clock.deadline_at < at
        and not clock.is_breach_recorded
        and (clock.state == ClockState.RUNNING or clock.is_breached)
    )
    warning_due = (
        clock.state == ClockState.RUNNING
        and clock.warn_at is not None
        and clock.warn_at < at
        and not clock.is_warning_recorded
    )
    recorded = 0
    resolve = False
    if breach_due:
        kind = SlaEventKind.REPLY_OVERDUE if is_reply else SlaEventKind.BREACH
        recorded += _sla_event_add(clock, ticket, kind, due_at=clock.deadline_at, at=at)
        clock.is_breach_recorded = True
        clock.is_breached = True
        # A warning that comes due with its breach would only repeat it: the breach says it all.
        clock.is_warning_recorded = clock.is_warning_recorded or clock.warn_at is not None
        resolve = is_reply and clock.state == ClockState.RUNNING
    elif warning_due:
        kind = SlaEventKind.REPLY_REMINDER if is_reply else SlaEventKind.WARNING
        recorded += _sla_event_add(clock, ticket, kind, due_at=clock.warn_at, at=at)
        clock.is_warning_recorded = True
    clock.next_due_at = clock_next_due(clock)
    clock.save(
        update_fields=["is_breached", "is_warning_recorded", "is_breach_recorded", "next_due_at"]
    )
    if resolve:
        _reply_overdue_resolve(clock, ticket, at)
    return recorded


def _team_lead_ids(desk_id: int) -> list[int]:
    return list(
        DeskMembership.objects.filter(desk_id=desk_id, role=DeskRole.TEAM_LEAD)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _recipient_ids(ticket: Ticket, kind: SlaEventKind) -> list[int]:
    if kind == SlaEventKind.REPLY_REMINDER:
        return [ticket.requester_id]
    assignee = [ticket.assignee_id] if ticket.assignee_id else []
    if kind == SlaEventKind.WARNING or kind == SlaEventKind.REPLY_OVERDUE:
        return assignee or _team_lead_ids(ticket.desk_id)
    return list(dict.fromkeys([*assignee, *_team_lead_ids(ticket.desk_id)]))


def _sla_event_add(
    clock: Clock, ticket: Ticket, kind: SlaEventKind, *, due_at: dt.datetime, at: dt.datetime
) -> int:
    data = {
        "status": ticket.status,
        "target_minutes": minutes_of(clock.target_duration),
        "policy": str(clock.policy or ""),
        "was_assigned": ticket.assignee_id is not None,
        "recipient_ids": _recipient_ids(ticket, kind),
    }
    try:
        # The savepoint keeps the sweep's transaction usable should the row exist already.
        with transaction.atomic():
            event = SlaEvent.objects.create(
                ticket=ticket,
                clock=clock,
                kind=kind,
                goal=clock.goal,
                assignee_id=ticket.assignee_id,
                due_at=due_at,
                recorded_at=at,
                data=data,
            )
            # The notifications record it here and mail it after commit, once (their pending row).
            sla_events.listeners.notify(event)
    except IntegrityError:
        return 0
    return 1


def _reply_overdue_resolve(clock: Clock, ticket: Ticket, at: dt.datetime) -> None:
    """Resolve a request whose customer did not answer in time, when its desk says so."""
    desk_settings = (
        DeskSlaSettings.objects.filter(desk_id=ticket.desk_id).select_related("resolve_as").first()
    )
    if (
        desk_settings is None
        or desk_settings.reply_overdue_action != ReplyOverdueAction.RESOLVE
        or ticket.status != Status.WAITING_FOR_CUSTOMER
    ):
        return
    outcome: dict[str, object] = {"action": "resolved"}
    note = desk_settings.reply_overdue_note.strip() or _(
        "Resolved: no answer arrived within the agreed time."
    )
    try:
        # Acts as the account the administrator named: the workflow lets only agents resolve.
        with transaction.atomic():
            ticket_transition(
                ticket=ticket,
                actor=desk_settings.resolve_as,
                action=Action.RESOLVE,
                resolution=note,
                now=at,
            )
    except DomainError as exc:
        logger.warning("could not resolve %s after the reply time: %s", ticket.reference, exc)
        outcome = {"action": "refused", "error": exc.message}
    event = SlaEvent.objects.filter(clock=clock, kind=SlaEventKind.REPLY_OVERDUE).first()
    if event is not None:
        event.data = {**event.data, **outcome}
        event.save(update_fields=["data"])
