"""Request events turned into clock entries, inside the request's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import connections, router
from django.db.models import QuerySet

from supportal.accounts.models import User
from supportal.core.inserts import saved, values_of
from supportal.core.statements import KeptStatement
from supportal.desks.models import Desk
from supportal.sla.models import (
    POLICY_GOALS,
    Calendar,
    Clock,
    ClockEntry,
    ClockState,
    EntryKind,
    Goal,
    Policy,
)
from supportal.sla.services.calendars import CalendarBook, default_calendar
from supportal.sla.services.clocks import (
    STOPPED_STATES,
    _clock_derive,
    _clocks_apply,
    _desk_rules,
    _DeskRules,
    _lead_for,
    _Move,
    minutes_of,
)
from supportal.sla.services.policies import POLICY_FIELDS, policy_for_ticket
from supportal.tickets.events import Assigned, Created, FieldChanged, StatusChanged
from supportal.tickets.models import Event, EventKind, Ticket
from supportal.tickets.workflow import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    Action,
    Status,
)


def _is_support(user: User | None) -> bool:
    return user is not None and (user.is_agent or user.is_superuser)


def _policy_targets(
    policy: Policy | None,
) -> tuple[Calendar | None, dict[str, dt.timedelta | None]]:
    calendar = policy.calendar if policy else default_calendar()
    return calendar, {goal: policy.target_for(goal) if policy else None for goal in POLICY_GOALS}


def sla_event_record(event: Event) -> None:
    """Apply one request event to the request's SLA clocks, in the caller's transaction.

    ``tickets.services`` calls this for every event, with the request locked; kinds that move
    no clock return before any query. Creation starts one clock per goal; an agent taking the
    request (assigning it, or any status change an agent makes) meets the first response;
    waiting for the customer or a third party pauses, the way back resumes; Resolved meets
    the resolution, a customer's reopening resumes it; Closed and Cancelled stop what is left.
    Waiting for the customer also starts the customer's reply clock when the desk sets one.
    A change of priority, request type or product chooses the policy again.

    Side effects: Clock rows (created, their stored deadlines), one ClockEntry per move, with
    the event as its cause.
    """
    kind = event.kind
    payload = event.payload
    if isinstance(payload, Created):
        _clocks_start(event)
        return
    if isinstance(payload, Assigned):
        if not payload.assignee_id:
            return
    elif isinstance(payload, FieldChanged):
        if payload.field not in POLICY_FIELDS:
            return
    elif not isinstance(payload, StatusChanged):
        return
    ticket = event.ticket
    clocks = _clocks_of(ticket)
    if not clocks:
        return  # a request older than the SLA engine (see the sla_backfill command)
    moves: list[_Move] = []
    if kind == EventKind.ASSIGNED:
        moves = _moves_on_assignment(clocks)
    elif isinstance(payload, StatusChanged):
        moves = _moves_on_status(clocks, event, payload)
    is_waiting = getattr(payload, "to_status", None) == Status.WAITING_FOR_CUSTOMER
    if not moves and kind != EventKind.FIELD_CHANGED and not is_waiting:
        return
    rules = _desk_rules(ticket.desk_id, desk=_desk_in_hand(ticket))
    retargeted = _clocks_retarget(ticket, clocks, rules) if kind == EventKind.FIELD_CHANGED else []
    _clocks_apply(clocks, moves, rules, at=event.created_at, event=event, retargeted=retargeted)
    if kind == EventKind.STATUS_CHANGED and is_waiting and rules.reply_duration:
        _clocks_insert([_reply_clock_new(ticket, rules, event)], rules, at=event.created_at)


def _clocks_of(ticket: Ticket) -> list[Clock]:
    """The request's goal clocks and its current reply clock, with what deriving them needs:
    their calendars and policies, and their entries as ``prefetch_related("entries")`` leaves
    them (``clock.entries.all()``, in the order of time). Both statements are compiled once
    per process (``core.statements``; every status change and assignment reads them,
    docs/performance.md, "Ninth round: the write paths of a request")."""
    clocks = _CLOCKS.rows(None, {"ticket": ticket.pk})
    if not clocks:
        return clocks
    entries: dict[int, list[ClockEntry]] = {clock.pk: [] for clock in clocks}
    for entry in _ENTRIES.rows(None, {"ticket": ticket.pk}):
        of_clock = entries.get(entry.clock_id)
        if of_clock is not None:  # not a stopped reply clock's
            of_clock.append(entry)
    for clock in clocks:
        _entries_keep(clock, entries[clock.pk])
    return clocks


def _entries_keep(clock: Clock, entries: list[ClockEntry]) -> None:
    """What ``prefetch_related`` leaves on the clock: its entries' queryset, already read, and
    the clock on each entry."""
    queryset: Any = clock.entries.all()
    queryset._result_cache = entries
    queryset._prefetch_done = True
    kept: Any = clock
    kept._prefetched_objects_cache = {"entries": queryset}
    for entry in entries:
        ClockEntry.clock.field.set_cached_value(entry, clock)


def _clocks_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[Clock]:
    return (
        Clock.objects.filter(ticket_id=values["ticket"])
        .exclude(goal=Goal.CUSTOMER_REPLY, state__in=STOPPED_STATES)
        .select_related("calendar", "policy")
        .order_by("pk")
    )


def _entries_build(_shape: None, values: Mapping[str, Any]) -> QuerySet[ClockEntry]:
    # Each clock's in the prefetch's order (the model's: at, then key).
    return ClockEntry.objects.filter(clock__ticket_id=values["ticket"]).order_by(
        "clock_id", "at", "pk"
    )


_CLOCKS: KeptStatement[None, Clock] = KeptStatement(_clocks_build)
_ENTRIES: KeptStatement[None, ClockEntry] = KeptStatement(_entries_build)


def _desk_in_hand(ticket: Ticket) -> Desk | None:
    """The request's desk when it was read with it (its version keys the kept settings)."""
    return ticket.desk if Ticket.desk.is_cached(ticket) else None


def _clocks_start(event: Event) -> None:
    ticket = event.ticket
    rules = _desk_rules(ticket.desk_id, desk=_desk_in_hand(ticket))
    _clocks_insert(_start_clocks_new(event), rules, at=event.created_at)


def _start_clocks_new(event: Event) -> list[tuple[Clock, ClockEntry]]:
    """A new request's goal clocks, each with its start entry, not written yet."""
    ticket = event.ticket
    policy = policy_for_ticket(ticket)
    calendar, targets = _policy_targets(policy)
    at = event.created_at
    started = []
    for goal in POLICY_GOALS:
        clock = Clock(
            ticket=ticket,
            goal=goal,
            policy=policy,
            calendar=calendar,
            target_duration=targets[goal],
            started_at=at,
            updated_at=at,
        )
        entry = ClockEntry(clock=clock, kind=EntryKind.START, reason="created", event=event, at=at)
        started.append((clock, entry))
    return started


def _reply_clock_new(ticket: Ticket, rules: _DeskRules, event: Event) -> tuple[Clock, ClockEntry]:
    at = event.created_at
    clock = Clock(
        ticket=ticket,
        goal=Goal.CUSTOMER_REPLY,
        calendar=rules.reply_calendar,
        target_duration=rules.reply_duration,
        started_at=at,
        updated_at=at,
    )
    entry = ClockEntry(
        clock=clock,
        kind=EntryKind.START,
        reason=str(getattr(event.payload, "action", "")),
        event=event,
        at=at,
    )
    return clock, entry


def _clocks_insert(
    started: list[tuple[Clock, ClockEntry]], rules: _DeskRules, *, at: dt.datetime
) -> None:
    calendars = CalendarBook()
    for clock, entry in started:
        _clock_derive(clock, [entry], calendars, lead_duration=_lead_for(clock, rules), at=at)
    using = router.db_for_write(Clock)
    goals = {clock.goal for clock, _entry in started}
    if connections[using].vendor == "postgresql" and len(goals) == len(started):
        _clocks_insert_at_once(started, using=using)
        return
    Clock.objects.bulk_create([clock for clock, _entry in started])
    entries = []
    for clock, entry in started:
        entry.clock = clock
        entries.append(entry)
    ClockEntry.objects.bulk_create(entries)


def _clocks_insert_at_once(started: list[tuple[Clock, ClockEntry]], *, using: str) -> None:
    """The clocks and their entries in one statement (PostgreSQL's data-modifying WITH; one
    clock per goal: an entry finds its clock by the goal). No signals, as ``bulk_create``."""
    db = connections[using]
    clock_columns, clock_row, params = values_of(
        Clock, [clock for clock, _entry in started], connection=db
    )
    entry_columns, entry_row, entry_params = values_of(
        ClockEntry, [entry for _clock, entry in started], connection=db, exclude={"clock"}
    )
    # Each entry's row leads with its clock's goal, the key to the clock's new id.
    entry_row = "(%s::varchar, " + entry_row[1:]
    for n, (clock, _entry) in enumerate(started):
        at = n * (len(entry_columns) + 1)
        entry_params[at:at] = [clock.goal]
    names = [f"v{n}" for n in range(len(entry_columns))]
    sql = (
        f"WITH c AS (INSERT INTO {Clock._meta.db_table} ({', '.join(clock_columns)})"  # noqa: S608
        f" VALUES {', '.join([clock_row] * len(started))} RETURNING id, goal),"
        f" e AS (INSERT INTO {ClockEntry._meta.db_table} (clock_id, {', '.join(entry_columns)})"
        f" SELECT c.id, {', '.join(f'v.{name}' for name in names)}"
        f" FROM (VALUES {', '.join([entry_row] * len(started))}) AS v(goal, {', '.join(names)})"
        " JOIN c ON c.goal = v.goal RETURNING id, clock_id)"
        " SELECT c.goal, c.id, e.id FROM c JOIN e ON e.clock_id = c.id"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, [*params, *entry_params])
        written = {goal: (clock_id, entry_id) for goal, clock_id, entry_id in cursor.fetchall()}
    for clock, entry in started:
        clock_id, entry_id = written[clock.goal]
        saved(clock, clock_id, using=using)
        entry.clock = clock
        saved(entry, entry_id, using=using)


def _moves_on_assignment(clocks: list[Clock]) -> list[_Move]:
    return [
        _Move(clock, EntryKind.STOP, "assigned", {"outcome": ClockState.MET})
        for clock in clocks
        if clock.goal == Goal.FIRST_RESPONSE and not clock.is_stopped
    ]


def _moves_on_status(clocks: list[Clock], event: Event, payload: StatusChanged) -> list[_Move]:
    source, target, action = payload.from_status, payload.to_status, payload.action
    by_support = _is_support(event.actor)
    moves = []
    for clock in clocks:
        move = _move_for(clock, source, target, action, by_support=by_support)
        if move is not None:
            kind, reason, data = move
            moves.append(_Move(clock, kind, reason, data))
    return moves


def _move_for(
    clock: Clock, source: str, target: str, action: str, *, by_support: bool
) -> tuple[EntryKind, str, dict] | None:
    met = {"outcome": ClockState.MET}
    stopped = {"outcome": ClockState.STOPPED}
    if clock.goal == Goal.CUSTOMER_REPLY:
        if source == Status.WAITING_FOR_CUSTOMER and target != Status.WAITING_FOR_CUSTOMER:
            return EntryKind.STOP, action, met if action == Action.CUSTOMER_REPLY else stopped
        return None
    if clock.goal == Goal.FIRST_RESPONSE:
        if clock.is_stopped:
            return None
        if target in FINAL_STATUSES:
            return EntryKind.STOP, action, stopped
        if by_support or target == Status.IN_PROGRESS:
            return EntryKind.STOP, action, met
        if target == Status.RESOLVED:
            return EntryKind.STOP, action, stopped  # the customer solved it before anyone took it
    else:  # resolution
        if target == Status.RESOLVED and not clock.is_stopped:
            return EntryKind.STOP, action, met
        if target in FINAL_STATUSES:
            return None if clock.is_stopped else (EntryKind.STOP, action, stopped)
        if clock.is_stopped:
            if source == Status.RESOLVED and target in OPEN_STATUSES:
                # Reopened by the customer: the same goal continues, the resolved time never
                # counted. A pause would follow at once if the reopening led to a wait.
                return EntryKind.RESUME, "reopened", {}
            return None
    if target in PAUSED_STATUSES:
        if clock.state == ClockState.RUNNING or clock.pause_reason != target:
            return EntryKind.PAUSE, target, {"action": action}
        return None
    if target in OPEN_STATUSES and clock.state == ClockState.PAUSED:
        return EntryKind.RESUME, action, {}
    return None


def _clocks_retarget(
    ticket: Ticket, clocks: list[Clock], rules: _DeskRules
) -> list[tuple[Clock, dict]]:
    """Apply the policy that matches the request now to its unstopped clocks."""
    policy = policy_for_ticket(ticket)
    calendar, targets = _policy_targets(policy)
    changed = []
    for clock in clocks:
        if clock.is_stopped:
            continue
        new: tuple[Policy | None, Calendar | None, dt.timedelta | None]
        if clock.goal == Goal.CUSTOMER_REPLY:
            new = (None, rules.reply_calendar, rules.reply_duration)
        else:
            new = (policy, calendar, targets[clock.goal])
        old = (clock.policy, clock.calendar, clock.target_duration)
        if (getattr(new[0], "pk", None), getattr(new[1], "pk", None), new[2]) == (
            clock.policy_id,
            clock.calendar_id,
            clock.target_duration,
        ):
            continue
        clock.policy, clock.calendar, clock.target_duration = new
        data = {
            "policy": str(new[0] or ""),
            "calendar": str(new[1] or ""),
            "target_minutes": minutes_of(new[2]),
            "previous_target_minutes": minutes_of(old[2]),
        }
        changed.append((clock, data))
    return changed
