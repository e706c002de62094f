"""The SLA report: how well goals were met, per desk, company, agent or week, and the breaches.

Reads only. Definitions (docs/sla.md): a goal counts in the period in which its outcome became
known — at its deadline when it was breached, else when it was met; the median and the 90th
percentile (nearest rank) are of the working time used by the goals met (in time or late) in the
period. A team lead sees the desks they lead; an administrator every desk.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from supportal.accounts.models import User
from supportal.core.errors import PermissionRefused
from supportal.core.routers import reporting_database
from supportal.desks.models import DeskMembership, DeskRole
from supportal.sla.models import POLICY_GOALS, Clock, ClockState, Goal, SlaEvent, SlaEventKind
from supportal.sla.selectors import goal_name
from supportal.tickets.workflow import Status

GROUPINGS = ("desk", "company", "agent", "week")
BREACHES_SHOWN = 500


@dataclass(frozen=True)
class ReportFilters:
    start: dt.date
    end: dt.date  # inclusive
    desk_id: int | None = None
    organization_id: int | None = None
    agent_id: int | None = None
    group_by: str = "desk"


@dataclass
class ReportRow:
    label: str
    goals: int = 0
    met: int = 0
    breached: int = 0
    first_response: list[dt.timedelta] = field(default_factory=list, repr=False)
    resolution: list[dt.timedelta] = field(default_factory=list, repr=False)

    @property
    def met_share(self) -> float | None:
        return self.met / self.goals if self.goals else None

    @property
    def met_percent(self) -> int | None:
        share = self.met_share
        return None if share is None else round(share * 100)

    @property
    def first_response_median(self) -> dt.timedelta | None:
        return percentile(self.first_response, 50)

    @property
    def first_response_p90(self) -> dt.timedelta | None:
        return percentile(self.first_response, 90)

    @property
    def resolution_median(self) -> dt.timedelta | None:
        return percentile(self.resolution, 50)

    @property
    def resolution_p90(self) -> dt.timedelta | None:
        return percentile(self.resolution, 90)


@dataclass(frozen=True)
class BreachLine:
    ticket_id: int
    reference: str
    goal: str
    due_at: dt.datetime
    desk: str
    company: str
    assignee: str
    cause: str
    target_minutes: int | None


@dataclass(frozen=True)
class SlaReport:
    filters: ReportFilters
    rows: list[ReportRow]
    total: ReportRow
    breaches: list[BreachLine]


def percentile(values: Iterable[dt.timedelta], rank: int) -> dt.timedelta | None:
    """The nearest-rank percentile: the smallest value with ``rank`` % of the values at or
    below it; None for no values. Pure."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(math.ceil(rank / 100 * len(ordered)), 1) - 1]


def report_desk_ids(user: User) -> set[int] | None:
    """The desks whose SLA ``user`` may report on; None means every desk (administrators)."""
    if user.is_superuser:
        return None
    if not user.is_agent:
        return set()
    return set(
        DeskMembership.objects.filter(user=user, role=DeskRole.TEAM_LEAD).values_list(
            "desk_id", flat=True
        )
    )


def _bounds(filters: ReportFilters) -> tuple[dt.datetime, dt.datetime]:
    zone = timezone.get_current_timezone()
    start_at = dt.datetime.combine(filters.start, dt.time(), tzinfo=zone)
    end_at = dt.datetime.combine(filters.end + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return start_at, end_at


def _ticket_filter(user: User, filters: ReportFilters, prefix: str = "ticket__") -> Q:
    desk_ids = report_desk_ids(user)
    if desk_ids is not None and not desk_ids:
        raise PermissionRefused(_("Only team leads see SLA reports."))
    condition = Q()
    if desk_ids is not None:
        condition &= Q(**{f"{prefix}desk_id__in": desk_ids})
    if filters.desk_id:
        condition &= Q(**{f"{prefix}desk_id": filters.desk_id})
    if filters.organization_id:
        condition &= Q(**{f"{prefix}organization_id": filters.organization_id})
    if filters.agent_id:
        condition &= Q(**{f"{prefix}assignee_id": filters.agent_id})
    return condition


def _label(clock: Clock, group_by: str, outcome_at: dt.datetime) -> str:
    ticket = clock.ticket
    if group_by == "company":
        return ticket.organization.name if ticket.organization else _("No company")
    if group_by == "agent":
        return str(ticket.assignee) if ticket.assignee else _("Unassigned")
    if group_by == "week":
        year, week, _weekday = timezone.localtime(outcome_at).isocalendar()
        return f"{year}-W{week:02d}"
    return ticket.desk.name


def sla_report(user: User, filters: ReportFilters) -> SlaReport:
    """The report for ``filters`` over the desks ``user`` may see. Raises PermissionRefused for
    someone who leads no desk. Reads only: two queries, on the read replica when there is one
    (who may see which desk is read on the primary)."""
    start_at, end_at = _bounds(filters)
    clocks = (
        Clock.objects.using(reporting_database())
        .filter(
            _ticket_filter(user, filters),
            Q(state=ClockState.MET, stopped_at__gte=start_at, stopped_at__lt=end_at)
            | Q(is_breached=True, deadline_at__gte=start_at, deadline_at__lt=end_at),
            goal__in=[goal.value for goal in POLICY_GOALS],
            target_duration__isnull=False,
        )
        .select_related("ticket__desk", "ticket__organization", "ticket__assignee")
        .order_by("pk")
    )
    rows: dict[str, ReportRow] = {}
    total = ReportRow(label=_("All"))
    for clock in clocks:
        outcome_at = clock.deadline_at if clock.is_breached else clock.stopped_at
        if outcome_at is None:
            continue  # the filter admits none: a breached clock has a deadline, a met one a stop
        label = _label(clock, filters.group_by, outcome_at)
        row = rows.setdefault(label, ReportRow(label=label))
        for target in (row, total):
            if start_at <= outcome_at < end_at:
                target.goals += 1
                if clock.is_breached:
                    target.breached += 1
                else:
                    target.met += 1
            stopped_at = clock.stopped_at
            if clock.state == ClockState.MET and stopped_at and start_at <= stopped_at < end_at:
                times = (
                    target.first_response
                    if clock.goal == Goal.FIRST_RESPONSE
                    else target.resolution
                )
                times.append(clock.used_duration)
    return SlaReport(
        filters=filters,
        rows=sorted(rows.values(), key=lambda row: row.label),
        total=total,
        breaches=list(_breaches(user, filters, start_at, end_at)),
    )


def _breaches(user: User, filters: ReportFilters, start_at: dt.datetime, end_at: dt.datetime):
    events = (
        SlaEvent.objects.using(reporting_database())
        .filter(
            _ticket_filter(user, filters),
            kind=SlaEventKind.BREACH,
            due_at__gte=start_at,
            due_at__lt=end_at,
        )
        .select_related("ticket__desk", "ticket__organization", "assignee")
        .order_by("due_at", "pk")
    )
    for event in events.iterator():
        yield BreachLine(
            ticket_id=event.ticket_id,
            reference=event.ticket.reference,
            goal=goal_name(event.goal, is_for_customer=False),
            due_at=event.due_at,
            desk=event.ticket.desk.name,
            company=event.ticket.organization.name if event.ticket.organization else "",
            assignee=str(event.assignee) if event.assignee else "",
            cause=breach_cause(event),
            target_minutes=event.data.get("target_minutes"),
        )


def breach_cause(event: SlaEvent) -> str:
    """Why a goal was missed, as the request stood at its deadline."""
    status = event.data.get("status", "")
    label = Status(status).label if status in Status.values else status
    if event.goal == Goal.FIRST_RESPONSE and not event.data.get("was_assigned"):
        return _("nobody took the request in time (%(status)s, unassigned)") % {"status": label}
    if not event.data.get("was_assigned"):
        return _("%(status)s, unassigned") % {"status": label}
    return _("%(status)s, with %(assignee)s") % {
        "status": label,
        "assignee": str(event.assignee or "—"),
    }
