"""Reads of the SLA, with permission built in: the panel of a request, the queue's deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Exists,
    F,
    FilteredRelation,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from supportal.accounts.models import User
from supportal.core.errors import NotFound
from supportal.core.statements import KeptStatement
from supportal.sla.models import POLICY_GOALS, Clock, ClockEntry, ClockState, EntryKind, Goal
from supportal.sla.services import CalendarBook, clock_used_duration
from supportal.tickets.models import Ticket
from supportal.tickets.selectors import ticket_roles
from supportal.tickets.workflow import Action, Role, Status

ZERO = dt.timedelta(0)


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class GoalLine:
    """One goal as a person sees it. Instants are in the viewer's time zone."""

    goal: str
    name: str
    target_duration: dt.timedelta
    used_duration: dt.timedelta
    remaining_duration: dt.timedelta
    overdue_duration: dt.timedelta
    state: str  # a ClockState value
    is_overdue: bool
    status_text: str
    deadline_at: dt.datetime | None
    stopped_at: dt.datetime | None
    history: tuple[HistoryLine, ...]

    @property
    def is_running(self) -> bool:
        return self.state == ClockState.RUNNING

    @property
    def is_paused(self) -> bool:
        return self.state == ClockState.PAUSED


@dataclass(frozen=True)
class SlaPanel:
    goals: tuple[GoalLine, ...]
    reply: GoalLine | None  # the customer's answer, while the request waits for it
    time_zone: str
    is_for_customer: bool


def _viewer_zone(viewer: User) -> ZoneInfo:
    # Users carry no time zone of their own yet: the active one (the site's, unless a
    # middleware activated the viewer's) is theirs.
    name = getattr(viewer, "time_zone", "") or timezone.get_current_timezone_name()
    return ZoneInfo(name)


def _panel_clocks_build(shape: str, values: Mapping[str, Any]) -> QuerySet[Clock]:
    return (
        Clock.objects.filter(ticket_id=values["ticket_id"], target_duration__isnull=False)
        .exclude(goal=Goal.CUSTOMER_REPLY, state__in=[ClockState.MET, ClockState.STOPPED])
        .select_related("calendar")
        .order_by("pk")
    )


def _panel_entries_build(clock_count: int, values: Mapping[str, Any]) -> QuerySet[ClockEntry]:
    # Unordered: the entries are sorted by the panel. Their default order ("clock", then the
    # clock's own) joined the clocks and the requests to sort a few rows.
    clock_ids = [values[f"clock_{index}"] for index in range(clock_count)]
    return ClockEntry.objects.filter(clock_id__in=clock_ids).order_by()


# Compiled once per process (core/statements.py; docs/performance.md, "Seventh round"); the
# clocks' entries too, for each number of clocks ("Eleventh round: the request page"), where a
# prefetch built and compiled their statement on every request.
_PANEL_CLOCKS = KeptStatement(_panel_clocks_build)
_PANEL_ENTRIES = KeptStatement(_panel_entries_build)


def _panel_entries(clocks: list[Clock]) -> dict[int, list[ClockEntry]]:
    """Each clock's entries, by the clock's id (no statement when there is no clock)."""
    entries: dict[int, list[ClockEntry]] = {clock.pk: [] for clock in clocks}
    if clocks:
        values = {f"clock_{index}": clock.pk for index, clock in enumerate(clocks)}
        for entry in _PANEL_ENTRIES.rows(len(clocks), values):
            entries[entry.clock_id].append(entry)
    return entries


def sla_panel_for(
    ticket: Ticket, viewer: User, *, now: dt.datetime | None = None
) -> SlaPanel | None:
    """The SLA panel of a request for ``viewer``: each goal with its target, the working time
    used, what remains or how late it is, whether its clock runs, and why it is paused.

    None when the request has no goal with a target. Raises NotFound for someone who may not
    see the request. Reads only.
    """
    roles = ticket_roles(viewer, ticket)
    if not roles:
        raise NotFound(_("There is no request %(reference)s.") % {"reference": ticket.reference})
    is_for_customer = not roles & {Role.AGENT, Role.TEAM_LEAD}
    at = now or timezone.now()
    zone = _viewer_zone(viewer)
    clocks = _PANEL_CLOCKS.rows("panel", {"ticket_id": ticket.pk})
    entries = _panel_entries(clocks)
    calendars = CalendarBook()
    goals = []
    reply = None
    for clock in clocks:
        line = _goal_line(
            clock,
            entries[clock.pk],
            calendars,
            at=at,
            zone=zone,
            is_for_customer=is_for_customer,
        )
        if clock.goal == Goal.CUSTOMER_REPLY:
            reply = line
        else:
            goals.append(line)
    if not goals and reply is None:
        return None
    order = {goal.value: index for index, goal in enumerate(POLICY_GOALS)}
    goals.sort(key=lambda line: order[line.goal])
    return SlaPanel(
        goals=tuple(goals), reply=reply, time_zone=str(zone), is_for_customer=is_for_customer
    )


def _goal_line(
    clock: Clock,
    entries: list[ClockEntry],
    calendars: CalendarBook,
    *,
    at: dt.datetime,
    zone: ZoneInfo,
    is_for_customer: bool,
) -> GoalLine:
    calendar = calendars.get(clock.calendar, clock.started_at.year - 1, at.year + 1)
    used = clock_used_duration(clock, calendar, at)
    target = clock.target_duration
    assert target is not None, clock  # the panel reads only clocks with a target (above)
    if clock.state == ClockState.RUNNING:
        is_overdue = clock.deadline_at is not None and clock.deadline_at < at
    else:
        is_overdue = clock.is_breached
    history = tuple(
        HistoryLine(
            at=timezone.localtime(entry.at, zone),
            text=entry_text(entry, clock.goal, is_for_customer=is_for_customer),
        )
        for entry in sorted(entries, key=lambda entry: (entry.at, entry.pk))
    )
    return GoalLine(
        goal=clock.goal,
        name=goal_name(clock.goal, is_for_customer=is_for_customer),
        target_duration=target,
        used_duration=used,
        remaining_duration=max(target - used, ZERO),
        overdue_duration=max(used - target, ZERO),
        state=clock.state,
        is_overdue=is_overdue,
        status_text=_status_text(clock, is_overdue=is_overdue, is_for_customer=is_for_customer),
        deadline_at=(
            timezone.localtime(clock.deadline_at, zone)
            if clock.state == ClockState.RUNNING and clock.deadline_at
            else None
        ),
        stopped_at=timezone.localtime(clock.stopped_at, zone) if clock.stopped_at else None,
        history=history,
    )


def goal_name(goal: str, *, is_for_customer: bool) -> str:
    if goal == Goal.FIRST_RESPONSE:
        return _("Time to first response")
    if goal == Goal.RESOLUTION:
        return _("Time to resolution")
    return _("Your answer") if is_for_customer else _("Customer's answer")


def _paused_text(reason: str, *, is_for_customer: bool) -> str:
    if reason == Status.WAITING_FOR_CUSTOMER:
        if is_for_customer:
            return _("paused: waiting for your reply")
        return _("paused: waiting for the customer")
    if reason == Status.WAITING_FOR_THIRD_PARTY:
        return _("paused: waiting for a third party")
    return _("paused")


def _status_text(clock: Clock, *, is_overdue: bool, is_for_customer: bool) -> str:
    if clock.state == ClockState.PAUSED:
        return _paused_text(clock.pause_reason, is_for_customer=is_for_customer)
    if clock.state == ClockState.MET:
        return _("met late") if clock.is_breached else _("met")
    if clock.state == ClockState.STOPPED:
        return _("stopped")
    return _("running, overdue") if is_overdue else _("running")


_STOP_TEXTS = {
    "assigned": lambda: _("met: assigned to an agent"),
    Action.TAKE: lambda: _("met: taken by an agent"),
    Action.START: lambda: _("met: work started"),
    Action.REQUEST_INFO: lambda: _("met: an agent asked for information"),
    Action.WAIT_FOR_THIRD_PARTY: lambda: _("met: an agent asked a third party"),
    Action.RESOLVE: lambda: _("met: resolved"),
    Action.CUSTOMER_RESOLVE: lambda: _("met: resolved by the customer"),
    Action.CUSTOMER_REPLY: lambda: _("met: the customer answered"),
}
_RESUME_TEXTS = {
    Action.CUSTOMER_REPLY: lambda: _("resumed: the customer answered"),
    Action.THIRD_PARTY_ANSWERED: lambda: _("resumed: the third party answered"),
    "reopened": lambda: _("resumed: the request was reopened"),
}
_RECOMPUTE_TEXTS = {
    "calendar_changed": lambda: _("deadline recomputed: the calendar changed"),
    "policy_changed": lambda: _("deadline recomputed: the SLA policy changed"),
    "settings_changed": lambda: _("deadline recomputed: the desk's SLA settings changed"),
}


def entry_text(entry: ClockEntry, goal: str, *, is_for_customer: bool) -> str:
    """One line of a clock's history: what happened to it and why."""
    if entry.kind == EntryKind.START:
        if goal == Goal.CUSTOMER_REPLY:
            return _("started: an answer was asked for")
        return _("started: request created")
    if entry.kind == EntryKind.PAUSE:
        return _paused_text(entry.reason, is_for_customer=is_for_customer)
    if entry.kind == EntryKind.RESUME:
        return _RESUME_TEXTS.get(entry.reason, lambda: _("resumed"))()
    if entry.kind == EntryKind.STOP:
        if entry.data.get("outcome") == ClockState.STOPPED:
            if entry.reason == Action.CANCEL:
                return _("stopped: the request was cancelled")
            if entry.reason == Action.CLOSE:
                return _("stopped: the request was closed")
            return _("stopped")
        return _STOP_TEXTS.get(entry.reason, lambda: _("met"))()
    if entry.kind == EntryKind.RETARGET:
        minutes = entry.data.get("target_minutes")
        if minutes is None:
            return _("target removed")
        return _("target changed to %(target)s") % {
            "target": duration_text(dt.timedelta(minutes=minutes))
        }
    return _RECOMPUTE_TEXTS.get(entry.reason, lambda: _("deadline recomputed"))()


def duration_text(duration: dt.timedelta, *, translate: Callable[[str], str] = _) -> str:
    """Working time to the minute, as people read it: "1 h 28 min", "45 min", "2 h".
    ``translate``: ``gettext``, or one a list keeps its translations in (``queue_sla``)."""
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return translate(_HOURS_MINUTES) % {"hours": hours, "minutes": minutes}
    if hours:
        return translate(_HOURS) % {"hours": hours}
    return translate(_MINUTES) % {"minutes": minutes}


_HOURS_MINUTES = gettext_noop("%(hours)d h %(minutes)d min")
_HOURS = gettext_noop("%(hours)d h")
_MINUTES = gettext_noop("%(minutes)d min")


# The queue ---------------------------------------------------------------------------------------


def _running_goal_clocks() -> QuerySet[Clock]:
    return Clock.objects.filter(
        ticket=OuterRef("pk"),
        goal__in_constants=[goal.value for goal in POLICY_GOALS],
        state=ClockState.RUNNING,
        deadline_at__isnull=False,
    )


def next_deadline() -> Subquery:
    """The earliest deadline of a request's running goals (None when none runs), as an
    expression over ``Ticket`` rows: sort or annotate a list by it without a query per row."""
    return Subquery(_running_goal_clocks().order_by("deadline_at").values("deadline_at")[:1])


def at_risk_condition(now: dt.datetime) -> Q:
    """Requests with a running goal past its warning time or its deadline at ``now``."""
    risky = _running_goal_clocks().filter(Q(warn_at__lte=now) | Q(deadline_at__lte=now))
    return Q(Exists(risky))


def tickets_at_risk_by_deadline(tickets: QuerySet[Ticket], *, now: dt.datetime) -> QuerySet[Ticket]:
    """The requests of ``tickets`` at risk at ``now``, each joined to its earliest running goal:
    annotated ``next_deadline_at``, the same instant as :func:`next_deadline`.

    Ordered by ``next_deadline_at`` with a LIMIT, the database walks the running clocks' deadline
    index (``sla_clock_running_deadline``) from the soonest and stops when the page is full, so
    the page costs what it shows, not the number of open requests (docs/performance.md). Each
    request appears once: the clock joined is the one no other running goal of the request
    precedes (by deadline, then id).
    """
    goals = [goal.value for goal in POLICY_GOALS]
    running = Q(
        sla_clocks__goal__in_constants=goals,
        sla_clocks__state=ClockState.RUNNING,
        sla_clocks__deadline_at__isnull=False,
    )
    # Only requests with a running goal, filtered through the relation itself: the join is
    # then an INNER JOIN, which SQLite may start from (the deadline index) where it keeps a
    # LEFT JOIN's tickets outside (docs/performance.md, "Sixth round: SQLite's queues"). The
    # join's columns are annotated next, so the subquery below refers to this join rather
    # than to a second one.
    joined = (
        tickets.annotate(next_clock=FilteredRelation("sla_clocks", condition=running))
        .filter(next_clock__isnull=False)
        .annotate(
            next_deadline_at=F("next_clock__deadline_at"),
            next_warn_at=F("next_clock__warn_at"),
            next_clock_id=F("next_clock__id"),
        )
    )
    earlier = _running_goal_clocks().filter(
        Q(deadline_at__lt=OuterRef("next_deadline_at"))
        | Q(deadline_at=OuterRef("next_deadline_at"), pk__lt=OuterRef("next_clock_id"))
    )
    # At risk: the soonest goal is past its deadline or its warning, or (rarely, when goals warn
    # at different leads) another goal is. Under the OR, the subquery runs for the rows walked
    # only, instead of being hashed over every running clock first.
    risky = Q(next_deadline_at__lte=now) | Q(next_warn_at__lte=now) | at_risk_condition(now)
    return joined.filter(~Exists(earlier), risky)


class ExistsPerRow(Exists):
    """``EXISTS`` that PostgreSQL tests for each row it reaches: ``OFFSET 0`` keeps it from
    being turned into a join, which it may then plan as a hash over every row of the other
    side (docs/performance.md, "Seventh round: the agent queue"). SQLite reads it as written."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


def at_risk_count_rows(tickets: QuerySet[Ticket], *, now: dt.datetime) -> QuerySet[Clock]:
    """One clock per request of ``tickets`` at risk at ``now`` (its soonest risky running
    goal), in deadline order: cap it to count the "SLA at risk" queue.

    Counted from the clocks' side: the running clocks' deadline index
    (``sla_clock_running_deadline``) is walked from the soonest, and each clock asks once,
    through the request's primary key, whether its request is one of ``tickets`` and no other
    risky goal of it comes first. Counted from the requests' side, PostgreSQL joined them to
    the clocks, and on data where it expected fewer rows than the cap it hashed every running
    clock and every open request (85 ms of a queue page at 100,000 tickets) instead of
    stopping at the cap (docs/performance.md, "Seventh round: the agent queue"). The same
    requests as ``tickets_at_risk``: at risk is having a running goal past its warning time or
    its deadline.
    """
    risky = Q(warn_at__lte=now) | Q(deadline_at__lte=now)
    earlier = _running_goal_clocks().filter(
        risky,
        Q(deadline_at__lt=OuterRef(OuterRef("deadline_at")))
        | Q(deadline_at=OuterRef(OuterRef("deadline_at")), pk__lt=OuterRef(OuterRef("pk"))),
    )
    first_of_its_request = tickets.filter(pk=OuterRef("ticket_id")).filter(~Exists(earlier))
    return (
        Clock.objects.filter(
            goal__in_constants=[goal.value for goal in POLICY_GOALS],
            state=ClockState.RUNNING,
            deadline_at__isnull=False,
        )
        .filter(risky, ExistsPerRow(first_of_its_request))
        .order_by("deadline_at")
    )


def tickets_at_risk(tickets: QuerySet[Ticket], *, now: dt.datetime | None = None):
    """The requests of ``tickets`` that are at risk (see :func:`at_risk_condition`)."""
    return tickets.filter(at_risk_condition(now or timezone.now()))


def _nearest_running_clock() -> QuerySet[Clock]:
    return _running_goal_clocks().order_by("deadline_at")


def queue_sla_annotations() -> dict[str, Subquery]:
    """What the queue's SLA column needs, as annotations over ``Ticket`` rows (so the column
    costs no query of its own): the next deadline of a running goal, that clock's warning
    time, and a paused goal's clock (its id, or None).

    All three are scalar subqueries with ``LIMIT 1``: each runs for the 50 rows of the page
    through the clocks' ``(ticket, state)`` index. An ``EXISTS`` in the select list was planned
    by PostgreSQL as a hashed subplan over every paused clock of the table, read in full on
    every queue page (docs/performance.md).
    """
    paused = Clock.objects.filter(
        ticket=OuterRef("pk"),
        goal__in=[goal.value for goal in POLICY_GOALS],
        state=ClockState.PAUSED,
        target_duration__isnull=False,
    )
    return {
        "sla_deadline_at": Subquery(_nearest_running_clock().values("deadline_at")[:1]),
        "sla_warn_at": Subquery(_nearest_running_clock().values("warn_at")[:1]),
        "sla_paused_clock_id": Subquery(paused.order_by().values("pk")[:1]),
    }


@dataclass(frozen=True)
class QueueSla:
    """The SLA cell of a queue row: ``state`` is on_track, warning, breached or paused."""

    state: str
    text: str
    deadline_at: dt.datetime | None


def _wall_duration_text(duration: dt.timedelta, translate: Callable[[str], str]) -> str:
    days = duration.days
    if days >= 1:
        hours = duration.seconds // 3600
        if hours:
            return translate(_DAYS_HOURS) % {"days": days, "hours": hours}
        return translate(_DAYS) % {"days": days}
    return duration_text(max(duration, dt.timedelta(minutes=1)), translate=translate)


_DAYS_HOURS = gettext_noop("%(days)d d %(hours)d h")
_DAYS = gettext_noop("%(days)d d")
_OVERDUE = gettext_noop("%(duration)s overdue")
_LEFT = gettext_noop("%(duration)s left")
_PAUSED = gettext_noop("paused")


def queue_sla(
    row: Mapping[str, Any], *, now: dt.datetime, translate: Callable[[str], str] = _
) -> QueueSla | None:
    """The SLA cell of a queue row read with :func:`queue_sla_annotations` (a ``.values()``
    row): time left to the next deadline (wall-clock time, as people count down), or how long
    it is overdue; None when no goal's clock runs or is paused. ``translate``: ``gettext``,
    or one that keeps its translations for a list's rows (docs/performance.md, "Eleventh
    round: the agent queue")."""
    deadline_at = row.get("sla_deadline_at")
    if deadline_at is not None:
        warn_at = row.get("sla_warn_at")
        if deadline_at <= now:
            duration = _wall_duration_text(now - deadline_at, translate)
            return QueueSla("breached", translate(_OVERDUE) % {"duration": duration}, deadline_at)
        text = translate(_LEFT) % {"duration": _wall_duration_text(deadline_at - now, translate)}
        state = "warning" if warn_at is not None and warn_at <= now else "on_track"
        return QueueSla(state, text, deadline_at)
    if row.get("sla_paused_clock_id") is not None:
        return QueueSla("paused", translate(_PAUSED), None)
    return None
