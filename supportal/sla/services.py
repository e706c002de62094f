"""The only code that writes SLA clocks, their entries and SLA events.

Request events reach the engine through :func:`sla_event_record`, which ``tickets.services``
calls for every event inside the transaction that writes it: the clocks of a request change
together with the request. Each clock's stored fields (working time used, deadline, warning
time, next due instant) are derived from its entries by :func:`_clock_derive`, the one place
that reads them, so an administrator's change to a calendar or a policy recomputes open
requests exactly as the events computed them. The sweeper (:func:`sla_sweep_due`, a worker
queue in ``sweeper.py``) records warnings and breaches as ``SlaEvent`` rows, each once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from supportal.accounts.models import Contract, User
from supportal.desks.models import Desk
from supportal.sla import clock as business
from supportal.sla.models import (
    DEFAULT_WARNING_LEAD_DURATION,
    POLICY_GOALS,
    Calendar,
    CalendarDate,
    Clock,
    ClockEntry,
    ClockState,
    DateKind,
    DeskSlaSettings,
    EntryKind,
    Goal,
    Policy,
)
from supportal.tickets.models import Event, EventKind, Ticket
from supportal.tickets.workflow import (
    FINAL_STATUSES,
    OPEN_STATUSES,
    PAUSED_STATUSES,
    Action,
    Status,
)

logger = logging.getLogger("supportal.sla")

ZERO = dt.timedelta(0)
# The ticket fields a policy is chosen by; changing one re-selects the policy.
POLICY_FIELDS = frozenset({"priority", "request_type", "product"})
STOPPED_STATES = (ClockState.MET, ClockState.STOPPED)
_MAX_YEARS_AHEAD = 100


# Calendars -------------------------------------------------------------------------------------


@lru_cache(maxsize=256)
def _public_holidays(country_code: str, subdivision: str, years: tuple[int, ...]) -> frozenset:
    return business.public_holidays(country_code, years, subdivision or None)


def calendar_business(
    calendar: Calendar | None, *, years: Iterable[int]
) -> business.BusinessCalendar:
    """The pure :class:`clock.BusinessCalendar` of a calendar row, with holidays for ``years``.

    Holidays are the country's public holidays in those years, plus the dates the administrator
    added, minus those they made working days. No calendar at all counts every hour in the
    site's time zone. Reads the calendar's periods and dates (prefetch them for many calls).
    """
    if calendar is None:
        return business.BusinessCalendar.always_open(settings.TIME_ZONE)
    if calendar.is_always_open:
        return business.BusinessCalendar.always_open(calendar.time_zone)
    week: dict[int, list[business.WorkingPeriod]] = {}
    for period in calendar.periods.all():
        week.setdefault(period.weekday, []).append(
            business.WorkingPeriod(period.start_time, period.end_time)
        )
    holidays: set[dt.date] = set()
    if calendar.country_code:
        holidays |= _public_holidays(
            calendar.country_code, calendar.subdivision, tuple(sorted(set(years)))
        )
    for day in calendar.dates.all():
        if day.kind == DateKind.HOLIDAY:
            holidays.add(day.date)
        else:
            holidays.discard(day.date)
    return business.BusinessCalendar(
        time_zone=calendar.time_zone, week=week, holidays=frozenset(holidays)
    )


@dataclass
class CalendarBook:
    """Pure calendars built once per operation; holidays are added a year range at a time."""

    built: dict[tuple[int | None, int, int], business.BusinessCalendar] = field(
        default_factory=dict
    )

    def get(self, calendar: Calendar | None, first_year: int, last_year: int):
        key = (getattr(calendar, "pk", None), first_year, last_year)
        if key not in self.built:
            self.built[key] = calendar_business(calendar, years=range(first_year, last_year + 1))
        return self.built[key]

    def compute(
        self,
        calendar: Calendar | None,
        since: dt.datetime,
        until: dt.datetime,
        computation: Callable[[business.BusinessCalendar], Sequence[dt.datetime | None]],
    ) -> Sequence[dt.datetime | None]:
        """Run ``computation`` with holidays known for every year up to the instants it returns.

        Holidays come by whole years; a result in the last year covered could move if that
        year's successor had been known, so the range grows until the results stay inside it.
        """
        first_year = since.year - 1  # a local date may still be in the previous UTC year
        last_year = until.year + 1
        while True:
            results = computation(self.get(calendar, first_year, last_year))
            latest = max((instant for instant in results if instant is not None), default=None)
            if latest is None or latest.year < last_year:
                return results
            if last_year - until.year > _MAX_YEARS_AHEAD:
                return results
            last_year = latest.year + 1


def calendar_changed(*, calendar: Calendar, now: dt.datetime | None = None) -> int:
    """Recompute the stored deadlines of open requests whose clocks run on ``calendar``.

    Call after the calendar, its working periods or its dates changed (the admin does). Returns
    the number of requests looked at. Side effects: clock fields and, where a deadline moved, a
    RECOMPUTE entry on the clock.
    """
    ticket_ids = (
        Clock.objects.filter(
            calendar=calendar,
            state__in=[ClockState.RUNNING, ClockState.PAUSED],
            ticket__status__in=OPEN_STATUSES,
        )
        .values_list("ticket_id", flat=True)
        .distinct()
    )
    return _tickets_recompute(
        list(ticket_ids), reason="calendar_changed", reselect=False, now=now or timezone.now()
    )


def calendar_date_set(
    *,
    calendar: Calendar,
    date: dt.date,
    kind: DateKind,
    name: str = "",
    now: dt.datetime | None = None,
) -> CalendarDate:
    """Add a holiday to a calendar, or make one of its public holidays a working day.

    Side effects: the CalendarDate row (replacing one on the same date) and the recomputation
    of open requests on this calendar.
    """
    with transaction.atomic():
        row, _created = CalendarDate.objects.update_or_create(
            calendar=calendar, date=date, defaults={"kind": kind, "name": name.strip()}
        )
    calendar_changed(calendar=calendar, now=now)
    return row


def calendar_date_remove(
    *, calendar: Calendar, date: dt.date, now: dt.datetime | None = None
) -> None:
    """Drop an administrator's date from a calendar; the country's rule applies again.

    Side effects: deletes the row and recomputes open requests on this calendar.
    """
    CalendarDate.objects.filter(calendar=calendar, date=date).delete()
    calendar_changed(calendar=calendar, now=now)


def default_calendar() -> Calendar | None:
    return Calendar.objects.filter(is_default=True).prefetch_related("periods", "dates").first()


# Policies --------------------------------------------------------------------------------------


def _contracts_for(ticket: Ticket):
    day = timezone.localdate(ticket.created_at)
    return Contract.objects.filter(
        Q(product__isnull=True) | Q(product_id=ticket.product_id),
        Q(starts_on__isnull=True) | Q(starts_on__lte=day),
        Q(ends_on__isnull=True) | Q(ends_on__gte=day),
        organization_id=ticket.organization_id,
        is_active=True,
    )


def _specificity(policy: Policy) -> tuple:
    # More criteria first; between equally many, a contract outranks a priority, a priority a
    # request type, a request type a desk; then the oldest policy.
    criteria = (
        policy.contract_id is not None,
        policy.priority_id is not None,
        policy.request_type_id is not None,
        policy.desk_id is not None,
    )
    return (sum(criteria), *criteria, -policy.pk)


def policy_for_ticket(ticket: Ticket) -> Policy | None:
    """The active policy that matches the request most specifically, or None. One query."""
    contract_match = Q(contract__isnull=True)
    if ticket.organization_id is not None:
        contract_match |= Q(contract__in=_contracts_for(ticket))
    candidates = (
        Policy.objects.filter(
            Q(desk__isnull=True) | Q(desk_id=ticket.desk_id),
            Q(priority__isnull=True) | Q(priority_id=ticket.priority_id),
            Q(request_type__isnull=True) | Q(request_type_id=ticket.request_type_id),
            contract_match,
            is_active=True,
        )
        .select_related("calendar")
        .prefetch_related("calendar__periods", "calendar__dates")
    )
    return max(candidates, key=_specificity, default=None)


def policies_changed(*, now: dt.datetime | None = None) -> int:
    """Choose the policy of every open request again and recompute its deadlines.

    Call after a policy was added, changed or deleted (the admin does). Returns the number of
    requests looked at. Side effects: clock targets, RETARGET and RECOMPUTE entries.
    """
    ticket_ids = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES, sla_clocks__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    return _tickets_recompute(
        ticket_ids, reason="policy_changed", reselect=True, now=now or timezone.now()
    )


def desk_settings_changed(*, desk: Desk, now: dt.datetime | None = None) -> int:
    """Recompute the open requests of ``desk`` after its SLA settings changed (the admin does).

    Side effects: warning times and the customer's reply time of the waiting requests.
    """
    ticket_ids = list(
        Ticket.objects.filter(desk=desk, status__in=OPEN_STATUSES, sla_clocks__isnull=False)
        .values_list("pk", flat=True)
        .distinct()
    )
    return _tickets_recompute(
        ticket_ids, reason="settings_changed", reselect=True, now=now or timezone.now()
    )


# Clocks ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DeskRules:
    warning_lead_duration: dt.timedelta
    reply_duration: dt.timedelta | None
    reply_calendar: Calendar | None
    reminder_lead_duration: dt.timedelta | None


def _desk_rules(desk_id: int) -> _DeskRules:
    row = (
        DeskSlaSettings.objects.filter(desk_id=desk_id)
        .select_related("customer_reply_calendar")
        .prefetch_related("customer_reply_calendar__periods", "customer_reply_calendar__dates")
        .first()
    )
    if row is None:
        return _DeskRules(DEFAULT_WARNING_LEAD_DURATION, None, None, None)
    reply_calendar = row.customer_reply_calendar
    if row.customer_reply_duration is not None and reply_calendar is None:
        reply_calendar = default_calendar()
    return _DeskRules(
        warning_lead_duration=row.warning_lead_duration,
        reply_duration=row.customer_reply_duration,
        reply_calendar=reply_calendar,
        reminder_lead_duration=row.reply_reminder_lead_duration,
    )


def _intervals(entries: Sequence[ClockEntry]) -> tuple[list[business.Interval], ClockEntry]:
    """The clock's running intervals and the entry that set its current state."""
    intervals: list[business.Interval] = []
    running_since: dt.datetime | None = None
    last_state_entry = entries[0]
    for entry in entries:
        if entry.kind in (EntryKind.START, EntryKind.RESUME):
            if running_since is None:
                running_since = entry.at
            last_state_entry = entry
        elif entry.kind in (EntryKind.PAUSE, EntryKind.STOP):
            if running_since is not None:
                intervals.append((running_since, entry.at))
                running_since = None
            last_state_entry = entry
    if running_since is not None:
        intervals.append((running_since, None))
    return intervals, last_state_entry


def _clock_derive(
    clock: Clock,
    entries: Sequence[ClockEntry],
    calendars: CalendarBook,
    *,
    lead_duration: dt.timedelta | None,
    at: dt.datetime,
) -> None:
    """Set the clock's stored fields from its entries, as they stand at ``at``. No queries.

    The deadline is the instant the working time used reaches the target; for a clock that is
    paused or stopped it is kept only when that instant has passed (the breach). A goal met at
    its deadline is met; one met after it is breached ("met late").
    """
    entries = sorted(entries, key=lambda entry: (entry.at, entry.pk or 0))
    intervals, state_entry = _intervals(entries)
    if state_entry.kind == EntryKind.PAUSE:
        clock.state, clock.pause_reason = ClockState.PAUSED, state_entry.reason
    elif state_entry.kind == EntryKind.STOP:
        clock.state, clock.pause_reason = state_entry.data.get("outcome", ClockState.MET), ""
    else:
        clock.state, clock.pause_reason = ClockState.RUNNING, ""
    clock.stopped_at = state_entry.at if clock.is_stopped else None
    is_running = bool(intervals) and intervals[-1][1] is None
    clock.running_since = intervals[-1][0] if is_running else None
    closed = intervals[:-1] if is_running else intervals
    target = clock.target_duration
    first_at = entries[0].at

    def computation(calendar: business.BusinessCalendar) -> list[dt.datetime | None]:
        deadline = business.instant_used_reaches(calendar, intervals, target) if target else None
        warn = None
        if is_running and target and lead_duration is not None and target > lead_duration:
            warn = business.instant_used_reaches(calendar, intervals, target - lead_duration)
        return [deadline, warn]

    deadline_at, warn_at = calendars.compute(clock.calendar, first_at, at, computation)
    used_calendar = calendars.get(clock.calendar, first_at.year - 1, at.year + 1)
    clock.used_duration = business.working_time_used(used_calendar, closed, at)
    clock.deadline_at = deadline_at
    clock.warn_at = warn_at
    if is_running:
        clock.is_breached = deadline_at is not None and deadline_at < at
    else:
        clock.is_breached = deadline_at is not None
    clock.next_due_at = clock_next_due(clock)
    clock.updated_at = at


def clock_next_due(clock: Clock) -> dt.datetime | None:
    due = []
    if clock.state == ClockState.RUNNING and clock.warn_at and not clock.is_warning_recorded:
        due.append(clock.warn_at)
    if (
        clock.deadline_at
        and not clock.is_breach_recorded
        and (clock.state == ClockState.RUNNING or clock.is_breached)
    ):
        due.append(clock.deadline_at)
    return min(due, default=None)


def clock_used_duration(
    clock: Clock, calendar: business.BusinessCalendar, at: dt.datetime
) -> dt.timedelta:
    """Working time the clock has used by ``at``: the stored part plus the running part."""
    used = clock.used_duration
    if clock.running_since is not None and at > clock.running_since:
        used += business.business_time_between(calendar, clock.running_since, at)
    return used


_CLOCK_FIELDS = (
    "policy",
    "calendar",
    "target_duration",
    "state",
    "pause_reason",
    "running_since",
    "used_duration",
    "stopped_at",
    "deadline_at",
    "warn_at",
    "is_breached",
    "is_warning_recorded",
    "is_breach_recorded",
    "next_due_at",
    "updated_at",
)


@dataclass
class _Move:
    clock: Clock
    kind: EntryKind
    reason: str
    data: dict = field(default_factory=dict)


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
    if kind == EventKind.CREATED:
        _clocks_start(event)
        return
    if kind == EventKind.ASSIGNED:
        if not event.data.get("assignee_id"):
            return
    elif kind == EventKind.FIELD_CHANGED:
        if event.data.get("field") not in POLICY_FIELDS:
            return
    elif kind != EventKind.STATUS_CHANGED:
        return
    ticket = event.ticket
    clocks = _clocks_of(ticket)
    if not clocks:
        return  # a request older than the SLA engine (see the sla_backfill command)
    moves: list[_Move] = []
    if kind == EventKind.ASSIGNED:
        moves = _moves_on_assignment(clocks)
    elif kind == EventKind.STATUS_CHANGED:
        moves = _moves_on_status(clocks, event)
    is_waiting = event.data.get("to_status") == Status.WAITING_FOR_CUSTOMER
    if not moves and kind != EventKind.FIELD_CHANGED and not is_waiting:
        return
    rules = _desk_rules(ticket.desk_id)
    retargeted = _clocks_retarget(ticket, clocks, rules) if kind == EventKind.FIELD_CHANGED else []
    _clocks_apply(clocks, moves, rules, at=event.created_at, event=event, retargeted=retargeted)
    if kind == EventKind.STATUS_CHANGED and is_waiting and rules.reply_duration:
        _clocks_insert([_reply_clock_new(ticket, rules, event)], rules, at=event.created_at)


def _clocks_of(ticket: Ticket) -> list[Clock]:
    """The request's goal clocks and its current reply clock, with what deriving them needs."""
    return list(
        Clock.objects.filter(ticket=ticket)
        .exclude(goal=Goal.CUSTOMER_REPLY, state__in=STOPPED_STATES)
        .select_related("calendar", "policy")
        .prefetch_related("entries", "calendar__periods", "calendar__dates")
        .order_by("pk")
    )


def _clocks_start(event: Event) -> None:
    ticket = event.ticket
    policy = policy_for_ticket(ticket)
    calendar, targets = _policy_targets(policy)
    rules = _desk_rules(ticket.desk_id)
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
    _clocks_insert(started, rules, at=at)


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
        reason=str(event.data.get("action", "")),
        event=event,
        at=at,
    )
    return clock, entry


def _lead_for(clock: Clock, rules: _DeskRules) -> dt.timedelta | None:
    if clock.goal == Goal.CUSTOMER_REPLY:
        return rules.reminder_lead_duration
    return rules.warning_lead_duration


def _clocks_insert(
    started: list[tuple[Clock, ClockEntry]], rules: _DeskRules, *, at: dt.datetime
) -> None:
    calendars = CalendarBook()
    for clock, entry in started:
        _clock_derive(clock, [entry], calendars, lead_duration=_lead_for(clock, rules), at=at)
    Clock.objects.bulk_create([clock for clock, _entry in started])
    entries = []
    for clock, entry in started:
        entry.clock = clock
        entries.append(entry)
    ClockEntry.objects.bulk_create(entries)


def _moves_on_assignment(clocks: list[Clock]) -> list[_Move]:
    return [
        _Move(clock, EntryKind.STOP, "assigned", {"outcome": ClockState.MET})
        for clock in clocks
        if clock.goal == Goal.FIRST_RESPONSE and not clock.is_stopped
    ]


def _moves_on_status(clocks: list[Clock], event: Event) -> list[_Move]:
    source = event.data.get("from_status")
    target = event.data.get("to_status")
    action = str(event.data.get("action", ""))
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


def minutes_of(duration: dt.timedelta | None) -> int | None:
    return None if duration is None else int(duration.total_seconds() // 60)


def _clocks_apply(
    clocks: list[Clock],
    moves: list[_Move],
    rules: _DeskRules,
    *,
    at: dt.datetime,
    event: Event | None,
    retargeted: Sequence[tuple[Clock, dict]] = (),
    recompute_reason: str = "",
) -> None:
    """Write the moves as entries and re-derive the clocks they touch (all, to recompute)."""
    new_entries: dict[int, list[ClockEntry]] = {}
    for move in moves:
        entry = ClockEntry(
            clock=move.clock,
            kind=move.kind,
            reason=move.reason,
            event=event,
            data=move.data,
            at=at,
        )
        new_entries.setdefault(move.clock.pk, []).append(entry)
    for clock, data in retargeted:
        entry = ClockEntry(
            clock=clock,
            kind=EntryKind.RETARGET,
            reason=recompute_reason or (str(event.data.get("field", "")) if event else ""),
            event=event,
            data=data,
            at=at,
        )
        new_entries.setdefault(clock.pk, []).append(entry)
    calendars = CalendarBook()
    touched = [clock for clock in clocks if clock.pk in new_entries or recompute_reason]
    recomputed = []
    for clock in touched:
        before = (clock.deadline_at, clock.warn_at, clock.is_breached)
        entries = [*clock.entries.all(), *new_entries.get(clock.pk, [])]
        _clock_derive(clock, entries, calendars, lead_duration=_lead_for(clock, rules), at=at)
        if recompute_reason and clock.pk not in new_entries:
            if (clock.deadline_at, clock.warn_at, clock.is_breached) == before:
                continue
            entry = ClockEntry(
                clock=clock,
                kind=EntryKind.RECOMPUTE,
                reason=recompute_reason,
                data={"previous_deadline_at": before[0].isoformat() if before[0] else None},
                at=at,
            )
            new_entries[clock.pk] = [entry]
        recomputed.append(clock)
    ClockEntry.objects.bulk_create([entry for batch in new_entries.values() for entry in batch])
    if recomputed:
        Clock.objects.bulk_update(recomputed, _CLOCK_FIELDS)


def _tickets_recompute(
    ticket_ids: Sequence[int], *, reason: str, reselect: bool, now: dt.datetime
) -> int:
    """Re-derive the clocks of these open requests, one request per transaction.

    Each request is locked as the ticket services lock it, so an event and a recomputation of
    the same request are applied one after the other.
    """
    done = 0
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("desk")
                .filter(pk=ticket_id, status__in=OPEN_STATUSES)
                .first()
            )
            if ticket is None:
                continue
            clocks = [clock for clock in _clocks_of(ticket) if not clock.is_stopped]
            rules = _desk_rules(ticket.desk_id)
            retargeted = _clocks_retarget(ticket, clocks, rules) if reselect else []
            _clocks_apply(
                clocks,
                [],
                rules,
                at=now,
                event=None,
                retargeted=retargeted,
                recompute_reason=reason,
            )
            done += 1
    return done


def tickets_backfill(*, now: dt.datetime | None = None) -> int:
    """Give clocks to requests created before the SLA engine, by replaying their events.

    Warnings and breaches already past are marked recorded without an SlaEvent, so the
    sweeper does not announce history. Returns the number of requests backfilled. Side
    effects: Clock and ClockEntry rows.
    """
    at = now or timezone.now()
    ticket_ids = list(
        Ticket.objects.filter(sla_clocks__isnull=True).order_by("pk").values_list("pk", flat=True)
    )
    for ticket_id in ticket_ids:
        with transaction.atomic():
            ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket_id)
            if ticket.sla_clocks.exists():
                continue
            for event in ticket.events.select_related("actor").order_by("created_at", "pk"):
                event.ticket = ticket
                sla_event_record(event)
            for clock in Clock.objects.filter(ticket=ticket, next_due_at__lt=at):
                clock.is_warning_recorded = clock.warn_at is not None and clock.warn_at < at
                clock.is_breach_recorded = clock.is_breached or (
                    clock.deadline_at is not None and clock.deadline_at < at
                )
                clock.next_due_at = clock_next_due(clock)
                clock.save(
                    update_fields=["is_warning_recorded", "is_breach_recorded", "next_due_at"]
                )
    return len(ticket_ids)
