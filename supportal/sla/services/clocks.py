"""A clock's stored fields, derived from its entries (the one place that reads them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import connections, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field

from supportal.desks.choices import kept_rows
from supportal.desks.models import Desk
from supportal.sla import clock as business
from supportal.sla.models import (
    DEFAULT_WARNING_LEAD_DURATION,
    Calendar,
    Clock,
    ClockEntry,
    ClockState,
    DeskSlaSettings,
    EntryKind,
    Goal,
)
from supportal.sla.services.calendars import CalendarBook, default_calendar
from supportal.tickets.models import Event

STOPPED_STATES = (ClockState.MET, ClockState.STOPPED)


@dataclass(frozen=True)
class _DeskRules:
    warning_lead_duration: dt.timedelta
    reply_duration: dt.timedelta | None
    reply_calendar: Calendar | None
    reminder_lead_duration: dt.timedelta | None


def _desk_rules(desk_id: int, *, desk: Desk | None = None) -> _DeskRules:
    """The desk's SLA settings. With the desk row in hand they are kept per process for its
    version (``desks.choices``: saving settings or a calendar moves it), else read."""

    def read():
        return DeskSlaSettings.objects.filter(desk_id=desk_id).select_related(
            "customer_reply_calendar"
        )

    rows = list(read()[:1]) if desk is None else kept_rows([desk], "sla_settings", read)
    row = rows[0] if rows else None
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


def _lead_for(clock: Clock, rules: _DeskRules) -> dt.timedelta | None:
    if clock.goal == Goal.CUSTOMER_REPLY:
        return rules.reminder_lead_duration
    return rules.warning_lead_duration


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
            reason=recompute_reason or str(getattr(event and event.payload, "field", "")),
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
        clocks_update(recomputed)


def clocks_update(clocks: Sequence[Clock]) -> None:
    """Write the clocks' stored fields (``_CLOCK_FIELDS``), as ``bulk_update`` would: each
    value prepared by its field, no signal. One UPDATE by key, its text built once per process
    and database, run for each clock (``executemany``): ``bulk_update`` built and compiled a
    CASE per field and clock on every call, a quarter of a status change's CPU
    (docs/performance.md, "Ninth round: the write paths of a request")."""
    using = router.db_for_write(Clock)
    db = connections[using]
    fields, sql = _update_shape(db)
    rows = [
        [*(f.get_db_prep_save(getattr(clock, f.attname), connection=db) for f in fields), clock.pk]
        for clock in clocks
    ]
    with db.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)


_UPDATE_SHAPES: dict[tuple[str, str], tuple[list[Field], str]] = {}


def _update_shape(db: BaseDatabaseWrapper) -> tuple[list[Field], str]:
    key = (db.alias, db.vendor)
    shape = _UPDATE_SHAPES.get(key)
    if shape is None:
        quote = db.ops.quote_name
        by_name = {f.name: f for f in Clock._meta.concrete_fields}
        fields = [by_name[name] for name in _CLOCK_FIELDS]
        assignments = ", ".join(f"{quote(f.column or '')} = %s" for f in fields)
        # The table and columns are the model's, never input.
        key_column = quote(Clock._meta.pk.column or "")
        sql = f"UPDATE {quote(Clock._meta.db_table)} SET {assignments} WHERE {key_column} = %s"  # noqa: S608
        shape = _UPDATE_SHAPES[key] = (fields, sql)
    return shape
