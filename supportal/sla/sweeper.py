"""The sweeper: records the SLA warnings and breaches that come due, each exactly once.

A worker queue (registered in ``SlaConfig.ready``) runs :func:`sla_sweep_due` on every tick.
It finds due clocks through the partial index on ``Clock.next_due_at``, so a sweep costs what
is due, not what exists, and it never sends mail: notifications read the ``SlaEvent`` rows.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
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
# Due clocks handled in one transaction: enough to write in bulk, few enough to hold briefly.
SWEEP_CHUNK_SIZE = 200


def clocks_due(at: dt.datetime, *, limit: int) -> QuerySet[Clock]:
    """The clocks with a warning or a breach due at ``at``, soonest first (the partial index)."""
    return Clock.objects.filter(next_due_at__lt=at).order_by("next_due_at")[:limit]


def sla_sweep_due(now: dt.datetime | None = None, *, limit: int = SWEEP_BATCH_SIZE) -> int:
    """Record the warnings and breaches that are due at ``now``; the worker runs this.

    Due clocks are found through the partial index on ``next_due_at``, so a sweep costs what is
    due, not what exists. They are handled a chunk at a time, each chunk in one transaction
    with its requests locked first, as the ticket services lock them: a request another worker
    (or a service) holds is skipped (SKIP LOCKED on PostgreSQL) and the due check is repeated
    under the lock, so any number of sweepers record each warning and breach once. SQLite's
    BEGIN IMMEDIATE queues them instead. A chunk costs a fixed number of statements (the
    events, their notifications and the clocks are written in bulk), not a few per clock.
    Returns the number of SlaEvents recorded.

    Side effects: SlaEvent rows, the clocks' recorded flags and next due instant, and — when
    the desk says so — the resolution of a request whose customer did not answer in time.
    Never sends mail: notifications read the SlaEvents.
    """
    at = now or timezone.now()
    due = list(clocks_due(at, limit=limit).values_list("pk", "ticket_id"))
    recorded = 0
    for start in range(0, len(due), SWEEP_CHUNK_SIZE):
        recorded += _sweep_chunk(due[start : start + SWEEP_CHUNK_SIZE], at)
    return recorded


# A clock has at most a warning and a breach to record: two rounds, and one to spare.
_CATCH_UP_ROUNDS = 3


def sla_sweep_tickets(ticket_ids: Iterable[int], now: dt.datetime | None = None) -> int:
    """The sweep for these requests only, at once: an import records the warnings and breaches
    its requests' history already holds (inside ``core.quiet.quietly``, so nobody is told of
    a breach years old) instead of leaving them for the worker's next tick, which would tell
    everyone. Returns the number of SlaEvents recorded."""
    at = now or timezone.now()
    ids = list(ticket_ids)
    recorded = 0
    for _round in range(_CATCH_UP_ROUNDS):
        due = list(
            Clock.objects.filter(ticket_id__in=ids, next_due_at__lt=at)
            .order_by("next_due_at")
            .values_list("pk", "ticket_id")
        )
        if not due:
            break
        recorded += _sweep_chunk(due, at)
    return recorded


def _sweep_chunk(due: list[tuple[int, int]], at: dt.datetime) -> int:
    with transaction.atomic():
        tickets = {
            ticket.pk: ticket
            for ticket in Ticket.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("desk", "assignee")
            .filter(pk__in={ticket_id for _clock_id, ticket_id in due})
            .order_by("pk")
        }
        # Held by another worker or a service: the next sweep sees them.
        clocks = {
            clock.pk: clock
            for clock in Clock.objects.select_related("policy", "calendar").filter(
                pk__in=[clock_id for clock_id, ticket_id in due if ticket_id in tickets],
                next_due_at__lt=at,  # handled or moved meanwhile
            )
        }
        ordered = [clocks[clock_id] for clock_id, _ticket_id in due if clock_id in clocks]
        # A customer's overdue answer may resolve the request, which moves its other clocks:
        # such a request's clocks are handled one at a time, each read again, as they come.
        one_by_one = {clock.ticket_id for clock in ordered if _may_resolve(clock, at)}
        recorded = _clocks_record(
            [clock for clock in ordered if clock.ticket_id not in one_by_one], tickets, at
        )
        for clock in ordered:
            if clock.ticket_id not in one_by_one:
                continue
            ticket = Ticket.objects.select_related("desk", "assignee").get(pk=clock.ticket_id)
            fresh = (
                Clock.objects.select_related("policy", "calendar")
                .filter(pk=clock.pk, next_due_at__lt=at)
                .first()
            )
            if fresh is not None:
                recorded += _clock_handle_due(fresh, ticket, at)
    return recorded


def _may_resolve(clock: Clock, at: dt.datetime) -> bool:
    """Whether the customer's reply clock's overdue breach comes due now (see
    :func:`_reply_overdue_resolve`)."""
    return (
        clock.goal == Goal.CUSTOMER_REPLY
        and clock.state == ClockState.RUNNING
        and clock.deadline_at is not None
        and clock.deadline_at < at
        and not clock.is_breach_recorded
    )


def _clock_due_change(clock: Clock, at: dt.datetime) -> tuple[SlaEventKind, dt.datetime] | None:
    """Set the clock's recorded flags and next due instant for what comes due at ``at``; the
    kind and due instant of the SlaEvent to record, if any. No queries."""
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
    change: tuple[SlaEventKind, dt.datetime] | None = None
    if breach_due and clock.deadline_at is not None:
        kind = SlaEventKind.REPLY_OVERDUE if is_reply else SlaEventKind.BREACH
        change = (kind, clock.deadline_at)
        clock.is_breach_recorded = True
        clock.is_breached = True
        # A warning that comes due with its breach would only repeat it: the breach says it all.
        clock.is_warning_recorded = clock.is_warning_recorded or clock.warn_at is not None
    elif warning_due and clock.warn_at is not None:
        kind = SlaEventKind.REPLY_REMINDER if is_reply else SlaEventKind.WARNING
        change = (kind, clock.warn_at)
        clock.is_warning_recorded = True
    clock.next_due_at = clock_next_due(clock)
    return change


_SWEPT_FIELDS = ["is_breached", "is_warning_recorded", "is_breach_recorded", "next_due_at"]


def _clocks_record(clocks: list[Clock], tickets: dict[int, Ticket], at: dt.datetime) -> int:
    """Record what is due on ``clocks`` (their requests locked) in a fixed number of
    statements: the SlaEvents, their listeners' rows and the clocks, each in bulk."""
    if not clocks:
        return 0
    changes = [(clock, _clock_due_change(clock, at)) for clock in clocks]
    wanted = [(clock, change) for clock, change in changes if change is not None]
    recorded_already = set()
    if wanted:
        recorded_already = set(
            SlaEvent.objects.filter(
                clock_id__in=[clock.pk for clock, _change in wanted],
                kind__in={change[0] for _clock, change in wanted},
            ).values_list("clock_id", "kind")
        )
    leads = _team_leads_of({tickets[clock.ticket_id].desk_id for clock, _change in wanted})
    new_events = []
    for clock, (kind, due_at) in wanted:
        if (clock.pk, kind) in recorded_already:
            continue  # recorded before (the one-event-per-clock-and-kind constraint)
        ticket = tickets[clock.ticket_id]
        new_events.append(
            SlaEvent(
                ticket=ticket,
                clock=clock,
                kind=kind,
                goal=clock.goal,
                assignee_id=ticket.assignee_id,
                due_at=due_at,
                recorded_at=at,
                data=_event_data(clock, ticket, kind, leads.get(ticket.desk_id, [])),
            )
        )
    if new_events:
        SlaEvent.objects.bulk_create(new_events)
        # The notifications record them here and mail them after commit, once each.
        sla_events.listeners.notify_many(new_events)
    _clocks_save(clocks)
    return len(new_events)


def _clocks_save(clocks: list[Clock]) -> None:
    """Save the swept fields of ``clocks`` in a few UPDATEs: the clocks are grouped by their
    new values, the next due instant named by the column that holds it (the deadline, the
    warning time) rather than by its value, so a whole chunk takes two or three statements."""
    groups: dict[tuple, list[int]] = {}
    for clock in clocks:
        next_due: str | dt.datetime | None
        if clock.next_due_at is None:
            next_due = None
        elif clock.next_due_at == clock.deadline_at:
            next_due = "deadline_at"
        elif clock.next_due_at == clock.warn_at:
            next_due = "warn_at"
        else:  # not reached: the next due instant is one of the two
            next_due = clock.next_due_at
        key = (clock.is_breached, clock.is_warning_recorded, clock.is_breach_recorded, next_due)
        groups.setdefault(key, []).append(clock.pk)
    for (breached, warning_recorded, breach_recorded, next_due), ids in groups.items():
        Clock.objects.filter(pk__in=ids).update(
            is_breached=breached,
            is_warning_recorded=warning_recorded,
            is_breach_recorded=breach_recorded,
            next_due_at=F(next_due) if isinstance(next_due, str) else next_due,
        )


def _team_leads_of(desk_ids: set[int]) -> dict[int, list[int]]:
    leads: dict[int, list[int]] = {}
    if not desk_ids:
        return leads
    for desk_id, user_id in (
        DeskMembership.objects.filter(desk_id__in=desk_ids, role=DeskRole.TEAM_LEAD)
        .order_by("user_id")
        .values_list("desk_id", "user_id")
    ):
        leads.setdefault(desk_id, []).append(user_id)
    return leads


def _clock_handle_due(clock: Clock, ticket: Ticket, at: dt.datetime) -> int:
    """One clock, its request locked: what is due recorded, then the overdue resolution."""
    resolve = _may_resolve(clock, at)
    change = _clock_due_change(clock, at)
    recorded = 0
    if change is not None:
        kind, due_at = change
        recorded += _sla_event_add(clock, ticket, kind, due_at=due_at, at=at)
    clock.save(update_fields=_SWEPT_FIELDS)
    if resolve:
        _reply_overdue_resolve(clock, ticket, at)
    return recorded


def _team_lead_ids(desk_id: int) -> list[int]:
    return list(
        DeskMembership.objects.filter(desk_id=desk_id, role=DeskRole.TEAM_LEAD)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _recipient_ids(
    ticket: Ticket, kind: SlaEventKind, team_lead_ids: list[int] | None = None
) -> list[int]:
    if kind == SlaEventKind.REPLY_REMINDER:
        return [ticket.requester_id]
    assignee = [ticket.assignee_id] if ticket.assignee_id else []
    only_assignee = kind == SlaEventKind.WARNING or kind == SlaEventKind.REPLY_OVERDUE
    if only_assignee and assignee:
        return assignee
    leads = _team_lead_ids(ticket.desk_id) if team_lead_ids is None else team_lead_ids
    if only_assignee:
        return leads
    return list(dict.fromkeys([*assignee, *leads]))


def _event_data(
    clock: Clock, ticket: Ticket, kind: SlaEventKind, team_lead_ids: list[int] | None = None
) -> dict[str, object]:
    return {
        "status": ticket.status,
        "target_minutes": minutes_of(clock.target_duration),
        "policy": str(clock.policy or ""),
        "was_assigned": ticket.assignee_id is not None,
        "recipient_ids": _recipient_ids(ticket, kind, team_lead_ids),
    }


def _sla_event_add(
    clock: Clock, ticket: Ticket, kind: SlaEventKind, *, due_at: dt.datetime, at: dt.datetime
) -> int:
    data = _event_data(clock, ticket, kind)
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
